// Staged imports on SQLite (the imports table). What a chat already has is matched against its
// entries (agents/media-tracker/import/match.ts).
import type { Database } from "../../runtime/index.js";
import type { ImportStore, StagedImport } from "../../agents/media-tracker/import/import-store.js";

interface Row {
  id: string;
  chat_id: string;
  source: StagedImport["source"];
  entries_json: string;
  skipped_json: string;
  summary: string;
  created_at_ms: number;
  applied_at_ms: number | null;
}

export function createImportStore(db: Database): ImportStore {
  const dropWaiting = db.prepare(`DELETE FROM imports WHERE chat_id = ? AND applied_at_ms IS NULL`);
  const insert = db.prepare(
    `INSERT INTO imports (id, chat_id, source, entries_json, skipped_json, summary, created_at_ms)
     VALUES (@id, @chat_id, @source, @entries_json, @skipped_json, @summary, @created_at_ms)`,
  );
  const byId = db.prepare(`SELECT * FROM imports WHERE chat_id = ? AND id = ?`);
  const applied = db.prepare(`UPDATE imports SET applied_at_ms = ?, entries_json = '[]' WHERE chat_id = ? AND id = ?`);
  const discard = db.prepare(`DELETE FROM imports WHERE chat_id = ? AND id = ? AND applied_at_ms IS NULL`);
  const removeChat = db.prepare(`DELETE FROM imports WHERE chat_id = ?`);

  return {
    removeAll(chatId) {
      return removeChat.run(chatId).changes;
    },
    stage(s) {
      dropWaiting.run(s.chatId);
      insert.run({
        id: s.id,
        chat_id: s.chatId,
        source: s.source,
        entries_json: JSON.stringify(s.entries),
        skipped_json: JSON.stringify(s.skipped),
        summary: s.summary,
        created_at_ms: s.createdAtMs,
      });
    },
    get(chatId, id) {
      const row = byId.get(chatId, id) as Row | undefined;
      if (!row) return undefined;
      const staged: StagedImport = {
        id: row.id,
        chatId: row.chat_id,
        source: row.source,
        entries: JSON.parse(row.entries_json) as StagedImport["entries"],
        skipped: JSON.parse(row.skipped_json) as StagedImport["skipped"],
        summary: row.summary,
        createdAtMs: row.created_at_ms,
      };
      if (row.applied_at_ms !== null) staged.appliedAtMs = row.applied_at_ms;
      return staged;
    },
    markApplied(chatId, id, atMs) {
      applied.run(atMs, chatId, id);
    },
    discard(chatId, id) {
      return discard.run(chatId, id).changes === 1;
    },
  };
}

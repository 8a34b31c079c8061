// Staged imports on SQLite (the imports table), and the lookups that tell what a chat already has.
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

/** SQLite's default limit on bound parameters is well above this. */
const CHUNK = 500;

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

  function lookup(column: "import_key" | "id", chatId: string, values: string[]): Set<string> {
    const found = new Set<string>();
    for (let i = 0; i < values.length; i += CHUNK) {
      const chunk = values.slice(i, i + CHUNK);
      const sql = `SELECT ${column} AS v FROM entries WHERE chat_id = ? AND ${column} IN (${chunk.map(() => "?").join(", ")})`;
      for (const row of db.prepare(sql).all(chatId, ...chunk) as Array<{ v: string }>) found.add(row.v);
    }
    return found;
  }

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
    existingKeys(chatId, keys) {
      return lookup("import_key", chatId, [...new Set(keys)]);
    },
    existingIds(chatId, ids) {
      return lookup("id", chatId, [...new Set(ids)]);
    },
  };
}

// Staged imports on any database of the seam: the imports table (SQLite 0004, PostgreSQL
// 0011_media). What a chat already has is matched against its entries
// (agents/media-tracker/import/match.ts).
import type { Sql, Tx } from "../../runtime/store.js";
import type { ImportReader, ImportStore, ImportWriter, StagedImport } from "../../agents/media-tracker/import/import-store.js";
import { storable } from "./storable-text.js";

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

const DROP_WAITING = `DELETE FROM imports WHERE chat_id = ? AND applied_at_ms IS NULL`;
const INSERT = `INSERT INTO imports (id, chat_id, source, entries_json, skipped_json, summary, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`;
const BY_ID = `SELECT * FROM imports WHERE chat_id = ? AND id = ?`;
const MARK_APPLIED = `UPDATE imports SET applied_at_ms = ?, entries_json = '[]' WHERE chat_id = ? AND id = ?`;
const DISCARD = `DELETE FROM imports WHERE chat_id = ? AND id = ? AND applied_at_ms IS NULL`;
const REMOVE_CHAT = `DELETE FROM imports WHERE chat_id = ?`;

/** Staged imports on `sql` (reads; give it `store.read`); `within(tx)` gives them inside a write. */
export function createImportStore(sql: Sql): ImportStore {
  return { ...importReader(sql), within: importWriter };
}

function importReader(sql: Sql): ImportReader {
  return {
    async get(chatId, id) {
      const row = await sql.get<Row>(BY_ID, [chatId, id]);
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
  };
}

function importWriter(tx: Tx): ImportWriter {
  return {
    ...importReader(tx),
    async stage(s) {
      await tx.run(DROP_WAITING, [s.chatId]);
      // The JSON columns are safe as they are: JSON.stringify writes a NUL as the six characters \u0000.
      await tx.run(INSERT, [s.id, s.chatId, s.source, JSON.stringify(s.entries), JSON.stringify(s.skipped), storable(s.summary), s.createdAtMs]);
    },
    async markApplied(chatId, id, atMs) {
      await tx.run(MARK_APPLIED, [atMs, chatId, id]);
    },
    async discard(chatId, id) {
      return (await tx.run(DISCARD, [chatId, id])).changes === 1;
    },
    async removeAll(chatId) {
      return (await tx.run(REMOVE_CHAT, [chatId])).changes;
    },
  };
}

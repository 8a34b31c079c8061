// The journal table: one row per completed step of a message, keyed by (message id, position).
// Read and write rows, nothing else; the replay rules live in step-context.ts.
import type { Sql, Tx } from "./store.js";

export interface JournalEntry {
  seq: number;
  stepName: string;
  /** JSON of `{ v: value }` so that `undefined` survives the round trip. */
  outputJson: string | null;
  errorJson: string | null;
}

const SQL = {
  read: `SELECT seq, step_name AS "stepName", output_json AS "outputJson", error_json AS "errorJson"
    FROM journal WHERE message_id = ? ORDER BY seq`,
  // DO NOTHING keeps the first record of a step if a second writer ever raced it.
  write: `INSERT INTO journal (message_id, seq, step_name, output_json, error_json, completed_at_ms)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
};

export class Journal {
  constructor(private readonly committed: Sql) {}

  /** All recorded (committed) steps of a message, by position. */
  async read(messageId: string): Promise<Map<number, JournalEntry>> {
    const rows = await this.committed.all<JournalEntry>(SQL.read, [messageId]);
    return new Map(rows.map((r) => [r.seq, r]));
  }

  /** Records a step. */
  async write(tx: Tx, messageId: string, entry: JournalEntry, nowMs: number): Promise<void> {
    await tx.run(SQL.write, [messageId, entry.seq, entry.stepName, entry.outputJson, entry.errorJson, nowMs]);
  }
}

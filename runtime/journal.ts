// The journal table: one row per completed step of a message, keyed by (message id, position).
// Read and write rows, nothing else; the replay rules live in step-context.ts.
import type { Database } from "./database.js";

export interface JournalEntry {
  seq: number;
  stepName: string;
  /** JSON of `{ v: value }` so that `undefined` survives the round trip. */
  outputJson: string | null;
  errorJson: string | null;
}

export class Journal {
  private readonly readStmt;
  private readonly writeStmt;

  constructor(db: Database) {
    this.readStmt = db.prepare(
      `SELECT seq, step_name AS stepName, output_json AS outputJson, error_json AS errorJson
       FROM journal WHERE message_id = ? ORDER BY seq`,
    );
    // DO NOTHING keeps the first record of a step if a second writer ever raced it.
    this.writeStmt = db.prepare(
      `INSERT INTO journal (message_id, seq, step_name, output_json, error_json, completed_at_ms)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
  }

  /** All recorded steps of a message, by position. */
  read(messageId: string): Map<number, JournalEntry> {
    const rows = this.readStmt.all(messageId) as JournalEntry[];
    return new Map(rows.map((r) => [r.seq, r]));
  }

  /** Records a step. Write: run inside a unit. */
  write(messageId: string, entry: JournalEntry, nowMs: number): void {
    this.writeStmt.run(messageId, entry.seq, entry.stepName, entry.outputJson, entry.errorJson, nowMs);
  }
}

// The runtime_meta table: small named facts about the runtime itself (e.g. that the last stop was clean).
import type { Database } from "./database.js";

/** Set by a stop that let every message in progress finish. */
export const CLEAN_STOP = "clean_stop";
/** The id of the message running alone during recovery; a crash then is blamed on it only. */
export const ISOLATING = "isolating";

export class RuntimeMeta {
  private readonly getStmt;
  private readonly setStmt;
  private readonly deleteStmt;

  constructor(db: Database) {
    this.getStmt = db.prepare(`SELECT value FROM runtime_meta WHERE key = ?`).pluck();
    this.setStmt = db.prepare(
      `INSERT INTO runtime_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    );
    this.deleteStmt = db.prepare(`DELETE FROM runtime_meta WHERE key = ?`);
  }

  /** Write: run inside a unit. */
  set(key: string, value: string): void {
    this.setStmt.run(key, value);
  }

  /** Reads and deletes a fact in one go. Write: run inside a unit. */
  take(key: string): string | undefined {
    const value = this.getStmt.get(key) as string | undefined;
    if (value !== undefined) this.deleteStmt.run(key);
    return value;
  }
}

// The runtime_meta table: small named facts about the runtime itself (e.g. that the last stop was
// clean, which messages are running after a crash charged them).
import { type AgentScope, inScope } from "./agent-scope.js";
import type { Database } from "./database.js";

/** Set by a stop that let every message in progress finish. */
export const CLEAN_STOP = "clean_stop";
/**
 * The id of the message an earlier release ran alone during recovery; a crash then was its fault.
 * Read (and cleared) for databases that release left behind; running marks do this job now.
 */
export const ISOLATING = "isolating";
/** "running:<message id>" → agent key: a message already charged once, running now (see MessageRunner). */
const RUNNING = "running:";

export class RuntimeMeta {
  private readonly getStmt;
  private readonly setStmt;
  private readonly deleteStmt;
  private readonly runningStmt;

  constructor(db: Database) {
    this.getStmt = db.prepare(`SELECT value FROM runtime_meta WHERE key = ?`).pluck();
    this.setStmt = db.prepare(
      `INSERT INTO runtime_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    );
    this.deleteStmt = db.prepare(`DELETE FROM runtime_meta WHERE key = ?`);
    // A range on the primary key: ';' is the character after ':'.
    this.runningStmt = db.prepare(`SELECT key, value FROM runtime_meta WHERE key >= '${RUNNING}' AND key < 'running;'`);
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

  /** Write: run inside a unit. Notes that a message is running, so a crash now is charged to it. */
  markRunning(messageId: string, agentKey: string): void {
    this.setStmt.run(RUNNING + messageId, agentKey);
  }

  /** Write: run inside a unit, with the message's outcome. */
  clearRunning(messageId: string): void {
    this.deleteStmt.run(RUNNING + messageId);
  }

  /** The messages marked running for the agents in scope, marks deleted. Write: run inside a unit. */
  takeRunning(scope: AgentScope): string[] {
    const ids: string[] = [];
    for (const row of this.runningStmt.all() as Array<{ key: string; value: string }>) {
      if (!inScope(scope, row.value)) continue;
      ids.push(row.key.slice(RUNNING.length));
      this.deleteStmt.run(row.key);
    }
    return ids;
  }
}

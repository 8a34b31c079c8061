// The runtime_meta table: small named facts about the runtime itself (e.g. that the last stop was
// clean, which messages are running after a crash charged them).
import { type AgentScope, inScope } from "./agent-scope.js";
import type { Sql, Tx } from "./store.js";

/** Set by a stop that let every message in progress finish. */
export const CLEAN_STOP = "clean_stop";
/**
 * The id of the message an earlier release ran alone during recovery; a crash then was its fault.
 * Read (and cleared) for databases that release left behind; running marks do this job now.
 */
export const ISOLATING = "isolating";
/** "running:<message id>" → agent key: a message already charged once, running now (see MessageRunner). */
const RUNNING = "running:";

const SQL = {
  get: `SELECT value FROM runtime_meta WHERE key = ?`,
  set: `INSERT INTO runtime_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  delete: `DELETE FROM runtime_meta WHERE key = ?`,
  // A range on the primary key: ';' is the character after ':'.
  running: `SELECT key, value FROM runtime_meta WHERE key >= '${RUNNING}' AND key < 'running;'`,
};

export class RuntimeMeta {
  /**
   * Takes committed reads like every table class, though each fact here is read inside a unit (it
   * decides what the unit writes).
   */
  constructor(_committed: Sql) {}

  async set(tx: Tx, key: string, value: string): Promise<void> {
    await tx.run(SQL.set, [key, value]);
  }

  /** Reads and deletes a fact in one go. */
  async take(tx: Tx, key: string): Promise<string | undefined> {
    const row = await tx.get<{ value: string }>(SQL.get, [key]);
    if (row !== undefined) await tx.run(SQL.delete, [key]);
    return row?.value;
  }

  /** Notes that a message is running, so a crash now is charged to it. */
  async markRunning(tx: Tx, messageId: string, agentKey: string): Promise<void> {
    await tx.run(SQL.set, [RUNNING + messageId, agentKey]);
  }

  /** With the message's outcome. */
  async clearRunning(tx: Tx, messageId: string): Promise<void> {
    await tx.run(SQL.delete, [RUNNING + messageId]);
  }

  /** The messages marked running for the agents in scope, marks deleted. */
  async takeRunning(tx: Tx, scope: AgentScope): Promise<string[]> {
    const ids: string[] = [];
    for (const row of await tx.all<{ key: string; value: string }>(SQL.running)) {
      if (!inScope(scope, row.value)) continue;
      ids.push(row.key.slice(RUNNING.length));
      await tx.run(SQL.delete, [row.key]);
    }
    return ids;
  }
}

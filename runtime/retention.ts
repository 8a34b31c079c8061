// Keeps the database from growing without bound: finished messages' journals and inbox rows,
// delivered outbox rows and spent timers are deleted once older than the retention period.
// Pending and parked work is never touched. Deletes run in small batches, each its own unit.
import type { Clock } from "./clock.js";
import type { Store } from "./store.js";

/** Rows per statement per batch: keeps each shared transaction short. */
const BATCH = 2000;

export interface PruneReport {
  journal: number;
  inbox: number;
  outbox: number;
  timers: number;
}

const SQL = {
  // Telegram redelivers for a day at most and update ids only grow: old ids cannot come back.
  // A finished message's journal goes with it; it mattered only until the message was done.
  oldMessages: `SELECT id FROM inbox WHERE status = 'done' AND completed_at_ms < ? LIMIT ${BATCH}`,
  journal: `DELETE FROM journal WHERE message_id = ?`,
  inbox: `DELETE FROM inbox WHERE id = ?`,
  outbox: `DELETE FROM outbox WHERE id IN (
    SELECT id FROM outbox WHERE status IN ('sent', 'failed') AND created_at_ms < ? LIMIT ${BATCH})`,
  timers: `DELETE FROM timers WHERE id IN (
    SELECT id FROM timers WHERE (fired_at_ms < ? OR canceled_at_ms < ?) LIMIT ${BATCH})`,
};

export class Retention {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  /** Deletes everything finished before `olderThanMs` ago; returns how many rows of each kind. */
  async prune(olderThanMs: number): Promise<PruneReport> {
    const cutoff = this.clock.now() - olderThanMs;
    const report: PruneReport = { journal: 0, inbox: 0, outbox: 0, timers: 0 };
    for (;;) {
      const batch = await this.store.submit(async (tx) => {
        const ids = await tx.all<{ id: string }>(SQL.oldMessages, [cutoff]);
        for (const { id } of ids) {
          report.journal += (await tx.run(SQL.journal, [id])).changes;
          report.inbox += (await tx.run(SQL.inbox, [id])).changes;
        }
        return ids.length;
      });
      if (batch < BATCH) break;
    }
    for (const [kind, sql, params] of [["outbox", SQL.outbox, [cutoff]], ["timers", SQL.timers, [cutoff, cutoff]]] as const) {
      for (;;) {
        const deleted = await this.store.submit(async (tx) => (await tx.run(sql, params)).changes);
        report[kind] += deleted;
        if (deleted < BATCH) break;
      }
    }
    return report;
  }
}

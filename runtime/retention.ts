// Keeps the database from growing without bound: finished messages' journals and inbox rows,
// delivered outbox rows and spent timers are deleted once older than the retention period.
// Pending and parked work is never touched. Deletes run in small batches through the committer.
import type { Clock } from "./clock.js";
import type { Database } from "./database.js";
import type { GroupCommitter } from "./group-commit.js";

/** Rows per statement per batch: keeps each shared transaction short. */
const BATCH = 2000;

export interface PruneReport {
  journal: number;
  inbox: number;
  outbox: number;
  timers: number;
}

export class Retention {
  private readonly statements;

  constructor(private readonly db: Database, private readonly committer: GroupCommitter, private readonly clock: Clock) {
    this.statements = {
      // A journal matters only until its message is finished; keep it a while for inspection.
      journal: db.prepare(
        `DELETE FROM journal WHERE rowid IN (
           SELECT j.rowid FROM journal j JOIN inbox i ON i.id = j.message_id
           WHERE i.status = 'done' AND i.completed_at_ms < ? LIMIT ${BATCH})`,
      ),
      // Telegram redelivers for a day at most and update ids only grow: old ids cannot come back.
      inbox: db.prepare(
        `DELETE FROM inbox WHERE seq IN (SELECT seq FROM inbox WHERE status = 'done' AND completed_at_ms < ? LIMIT ${BATCH})`,
      ),
      outbox: db.prepare(
        `DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox WHERE status IN ('sent', 'failed') AND created_at_ms < ? LIMIT ${BATCH})`,
      ),
      timers: db.prepare(
        `DELETE FROM timers WHERE id IN (
           SELECT id FROM timers WHERE (fired_at_ms < ?1 OR canceled_at_ms < ?1) LIMIT ${BATCH})`,
      ),
    };
  }

  /** Deletes everything finished before `olderThanMs` ago; returns how many rows of each kind. */
  async prune(olderThanMs: number): Promise<PruneReport> {
    const cutoff = this.clock.now() - olderThanMs;
    const report: PruneReport = { journal: 0, inbox: 0, outbox: 0, timers: 0 };
    for (const kind of ["journal", "inbox", "outbox", "timers"] as const) {
      for (;;) {
        const deleted = await this.committer.submit(() => this.statements[kind].run(cutoff).changes);
        report[kind] += deleted;
        if (deleted < BATCH) break;
      }
    }
    return report;
  }
}

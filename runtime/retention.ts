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

  constructor(db: Database, private readonly committer: GroupCommitter, private readonly clock: Clock) {
    this.statements = {
      // Telegram redelivers for a day at most and update ids only grow: old ids cannot come back.
      // A finished message's journal goes with it; it mattered only until the message was done.
      oldMessages: db.prepare(
        `SELECT id FROM inbox WHERE status = 'done' AND completed_at_ms < ? LIMIT ${BATCH}`,
      ).pluck(),
      journal: db.prepare(`DELETE FROM journal WHERE message_id = ?`),
      inbox: db.prepare(`DELETE FROM inbox WHERE id = ?`),
      outbox: db.prepare(
        `DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox WHERE status IN ('sent', 'failed') AND created_at_ms < @cutoff LIMIT ${BATCH})`,
      ),
      timers: db.prepare(
        `DELETE FROM timers WHERE id IN (
           SELECT id FROM timers WHERE (fired_at_ms < @cutoff OR canceled_at_ms < @cutoff) LIMIT ${BATCH})`,
      ),
    };
  }

  /** Deletes everything finished before `olderThanMs` ago; returns how many rows of each kind. */
  async prune(olderThanMs: number): Promise<PruneReport> {
    const cutoff = this.clock.now() - olderThanMs;
    const report: PruneReport = { journal: 0, inbox: 0, outbox: 0, timers: 0 };
    const { oldMessages, journal, inbox, outbox, timers } = this.statements;
    for (;;) {
      const batch = await this.committer.submit(() => {
        const ids = oldMessages.all(cutoff) as string[];
        for (const id of ids) {
          report.journal += journal.run(id).changes;
          report.inbox += inbox.run(id).changes;
        }
        return ids.length;
      });
      if (batch < BATCH) break;
    }
    for (const [kind, statement] of [["outbox", outbox], ["timers", timers]] as const) {
      for (;;) {
        const deleted = await this.committer.submit(() => statement.run({ cutoff }).changes);
        report[kind] += deleted;
        if (deleted < BATCH) break;
      }
    }
    return report;
  }
}

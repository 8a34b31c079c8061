// Group commit: every write of the runtime is a unit of work queued here; all units queued in one
// turn of the event loop run in one SQLite transaction and share one fsync. A unit's promise settles
// only after its transaction is durable. Nothing else in the process may write to the database,
// unless it shares a WriteLock with this committer (the ingest thread's committer does).
import type { Database } from "./database.js";

/** A piece of synchronous database work; it runs inside the shared transaction, in its own savepoint. */
export type Unit<T> = () => T;

interface Queued {
  work: Unit<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * A lock shared by the writers of one process, taken around each write transaction. SQLite's own
 * lock would serialise them too, but a writer that finds it taken sleeps in steps (1, 2, 5, 10 ms…)
 * and blocks its thread meanwhile; this lock hands over the moment the holder commits. Other
 * processes still meet SQLite's lock and busy_timeout.
 */
export interface WriteLock {
  acquire(): void;
  release(): void;
}

export interface GroupCommitStats {
  commits: number;
  units: number;
}

export class GroupCommitter {
  private queue: Queued[] = [];
  private scheduled = false;
  private closed = false;
  readonly stats: GroupCommitStats = { commits: 0, units: 0 };

  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;

  constructor(
    private readonly db: Database,
    private readonly lock?: WriteLock,
  ) {
    // Prepared once: a savepoint per unit, without building a transaction wrapper for each.
    this.savepoint = db.prepare("SAVEPOINT unit");
    this.release = db.prepare("RELEASE unit");
    this.rollbackTo = db.prepare("ROLLBACK TO unit");
  }

  /**
   * Queues `work` for the next shared transaction. Resolves with its result once committed.
   * Rejects with the unit's own error (its savepoint is rolled back, the others still commit),
   * or with the commit's error (nothing of that batch was written: disk full, I/O error).
   */
  submit<T>(work: Unit<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("The database is closed; no more writes are taken."));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now; used before shutdown. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    this.lock?.acquire();
    try {
      this.db.transaction(() => {
        for (const item of batch) {
          // Each unit in its own savepoint: a failing unit undoes only itself.
          this.savepoint.run();
          try {
            outcomes.push({ ok: true, value: item.work() });
            this.release.run();
          } catch (error) {
            // SQLite ends the whole transaction on some faults (disk full, I/O): then nothing of the
            // batch can commit, and every unit fails with that fault.
            if (!this.db.inTransaction) throw error;
            this.rollbackTo.run();
            this.release.run();
            outcomes.push({ ok: false, error });
          }
        }
        // IMMEDIATE takes the write lock once, up front: a database locked by another process makes
        // the batch wait one busy_timeout and fail, instead of each unit waiting its own in turn.
      }).immediate();
    } catch (commitError) {
      for (const item of batch) item.reject(commitError);
      return;
    } finally {
      this.lock?.release();
    }
    this.stats.commits += 1;
    this.stats.units += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  /** Commits what is queued and refuses further work. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

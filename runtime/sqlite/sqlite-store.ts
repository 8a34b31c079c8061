// The Store on one SQLite file: a writer connection that group-commits units, and a reader
// connection for committed data. Nothing else in the process may write to the file, unless it
// shares a WriteLock with this store (the ingest thread's store does).
import type BetterSqlite3 from "better-sqlite3";
import { StoreUnavailableError } from "../errors.js";
import { UnitTx } from "../unit-tx.js";
import { CommitQueue, type Queued } from "../commit-queue.js";
import type { CommitStats, RunResult, Sql, Store, Unit } from "../store.js";
import { type SqliteFileOptions, openSqliteFile } from "./sqlite-file.js";
import { SqliteSql, asStoreError } from "./sqlite-sql.js";

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

export interface SqliteStoreOptions extends Omit<SqliteFileOptions, "readOnly"> {
  writeLock?: WriteLock;
}


export class SqliteStore implements Store {
  readonly dialect = "sqlite" as const;
  readonly read: SqliteSql;
  readonly stats: CommitStats = { commits: 0, units: 0 };
  private readonly writer: SqliteSql;
  /** The writer as the units of a batch see it. */
  private readonly batchSql: Sql;
  private readonly units = new CommitQueue((batch) => this.commitBatch(batch));
  private readonly lock: WriteLock | undefined;

  /** The writer connection, for SQLite-only tools (online backup, the file's own checks). */
  readonly database: BetterSqlite3.Database;

  constructor(readonly file: string, options: SqliteStoreOptions = {}) {
    this.database = openSqliteFile(file, options);
    this.writer = new SqliteSql(this.database);
    this.batchSql = new BatchSql(this.writer);
    // An in-memory database has one connection: reads share it (tests only; a batch is synchronous there).
    this.read = file === ":memory:" ? this.writer : new SqliteSql(openSqliteFile(file, { ...options, readOnly: true }));
    this.lock = options.writeLock;
  }

  submit<T>(work: Unit<T>): Promise<T> {
    return this.units.submit(work);
  }

  flush(): Promise<void> {
    return this.units.flush();
  }

  async close(): Promise<void> {
    if (this.units.closed) return;
    await this.flush();
    this.units.refuse();
    if (this.read !== this.writer) this.read.db.close();
    this.database.close();
  }

  /** Runs every queued unit in one transaction, each in its own savepoint, then commits once. */
  private async commitBatch(batch: Queued[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const writer = this.writer;
    this.lock?.acquire();
    try {
      // IMMEDIATE takes the write lock once, up front: a database locked by another process makes
      // the batch wait one busy_timeout and fail, instead of each unit waiting its own in turn.
      writer.runNow("BEGIN IMMEDIATE");
      for (const item of batch) {
        writer.runNow("SAVEPOINT unit");
        const tx = new UnitTx(this.batchSql);
        try {
          const value = await item.work(tx);
          tx.close();
          // A unit that went on after a fault ended the transaction (its statements were refused).
          if (!this.database.inTransaction) throw transactionEnded();
          writer.runNow("RELEASE unit");
          outcomes.push({ ok: true, value });
        } catch (error) {
          tx.close();
          // SQLite ends the whole transaction on some faults (disk full, I/O): then nothing of the
          // batch can commit, and every unit fails with that fault.
          if (!this.database.inTransaction) throw error;
          writer.runNow("ROLLBACK TO unit");
          writer.runNow("RELEASE unit");
          outcomes.push({ ok: false, error });
        }
      }
      writer.runNow("COMMIT");
    } catch (commitError) {
      if (this.database.inTransaction) {
        try {
          writer.runNow("ROLLBACK");
        } catch {
          // the fault that stopped the commit says more
        }
      }
      const error = asStoreError(commitError);
      for (const item of batch) item.reject(error);
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
}

/**
 * The writer as a unit sees it: once SQLite has ended the batch's transaction on its own after a
 * fault (disk full, an I/O error), every statement is refused, since it would run outside any
 * transaction and commit alone, and a SAVEPOINT would even open a new one.
 */
class BatchSql implements Sql {
  readonly dialect = "sqlite" as const;

  constructor(private readonly writer: SqliteSql) {}

  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.ended() ?? this.writer.all<R>(sql, params);
  }

  get<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined> {
    return this.ended() ?? this.writer.get<R>(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<RunResult> {
    return this.ended() ?? this.writer.run(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.ended() ?? this.writer.exec(script);
  }

  private ended(): Promise<never> | undefined {
    return this.writer.db.inTransaction ? undefined : Promise.reject(transactionEnded());
  }
}

function transactionEnded(): StoreUnavailableError {
  return new StoreUnavailableError("SQLite ended the transaction after a fault: nothing of this batch is written.");
}

/** Opens a SQLite file as a Store (see SqliteStore); migrations are the caller's next step. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(file, options);
}

// The Sql seam on one better-sqlite3 connection: statements prepared once per text and kept, SQLite's
// own faults turned into StoreUnavailableError. Synchronous underneath: every promise is settled by
// the time the call returns to the event loop.
import BetterSqlite3 from "better-sqlite3";
import { StoreUnavailableError } from "../errors.js";
import type { RunResult, Sql } from "../store.js";

/** Prepared statements kept per connection; the SQL texts are a fixed set, this bounds the odd dynamic one. */
const MAX_CACHED_STATEMENTS = 500;

export class SqliteSql implements Sql {
  readonly dialect = "sqlite" as const;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly db: BetterSqlite3.Database) {}

  all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      return Promise.resolve(this.prepare(sql).all(...params) as R[]);
    } catch (error) {
      return Promise.reject(asStoreError(error));
    }
  }

  get<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    try {
      return Promise.resolve(this.prepare(sql).get(...params) as R | undefined);
    } catch (error) {
      return Promise.reject(asStoreError(error));
    }
  }

  run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    try {
      const statement = this.prepare(sql);
      // A statement that returns rows (RETURNING) is run for its effect all the same.
      if (statement.reader) return Promise.resolve({ changes: statement.all(...params).length });
      return Promise.resolve({ changes: statement.run(...params).changes });
    } catch (error) {
      return Promise.reject(asStoreError(error));
    }
  }

  exec(script: string): Promise<void> {
    try {
      this.db.exec(script);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(asStoreError(error));
    }
  }

  /** Runs a statement now, synchronously (the committer's BEGIN, SAVEPOINT and COMMIT). */
  runNow(sql: string): void {
    this.prepare(sql).run();
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (statement) return statement;
    statement = this.db.prepare(sql);
    if (this.statements.size >= MAX_CACHED_STATEMENTS) {
      // The oldest entry: Map order is insertion order.
      this.statements.delete(this.statements.keys().next().value as string);
    }
    this.statements.set(sql, statement);
    return statement;
  }
}

/**
 * True for a failure of the database itself rather than of the work given to it: locked past the
 * busy timeout, disk full, an I/O error, out of memory.
 */
export function isSqliteFault(error: unknown): boolean {
  if (!(error instanceof BetterSqlite3.SqliteError)) return false;
  return /^SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM|CANTOPEN)/.test(error.code);
}

/** SQLite's faults as the seam's one error type; any other error (a constraint, bad SQL) as it is. */
export function asStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isSqliteFault(error)) return error;
  const code = (error as { code: string }).code;
  return new StoreUnavailableError(`The SQLite database failed (${code}): ${(error as Error).message}`, { cause: error, code });
}

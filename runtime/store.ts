// The storage seam: what the runtime (and the application's own tables) need from a database, and
// nothing of any driver. SQL is written once, with `?` placeholders, in the subset that SQLite and
// PostgreSQL share; the few statements that differ ask `dialect`. Two drivers implement it:
// runtime/sqlite/ (the embedded default) and runtime/postgres/ (DATABASE_URL, shared by replicas).
//
// Two ways in, and one rule between them:
// - `store.read` runs single statements on committed data. It never sees a unit's writes before
//   that unit's transaction is durable (SQLite: a second connection; PostgreSQL: the pool).
// - `store.submit(unit)` queues a unit of work for the next group commit: every unit ready at once
//   runs in one transaction, each in its own savepoint, and its promise settles only once that
//   transaction is durable. A unit does database work only (no network, no timers): on SQLite it
//   holds the one write lock while it runs.

export type Dialect = "sqlite" | "postgres";

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/**
 * One connection's worth of SQL, or one unit's transaction. Parameters are positional (`?`);
 * values are strings, numbers (64-bit integers come back as JS numbers), null, or Buffers. No
 * statement may hold a `?` inside a string literal.
 */
export interface Sql {
  readonly dialect: Dialect;
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  get<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>;
  /** A script of statements without parameters (schema migrations). */
  exec(script: string): Promise<void>;
}

/** A unit's handle on the shared transaction. Refuses every call once its unit has settled. */
export interface Tx extends Sql {
  /**
   * Runs `work` in a savepoint of its own: when it throws, what it wrote is undone and the error is
   * rethrown; the rest of the unit goes on.
   */
  savepoint<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** A piece of database work run inside the shared transaction, in its own savepoint. */
export type Unit<T> = (tx: Tx) => Promise<T>;

export interface CommitStats {
  commits: number;
  units: number;
}

export interface Store {
  readonly dialect: Dialect;
  /** Committed data only (see the top of this file). */
  readonly read: Sql;
  /**
   * Queues `unit` for the next shared transaction. Resolves with its result once committed; rejects
   * with the unit's own error (its savepoint rolled back, the others still commit), or with a
   * StoreUnavailableError when the commit itself failed (nothing of the batch was written).
   */
  submit<T>(unit: Unit<T>): Promise<T>;
  /** Commits whatever is queued now, and resolves when it is durable. */
  flush(): Promise<void>;
  /** Commits what is queued, refuses further work and closes the connections. */
  close(): Promise<void>;
  readonly stats: CommitStats;
}

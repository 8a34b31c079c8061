// The Store on PostgreSQL (DATABASE_URL): a pool of connections, whose reads see committed data
// only, and a group committer that runs every unit ready at once in one transaction on one pooled
// client, one batch at a time, so units commit in the order they were submitted.
//
// A batch: BEGIN and SAVEPOINT unit in one round trip; each unit in turn; after a unit, RELEASE and
// a new SAVEPOINT (one round trip), or ROLLBACK TO the savepoint when it threw, which also recovers
// the transaction PostgreSQL aborts on any failed statement; the last RELEASE rides the COMMIT.
//
// A connection lost while COMMIT was on its way leaves the outcome unknown: the units reject with
// CommitOutcomeUnknownError (a StoreUnavailableError), and the batch may be durable after all. A
// caller may retry only work that is idempotent (an insert keyed by its id with ON CONFLICT DO
// NOTHING, an upsert, an update by key to given values), and must read back from the database
// whatever it keeps in memory about that work instead of trusting it.
import pg from "pg";
import { CommitOutcomeUnknownError, StoreUnavailableError } from "../errors.js";
import type { CommitStats, Store, Tx, Unit } from "../store.js";
import { UnitTx } from "../unit-tx.js";
import { CommitQueue, type Queued } from "../commit-queue.js";
import { PostgresListener, type Subscription } from "./postgres-listener.js";
import { PostgresSql, asStoreError, isConnectionLoss, isPostgresFault, storeTypeParsers } from "./postgres-sql.js";
import { describePostgresUrl } from "./postgres-url.js";

export interface PostgresStoreOptions {
  /** Connections in the pool: one commits batches, the others serve reads. Default 10. */
  poolSize?: number;
  /** Shown in pg_stat_activity, to tell this store's connections apart. Default "media-tracker". */
  applicationName?: string;
  /** How long opening a connection may take before it counts as a fault. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * The server ends a session left this long inside a transaction without a statement (a process
   * frozen mid-batch: SIGSTOP, a swapped-out VM), so that its row locks, which hold off the takeover
   * of its chats by other replicas, go. Default 5 s; 0 turns it off.
   */
  idleInTransactionTimeoutMs?: number;
}


type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A statement of a unit failed and the unit went on: PostgreSQL had aborted the transaction. */
function isInFailedTransaction(error: unknown): boolean {
  return (error as { code?: unknown }).code === "25P02";
}

/** pg refuses a statement on a client whose connection had already failed: it never left. */
function wasNeverSent(error: unknown): boolean {
  const cause = error instanceof StoreUnavailableError ? error.cause : error;
  return cause instanceof Error && /not queryable/.test(cause.message);
}

function wentOnAfterFailure(cause: unknown): Error {
  return new Error(
    "A statement of this unit failed and the unit went on: PostgreSQL had aborted its transaction, so the unit is undone. " +
      "Run a statement whose failure is expected inside tx.savepoint().",
    { cause },
  );
}

export class PostgresStore implements Store {
  readonly dialect = "postgres" as const;
  readonly read: PostgresSql;
  readonly stats: CommitStats = { commits: 0, units: 0 };
  private readonly units = new CommitQueue((batch) => this.commitBatch(batch));
  private listener: PostgresListener | undefined;
  private coordinationPool: pg.Pool | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    /** "host:port/database", for messages. */
    readonly target: string,
  ) {
    this.read = new PostgresSql(pool);
    // An idle pooled connection that drops (a server restart) is removed by the pool, which then
    // emits 'error': without a listener that would end the process. The next query connects anew.
    pool.on("error", () => undefined);
  }

  submit<T>(work: Unit<T>): Promise<T> {
    return this.units.submit(work);
  }

  flush(): Promise<void> {
    return this.units.flush();
  }

  async close(): Promise<void> {
    if (this.units.closed) return;
    this.units.refuse();
    await this.flush();
    await this.listener?.close();
    await this.coordinationPool?.end();
    await this.pool.end();
  }

  /**
   * Single statements on two connections of their own, for the replicas' leases and send rate: a
   * heartbeat must never queue behind the pool's reads and batches, or a busy process would miss it,
   * lose its chats to another process and have their replies in flight sent twice.
   */
  get coordination(): PostgresSql {
    if (!this.coordinationPool) {
      const pool = new pg.Pool({ ...this.clientConfig, application_name: `${this.clientConfig.application_name} leases`, max: 2 });
      pool.on("error", () => undefined);
      this.coordinationPool = pool;
      this.coordinationSql = new PostgresSql(pool);
    }
    return this.coordinationSql!;
  }

  private coordinationSql: PostgresSql | undefined;

  /**
   * Calls `onNotify` with the payload of every NOTIFY on `channel` once its transaction commits
   * (see `notify`), on a connection of its own that is re-connected after a drop; `onReconnect`
   * then says that notifications may have been missed. Resolves with the function that stops it.
   */
  listen(channel: string, onNotify: (payload: string) => void, options: { onReconnect?: () => void } = {}): Promise<() => Promise<void>> {
    if (this.units.closed) return Promise.reject(new Error("The database is closed; no more subscriptions are taken."));
    this.listener ??= new PostgresListener({ ...this.clientConfig, application_name: `${this.clientConfig.application_name} listener` });
    const subscription: Subscription = { onNotify, onReconnect: options.onReconnect };
    return this.listener.listen(channel, subscription);
  }

  /**
   * Queues a notification on `channel` inside a unit: listeners hear it when the unit's batch
   * commits, and never when it rolls back. The payload is at most 8000 bytes.
   */
  async notify(tx: Tx, channel: string, payload: string): Promise<void> {
    if (tx.dialect !== "postgres") throw new Error("notify needs a unit of a PostgreSQL store.");
    await tx.get("SELECT pg_notify(?, ?)", [channel, payload]);
  }

  /** Runs every queued unit in one transaction, each in its own savepoint, then commits once. */
  private async commitBatch(batch: Queued[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      const fault = new StoreUnavailableError(`Could not reach PostgreSQL at ${this.target}: ${reasonOf(error)}`, { cause: error });
      for (const item of batch) item.reject(fault);
      return;
    }
    // A checked-out client has no 'error' listener of the pool's: without one, the server ending
    // the connection between two statements would end the process. The next statement fails instead.
    let lost: Error | undefined;
    const onLost = (error: Error) => {
      lost ??= error;
    };
    client.on("error", onLost);
    const connection = new PostgresSql(client);
    let outcomes: Outcome[];
    try {
      outcomes = await this.runUnits(connection, batch);
      await this.commit(connection, outcomes);
    } catch (error) {
      // Unless the COMMIT's answer was lost, nothing was committed: roll back what is left open.
      if (!(error instanceof CommitOutcomeUnknownError)) await connection.exec("ROLLBACK").catch(() => undefined);
      this.release(client, onLost, lost ?? error);
      const fault = asStoreError(error);
      for (const item of batch) item.reject(fault);
      return;
    }
    this.release(client, onLost, lost);
    this.stats.commits += 1;
    this.stats.units += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  /**
   * Runs the units in the open transaction and returns what each gave. After the last one, its
   * savepoint is left for `commit` to release. Throws when the transaction itself failed (the
   * connection lost): then no unit's outcome counts.
   */
  private async runUnits(connection: PostgresSql, batch: Queued[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    await connection.exec("BEGIN; SAVEPOINT unit");
    for (let i = 0; i < batch.length; i++) {
      const tx = new UnitTx(connection);
      let outcome: Outcome;
      try {
        outcome = { ok: true, value: await batch[i]!.work(tx) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      tx.close();
      const last = i === batch.length - 1;
      if (!outcome.ok) {
        // Undoes the unit and keeps the savepoint, which then covers the next unit.
        await connection.exec("ROLLBACK TO SAVEPOINT unit");
      } else if (!last) {
        try {
          await connection.exec("RELEASE SAVEPOINT unit; SAVEPOINT unit");
        } catch (error) {
          if (!isInFailedTransaction(error)) throw error;
          outcome = { ok: false, error: wentOnAfterFailure(error) };
          await connection.exec("ROLLBACK TO SAVEPOINT unit");
        }
      }
      outcomes.push(outcome);
    }
    return outcomes;
  }

  /**
   * Commits, releasing the last unit's savepoint in the same round trip. When that unit left the
   * transaction aborted, the RELEASE fails and the COMMIT is skipped with it: that unit is undone
   * (its outcome replaced) and the others commit.
   */
  private async commit(connection: PostgresSql, outcomes: Outcome[]): Promise<void> {
    const last = outcomes.length - 1;
    if (!outcomes[last]!.ok) return this.sendCommit(connection, "COMMIT");
    try {
      await this.sendCommit(connection, "RELEASE SAVEPOINT unit; COMMIT");
    } catch (error) {
      if (!isInFailedTransaction(error)) throw error;
      outcomes[last] = { ok: false, error: wentOnAfterFailure(error) };
      await connection.exec("ROLLBACK TO SAVEPOINT unit");
      await this.sendCommit(connection, "COMMIT");
    }
  }

  /** A COMMIT that may have reached the server without its answer coming back fails as CommitOutcomeUnknownError. */
  private async sendCommit(connection: PostgresSql, statement: string): Promise<void> {
    try {
      await connection.exec(statement);
    } catch (error) {
      if (!isConnectionLoss(error) || wasNeverSent(error)) throw error;
      throw new CommitOutcomeUnknownError(
        `The connection to PostgreSQL at ${this.target} was lost during COMMIT: the batch may or may not be written.`,
        { cause: error },
      );
    }
  }

  /** Hands the client back; one whose connection failed is closed instead of reused. */
  private release(client: pg.PoolClient, onLost: (error: Error) => void, failure: unknown): void {
    client.removeListener("error", onLost);
    client.release(isConnectionLoss(failure) ? (failure as Error) : undefined);
  }
}

/**
 * Opens a pool on `url` and checks that it can connect. When it cannot, the error names the host
 * and database, never the password: StoreUnavailableError when the server is down, unreachable or
 * full (it may come back), a plain Error when it refuses (a wrong user, no such database).
 * Migrations are the caller's next step.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const target = describePostgresUrl(url);
  const clientConfig: pg.ClientConfig = {
    connectionString: url,
    application_name: options.applicationName ?? "media-tracker",
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // Notices a server that vanished without closing the connection (a host gone, a cut cable).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 5_000,
    types: storeTypeParsers(),
  };
  const pool = new pg.Pool({ ...clientConfig, max: options.poolSize ?? 10 });
  const store = new PostgresStore(pool, clientConfig, target);
  try {
    // On the pool itself: the driver's own error says best why.
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    const message = `Could not connect to PostgreSQL at ${target}: ${reasonOf(error)}`;
    // A server that is down or full can come back; a wrong user or a missing database will not.
    if (error instanceof pg.DatabaseError && !isPostgresFault(error)) throw new Error(message, { cause: error });
    throw new StoreUnavailableError(message, { cause: error });
  }
  return store;
}

/** What went wrong, in a few words: Node's error for a refused connection to "localhost" has no message, only a code. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message || (error as NodeJS.ErrnoException).code || error.name;
}

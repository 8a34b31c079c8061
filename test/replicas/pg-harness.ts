// PostgreSQL for the replica tests: a scratch database per test file, pools that stand for separate
// processes, the seam's Sql over a pool, and a batch of units in one transaction (each in its own
// savepoint, as the stores' group commit runs them). When no server answers, the files skip with a
// notice on stderr.
import pg from "pg";
import type { RunResult, Sql, Tx } from "../../runtime/store.js";
import { UnitTx } from "../../runtime/unit-tx.js";
import { REPLICA_MIGRATIONS } from "../../runtime/replicas/replica-schema.js";

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** True when the server answers within 2 s; otherwise prints why `what` is skipped. */
export async function postgresReachable(what: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (error) {
    process.stderr.write(`PostgreSQL not reachable at ${redact(ADMIN_URL)} (${(error as Error).message}): skipping the ${what} tests.\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new empty database on the test server, dropped (with any session still on it) by `drop`. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `mt_h6_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface PoolOptions {
  /** Default 4. */
  max?: number;
  /** Default "mt-replica-test": how a test finds the pool's sessions to end them. */
  applicationName?: string;
  /** The server ends a session left inside a transaction this long (a frozen process). */
  idleInTransactionMs?: number;
}

/** A pool whose int8 values come back as JS numbers, as the seam promises. */
export function openPool(url: string, options: PoolOptions = {}): pg.Pool {
  const types = new pg.TypeOverrides();
  types.setTypeParser(20, (text: string) => Number(text));
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 4,
    types,
    application_name: options.applicationName ?? "mt-replica-test",
    idle_in_transaction_session_timeout: options.idleInTransactionMs,
  });
  pool.on("error", () => undefined); // an idle client killed by a test
  return pool;
}

/** The seam's Sql over a pool (each statement commits on its own) or one client (inside its transaction). */
export class PgSql implements Sql {
  readonly dialect = "postgres" as const;

  constructor(private readonly connection: pg.Pool | pg.PoolClient | pg.Client) {}

  async all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.query(sql, params)).rows as R[];
  }

  async get<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.query(sql, params)).rows[0] as R | undefined;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  async exec(script: string): Promise<void> {
    await this.connection.query(script);
  }

  private query(sql: string, params: readonly unknown[]): Promise<pg.QueryResult> {
    // The statements of these tests hold no '?' in a literal.
    let n = 0;
    return this.connection.query(sql.replace(/\?/g, () => `$${++n}`), params as unknown[]);
  }
}

/**
 * Runs `units` in one transaction on one client of `pool`, each in its own savepoint: a unit that
 * throws has its writes undone and its error reported, the others commit. Like a group commit.
 */
export async function runBatch(pool: pg.Pool, units: Array<(tx: Tx) => Promise<unknown>>): Promise<PromiseSettledResult<unknown>[]> {
  const client = await pool.connect();
  const sql = new PgSql(client);
  const results: PromiseSettledResult<unknown>[] = [];
  try {
    await client.query("BEGIN");
    for (const unit of units) {
      const tx = new UnitTx(sql);
      await client.query("SAVEPOINT unit");
      try {
        results.push({ status: "fulfilled", value: await unit(tx) });
        await client.query("RELEASE SAVEPOINT unit");
      } catch (error) {
        results.push({ status: "rejected", reason: error });
        await client.query("ROLLBACK TO SAVEPOINT unit");
      } finally {
        tx.close();
      }
    }
    await client.query("COMMIT");
    return results;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** One unit in a transaction of its own. */
export async function runUnit<T>(pool: pg.Pool, unit: (tx: Tx) => Promise<T>): Promise<T> {
  const [result] = await runBatch(pool, [unit]);
  if (result!.status === "rejected") throw result!.reason;
  return result!.value as T;
}

/**
 * The runtime tables the replica statements read (inbox, outbox, timers, as in the runtime's own
 * schema), plus the replica tables from REPLICA_MIGRATIONS.
 */
export async function applySchema(sql: Sql): Promise<void> {
  await sql.exec(`
    CREATE TABLE inbox (
      seq BIGSERIAL PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      agent_key TEXT NOT NULL,
      kind TEXT NOT NULL,
      payload_json TEXT NOT NULL,
      fingerprint TEXT,
      status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'parked')),
      attempts BIGINT NOT NULL DEFAULT 0,
      last_error TEXT,
      received_at_ms BIGINT NOT NULL,
      completed_at_ms BIGINT
    );
    CREATE INDEX inbox_pending ON inbox (agent_key, seq) WHERE status = 'pending';
    CREATE TABLE outbox (
      id BIGSERIAL PRIMARY KEY,
      agent_key TEXT NOT NULL,
      message_id TEXT NOT NULL,
      payload_json TEXT NOT NULL,
      status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
      attempts BIGINT NOT NULL DEFAULT 0,
      next_attempt_at_ms BIGINT NOT NULL,
      created_at_ms BIGINT NOT NULL,
      sent_at_ms BIGINT,
      result_json TEXT,
      last_error TEXT
    );
    CREATE INDEX outbox_unsent ON outbox (agent_key, id) WHERE status IN ('pending', 'sending');
    CREATE TABLE timers (
      id TEXT PRIMARY KEY,
      agent_key TEXT NOT NULL,
      kind TEXT NOT NULL,
      payload_json TEXT NOT NULL,
      fire_at_ms BIGINT NOT NULL,
      armed_at_ms BIGINT NOT NULL DEFAULT 0,
      fired_at_ms BIGINT,
      canceled_at_ms BIGINT
    );
    CREATE INDEX timers_armed ON timers (fire_at_ms) WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL;
  `);
  for (const migration of REPLICA_MIGRATIONS) await sql.exec(migration.sql);
}

/** Stores a pending inbox message (what accept does), for the scans to find. */
export async function storeMessage(sql: Sql, id: string, agentKey: string): Promise<void> {
  await sql.run(
    `INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES (?, ?, 'text', '{}', 0) ON CONFLICT (id) DO NOTHING`,
    [id, agentKey],
  );
}

/** Ends every session of `applicationName` on the server, as a crash or a network cut would. */
export async function terminateSessions(sql: Sql, applicationName: string): Promise<number> {
  const rows = await sql.all<{ ended: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()`,
    [applicationName],
  );
  return rows.length;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

// PostgreSQL for the replica tests: stores that stand for separate processes on the file's test
// database (test/support/postgres.ts makes it, or skips the file with a notice), the runtime's and
// the replicas' tables, a transaction held open by hand, and sessions ended as a crash would.
import pg from "pg";
import { type PostgresStore, openPostgresStore } from "../../runtime/postgres/postgres-store.js";
import { PostgresSql, storeTypeParsers } from "../../runtime/postgres/postgres-sql.js";
import { RUNTIME_MIGRATIONS } from "../../runtime/postgres/runtime-schema.js";
import { REPLICA_MIGRATIONS } from "../../runtime/replicas/replica-schema.js";
import type { Sql, Tx } from "../../runtime/store.js";
import { UnitTx } from "../../runtime/unit-tx.js";

/** A store as one replica process would open it; `applicationName` finds its sessions in pg_stat_activity. */
export function openReplicaStore(url: string, applicationName = "mt-replica-test", poolSize = 3): Promise<PostgresStore> {
  return openPostgresStore(url, { poolSize, applicationName });
}

/** An empty schema with the runtime's tables and the replicas' (REPLICA_MIGRATIONS appended, as the integrator will). */
export async function resetSchema(store: PostgresStore): Promise<void> {
  await store.submit((tx) => tx.exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`));
  for (const migration of [...RUNTIME_MIGRATIONS, ...REPLICA_MIGRATIONS]) await store.submit((tx) => tx.exec(migration.sql));
}

export interface OpenTransaction {
  /** The unit's handle, inside a transaction that stays open until `commit`. */
  tx: Tx;
  commit(): Promise<void>;
}

/** A transaction held open by hand: a unit of a batch that has not committed yet. */
export async function openTransaction(url: string): Promise<OpenTransaction> {
  const client = new pg.Client({ connectionString: url, types: storeTypeParsers() });
  client.on("error", () => undefined);
  await client.connect();
  await client.query("BEGIN");
  const tx = new UnitTx(new PostgresSql(client));
  return {
    tx,
    async commit() {
      tx.close();
      await client.query("COMMIT");
      await client.end();
    },
  };
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

/**
 * The same database with a server-side limit on sessions left inside a transaction (a process
 * frozen mid-batch), as the wiring notes of runtime/replicas/chat-leases.ts advise.
 */
export function withIdleInTransactionTimeout(url: string, ms: number): string {
  const parsed = new URL(url);
  parsed.searchParams.set("options", `-c idle_in_transaction_session_timeout=${ms}`);
  return parsed.toString();
}

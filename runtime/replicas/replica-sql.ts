// SQL pieces the replica modules share: the database's clock, the advisory-lock namespace, and the
// check that a connection is PostgreSQL (replicas exist only there; the SQLite default is one process).
import type { Sql } from "../store.js";

/**
 * The database server's wall clock in epoch milliseconds. Every lease and rate decision reads this
 * clock, never a process's, so replicas with skewed clocks agree on when a lease expires.
 * clock_timestamp() (not now()) moves on within a transaction and after a lock wait.
 */
export const DB_NOW_MS = `(floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint`;

// Advisory locks take two int4 keys: the first says which of our locks it is, so that other users of
// the server's advisory locks (and our two kinds) never collide; the second names the thing locked.
/** (POLLER_LOCK_SPACE, 1): held for its session by the one process that polls Telegram. */
export const POLLER_LOCK_SPACE = 0x6d74_0001;
/** (ORPHAN_SCAN_LOCK_SPACE, hashtext(agent key)): held by an orphan scan for its one statement. */
export const ORPHAN_SCAN_LOCK_SPACE = 0x6d74_0002;

export function requirePostgres(sql: Sql, what: string): void {
  if (sql.dialect !== "postgres") {
    throw new Error(`${what} coordinates replicas on PostgreSQL; a ${sql.dialect} database runs one process and needs none of it.`);
  }
}

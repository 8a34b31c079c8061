// The Sql seam over the pg driver: the pool (committed reads) or one pooled client (a batch's
// transaction). Placeholders are rewritten, rows come back as plain objects with 64-bit integers as
// JS numbers, and the database's own faults become StoreUnavailableError.
//
// Two differences from SQLite that SQL written once must respect: PostgreSQL folds unquoted names to
// lower case, so a camelCase alias must be quoted (`agent_key AS "agentKey"`, which SQLite reads the
// same); and it aborts the whole transaction on any failed statement, so a statement whose failure
// a unit means to survive goes inside `tx.savepoint()`.
import pg from "pg";
import { StoreUnavailableError } from "../errors.js";
import type { RunResult, Sql } from "../store.js";
import { toNumberedPlaceholders } from "./postgres-placeholders.js";

const INT8_OID = 20;

/**
 * The type parsers of the store's own connections: int8 (bigint, COUNT(*), BIGSERIAL keys) as a JS
 * number, as the seam promises, instead of pg's default string. Given to each pool, never set on
 * the global pg.types, which other code in the process may rely on.
 */
export function storeTypeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, parseInt8);
  return types;
}

function parseInt8(text: string): number {
  const value = Number(text);
  // Past 2^53 a JS number cannot hold the value: refuse rather than hand back a different one.
  if (!Number.isSafeInteger(value)) throw new RangeError(`A 64-bit integer from the database (${text}) is too large for a JS number.`);
  return value;
}

/** Something to run queries on: the pool or one checked-out client. */
export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

export class PostgresSql implements Sql {
  readonly dialect = "postgres" as const;

  constructor(private readonly connection: Queryable) {}

  async all<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.query(sql, params)).rows as R[];
  }

  async get<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.query(sql, params)).rows[0] as R | undefined;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  /** Runs a script of statements with the simple query protocol, which takes many at once. */
  async exec(script: string): Promise<void> {
    try {
      await this.connection.query(script);
    } catch (error) {
      throw asStoreError(error);
    }
  }

  private async query(sql: string, params: readonly unknown[]): Promise<pg.QueryResult> {
    try {
      // Without parameters pg uses the simple protocol, which would take several statements and
      // answer with a list of results: the last one is the answer.
      const result = (await this.connection.query(toNumberedPlaceholders(sql), params as unknown[])) as pg.QueryResult | pg.QueryResult[];
      return Array.isArray(result) ? result[result.length - 1]! : result;
    } catch (error) {
      throw asStoreError(error);
    }
  }
}

/** SQLSTATEs of a failure of the database rather than of the statement; see isPostgresFault. */
const FAULT_STATES = new Set([
  "57P01", // admin_shutdown: the server or an administrator ended the connection
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or shutting down
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available (lock_timeout)
  "57014", // query_canceled (statement_timeout)
]);
/** Whole SQLSTATE classes: 08 connection exceptions, 53 insufficient resources (disk full, out of memory, too many connections). */
const FAULT_CLASSES = ["08", "53"];
/** Node's own errors on the way to the server. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** pg's own words for a connection that died or never came. */
const LOST_CONNECTION = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect/;

/**
 * True for a failure of the database itself rather than of the work given to it: the server gone,
 * restarting or out of resources, the connection lost, a deadlock or a lock or statement timeout.
 * The same work can succeed later.
 */
export function isPostgresFault(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    const state = error.code ?? "";
    return FAULT_STATES.has(state) || FAULT_CLASSES.some((prefix) => state.startsWith(prefix));
  }
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && SOCKET_CODES.has(code)) || LOST_CONNECTION.test(error.message);
}

/**
 * True when the failure may have happened after the server received a statement, with no answer
 * coming back: the connection was lost, the server ended it. A plain error answer (a constraint, a
 * serialization failure) means the statement was refused, and is false.
 */
export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return isConnectionLoss(error.cause);
  if (error instanceof pg.DatabaseError) {
    const state = error.code ?? "";
    return state.startsWith("08") || state.startsWith("57P0");
  }
  return isPostgresFault(error);
}

/** PostgreSQL's faults as the seam's one error type; any other error (a constraint, bad SQL) as it is. */
export function asStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isPostgresFault(error)) return error;
  const state = error instanceof pg.DatabaseError ? ` (${error.code})` : "";
  return new StoreUnavailableError(`The PostgreSQL database failed${state}: ${(error as Error).message}`, { cause: error });
}

// A throwaway PostgreSQL database for a chaos run with replicas: created on the server the URL names
// (its own database is only the door), dropped after the run unless it is kept to look into.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describePostgresUrl, postgresUrlFor } from "../../runtime/postgres/postgres-url.js";

/** The server used when none is given: the one the tests use. */
export const DEFAULT_POSTGRES_SERVER = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TempPostgres {
  /** The new database's URL (DATABASE_URL for the bots). */
  url: string;
  /** Where it is, without a password, for the report. */
  where: string;
  drop(): Promise<void>;
}

/** Thrown when no PostgreSQL answers at the server URL: the run cannot start. */
export class NoPostgresError extends Error {
  constructor(server: string, cause: unknown) {
    super(
      `No PostgreSQL answered at ${describePostgresUrl(server)} (${cause instanceof Error ? cause.message || cause.name : String(cause)}): ` +
        "chaos with --replicas needs one; start it, or give another server with --postgres <url>.",
    );
    this.name = "NoPostgresError";
  }
}

export async function createTempPostgres(server: string = DEFAULT_POSTGRES_SERVER): Promise<TempPostgres> {
  const name = `mt_chaos_${process.pid}_${randomBytes(4).toString("hex")}`;
  try {
    await administer(server, `CREATE DATABASE "${name}"`);
  } catch (error) {
    if (error instanceof pg.DatabaseError) throw error;
    throw new NoPostgresError(server, error);
  }
  const url = postgresUrlFor(server, name);
  return {
    url,
    where: describePostgresUrl(url),
    drop: () => administer(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** One statement on the server's own database (CREATE and DROP DATABASE cannot run in a transaction). */
async function administer(server: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 5_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end().catch(() => undefined);
  }
}

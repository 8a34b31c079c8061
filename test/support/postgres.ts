// A fresh PostgreSQL database per test file, on the server TEST_DATABASE_URL names (the local one by
// default), dropped after the file. Without a server that answers, the file's PostgreSQL tests are
// skipped, and postgres-skip-reporter.ts says so in one line at the end of the run.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { describePostgresUrl, postgresUrlFor } from "../../runtime/postgres/postgres-url.js";

declare module "vitest" {
  interface TaskMeta {
    /** Set on tests skipped because no PostgreSQL answered: where it was looked for. */
    postgresUnreachable?: string;
  }
}

/** The server the tests use; its own database is only the door to create and drop theirs. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** How long a server may take to answer before the PostgreSQL tests are skipped. */
const PROBE_TIMEOUT_MS = 2_000;

let probe: Promise<boolean> | undefined;

/** Whether a PostgreSQL server answers at TEST_DATABASE_URL; asked once per test process. */
export function postgresAvailable(): Promise<boolean> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("SELECT 1");
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

export interface TestDatabase {
  /** False when no server answered: the tests of `describe` are skipped. */
  readonly available: boolean;
  /** The file's own database; valid in tests and hooks (the file's first beforeAll creates it). */
  readonly url: string;
  /** `describe` for tests that need the database: skipped, and counted for the notice, without one. */
  describe(name: string, body: () => void): void;
}

/**
 * Call once per file, at its top level (`const database = await withTestDatabase()`): when a server
 * answers, registers the file's hooks that create its database (mt_test_<pid>_<random>) and drop it
 * after the file, connections and all.
 */
export async function withTestDatabase(): Promise<TestDatabase> {
  const available = await postgresAvailable();
  const name = `mt_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  let created = false;
  if (available) {
    beforeAll(async () => {
      await administer(`CREATE DATABASE "${name}"`);
      created = true;
    });
    afterAll(async () => {
      if (created) await administer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  }
  return {
    available,
    get url() {
      if (!created) throw new Error("The test database is made in the file's beforeAll: read its url inside a test or hook.");
      return postgresUrlFor(TEST_DATABASE_URL, name);
    },
    describe(suiteName, body) {
      if (available) describe(suiteName, body);
      else describe.skip(suiteName, { meta: { postgresUnreachable: describePostgresUrl(TEST_DATABASE_URL) } }, body);
    },
  };
}

/** Runs one statement on the server's own database (CREATE and DROP DATABASE cannot run in a transaction). */
async function administer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 10_000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

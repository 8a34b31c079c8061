// The bench's PostgreSQL: a database per measured start, named so that an interrupted run's leftovers
// say whose they were, dropped with its connections; the server's backends for it found by their
// process titles, so that their CPU counts in what an update costs.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { describePostgresUrl } from "../../runtime/postgres/postgres-url.js";
import { TEST_DATABASE_URL, postgresAvailable } from "../support/postgres.js";

// The bench reads its server from BENCH_DATABASE_URL when the module loads: the tests' server here.
process.env.BENCH_DATABASE_URL = TEST_DATABASE_URL;
const { BackendCpu, backendDatabase, benchDatabaseName, createBenchDatabase, dropBenchDatabases } = await import("../../bench/postgres.js");

describe("backendDatabase", () => {
  it("reads the database from a backend's process title, with or without a cluster name", () => {
    const padded = (title: string) => `${title}${"\0".repeat(40)}`;
    expect(backendDatabase(padded("postgres: 15/main: postgres mt_bench_12_3 127.0.0.1(54962) idle"))).toBe("mt_bench_12_3");
    expect(backendDatabase("postgres: bot media_tracker 10.0.0.7(40110) UPDATE waiting")).toBe("media_tracker");
    expect(backendDatabase("postgres: 15/main: postgres mt_bench_12_3 [local] idle")).toBe("mt_bench_12_3");
  });

  it("finds no database in the server's own processes or in other programs", () => {
    expect(backendDatabase("postgres: 15/main: checkpointer ")).toBeUndefined();
    expect(backendDatabase("postgres: 15/main: logical replication launcher ")).toBeUndefined();
    expect(backendDatabase("postgres: walwriter")).toBeUndefined();
    expect(backendDatabase("/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib/postgresql/15/main\0")).toBeUndefined();
    expect(backendDatabase("node\0src/launch.mjs\0")).toBeUndefined();
  });
});

describe("benchDatabaseName", () => {
  it("names the bench's process and the database's number", () => {
    expect(benchDatabaseName(4242, 7)).toBe("mt_bench_4242_7");
  });
});

const reachable = await postgresAvailable();
const withServer = reachable
  ? describe
  : (name: string, body: () => void) => describe.skip(name, { meta: { postgresUnreachable: describePostgresUrl(TEST_DATABASE_URL) } }, body);

withServer("a bench database on the server", () => {
  async function exists(name: string): Promise<boolean> {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      return (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
    } finally {
      await admin.end();
    }
  }

  it("is made fresh, its backends' CPU is counted, and it is dropped with a connection still open", async () => {
    const database = await createBenchDatabase();
    expect(database.name).toMatch(new RegExp(`^mt_bench_${process.pid}_\\d+$`));
    expect(await exists(database.name)).toBe(true);
    const client = new pg.Client({ connectionString: database.url });
    client.on("error", () => undefined); // its connection is ended by the drop
    await client.connect();
    const cpu = new BackendCpu(database.name);
    const before = cpu.seconds();
    // Work enough for the backend to spend some CPU ticks (10 ms each).
    await client.query("SELECT count(*) FROM generate_series(1, 3000000)");
    expect(cpu.seconds()).toBeGreaterThan(before);
    await database.drop();
    expect(await exists(database.name)).toBe(false);
    await client.end().catch(() => undefined);
  });

  it("leaves none behind when the bench drops what is left", async () => {
    const made = [await createBenchDatabase(), await createBenchDatabase()];
    await dropBenchDatabases();
    for (const database of made) expect(await exists(database.name)).toBe(false);
  });
});

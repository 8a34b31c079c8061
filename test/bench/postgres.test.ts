// The bench's PostgreSQL: a database per measured start, named so that an interrupted run's leftovers
// say whose they were, dropped with its connections; the server's backends for it found by their
// process titles, so that their CPU counts in what an update costs.
import { spawnSync } from "node:child_process";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { describePostgresUrl } from "../../runtime/postgres/postgres-url.js";
import { TEST_DATABASE_URL, postgresAvailable } from "../support/postgres.js";

// The bench reads its server from BENCH_DATABASE_URL when the module loads: the tests' server here.
process.env.BENCH_DATABASE_URL = TEST_DATABASE_URL;
const {
  BackendCpu, backendDatabase, benchDatabaseName, benchDatabasePid, createBenchDatabase, dropBenchDatabases, dropLeftoverBenchDatabases,
} = await import("../../bench/postgres.js");

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
  it("names the bench's process and the database's number, and the pid is read back from it alone", () => {
    expect(benchDatabaseName(4242, 7)).toBe("mt_bench_4242_7");
    expect(benchDatabasePid("mt_bench_4242_7")).toBe(4242);
    expect(benchDatabasePid("mt_test_4242_ab12")).toBeUndefined();
    expect(benchDatabasePid("mt_bench_4242_7_copy")).toBeUndefined();
  });
});

const reachable = await postgresAvailable();
const withServer = reachable
  ? describe
  : (name: string, body: () => void) => describe.skip(name, { meta: { postgresUnreachable: describePostgresUrl(TEST_DATABASE_URL) } }, body);

withServer("a bench database on the server", () => {
  async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
  const exists = (name: string) => admin(async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1);

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

  it("drops what a killed bench left behind, and keeps a running bench's databases", async () => {
    const gone = spawnSync(process.execPath, ["-e", ""]).pid; // a process that has exited
    const orphan = benchDatabaseName(gone, 1);
    const running = benchDatabaseName(process.ppid, 999_999); // a live process's
    await admin(async (c) => {
      await c.query(`CREATE DATABASE "${orphan}"`);
      await c.query(`CREATE DATABASE "${running}"`);
    });
    try {
      expect(await dropLeftoverBenchDatabases()).toContain(orphan);
      expect(await exists(orphan)).toBe(false);
      expect(await exists(running)).toBe(true);
    } finally {
      await admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${orphan}" WITH (FORCE)`);
        await c.query(`DROP DATABASE IF EXISTS "${running}" WITH (FORCE)`);
      });
    }
  });
});

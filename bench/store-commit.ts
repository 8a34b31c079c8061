// Group-commit throughput of the two stores: N single-insert units submitted at once, SQLite (a temp
// file, synchronous FULL) beside PostgreSQL (a database of its own, dropped after). Prints units/s,
// the median of the runs, and the commits it took.
//
//   npx tsx bench/store-commit.ts                      10,000 units, 3 runs each
//   npx tsx bench/store-commit.ts --units 2000 --runs 5
//   BENCH_DATABASE_URL=postgres://… npx tsx bench/store-commit.ts
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { openPostgresStore } from "../runtime/postgres/postgres-store.js";
import { describePostgresUrl, postgresUrlFor } from "../runtime/postgres/postgres-url.js";
import { openSqliteStore } from "../runtime/sqlite/sqlite-store.js";
import type { Store } from "../runtime/store.js";

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

interface Run {
  unitsPerSecond: number;
  commits: number;
}

/** Submits `units` single-row inserts in one turn and times them until the last is committed. */
async function measure(store: Store, units: number, createTable: string): Promise<Run> {
  await store.submit((tx) => tx.exec(createTable));
  const commitsBefore = store.stats.commits;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: units }, (_, i) => store.submit((tx) =>
    tx.run("INSERT INTO items (name, received_at_ms) VALUES (?, ?)", [`item ${i}`, Date.now()]))));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { unitsPerSecond: units / seconds, commits: store.stats.commits - commitsBefore };
}

async function sqliteRun(units: number): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "store-bench-"));
  const store = openSqliteStore(path.join(dir, "bench.db"));
  try {
    return await measure(store, units, "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, received_at_ms INTEGER NOT NULL)");
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresRun(url: string, units: number): Promise<Run> {
  const store = await openPostgresStore(url, { poolSize: 2, applicationName: "store-bench" });
  try {
    return await measure(store, units, "DROP TABLE IF EXISTS items; CREATE TABLE items (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, received_at_ms BIGINT NOT NULL)");
  } finally {
    await store.close();
  }
}

async function administer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.unitsPerSecond - b.unitsPerSecond);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function line(name: string, runs: Run[]): string {
  const m = median(runs);
  const all = runs.map((r) => Math.round(r.unitsPerSecond)).join(", ");
  return `${name.padEnd(11)} ${Math.round(m.unitsPerSecond).toString().padStart(7)} units/s (median; runs: ${all}), ${m.commits} commits`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { units: { type: "string", default: "10000" }, runs: { type: "string", default: "3" } } });
  const units = Number(values.units);
  const runs = Number(values.runs);
  const sqlite: Run[] = [];
  const postgres: Run[] = [];
  const database = `mt_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
  let postgresUrl: string | undefined;
  try {
    await administer(`CREATE DATABASE "${database}"`);
    postgresUrl = postgresUrlFor(SERVER_URL, database);
  } catch (error) {
    process.stderr.write(`PostgreSQL not reachable at ${describePostgresUrl(SERVER_URL)} (${(error as Error).message}): SQLite only\n`);
  }
  try {
    // Taking turns, so that a slow moment of the machine does not fall on one store only.
    for (let i = 0; i < runs; i++) {
      sqlite.push(await sqliteRun(units));
      if (postgresUrl) postgres.push(await postgresRun(postgresUrl, units));
    }
  } finally {
    if (postgresUrl) await administer(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
  console.log(`${units} single-insert units submitted at once, ${runs} runs each`);
  console.log(line("SQLite", sqlite));
  if (postgres.length > 0) console.log(line("PostgreSQL", postgres));
}

await main();

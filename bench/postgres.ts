// The PostgreSQL the bench's ours-pg systems run on: the server BENCH_DATABASE_URL names (the local
// one by default), a fresh database per measured start (mt_bench_<pid>_<n>), dropped with its
// connections once the system stopped; and the CPU its server processes spend for that database,
// which is part of what an update costs there.
import fs from "node:fs";
import pg from "pg";
import { describePostgresUrl, postgresUrlFor } from "../runtime/postgres/postgres-url.js";
import { processCpuSeconds } from "./proc.js";

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL?.trim() || "postgres://postgres@127.0.0.1:5432/postgres";

/** How long the server may take to answer before the PostgreSQL systems are left out. */
const PROBE_TIMEOUT_MS = 3_000;

/** Where the bench looks for PostgreSQL, said without a password. */
export const benchServer = (): string => describePostgresUrl(BENCH_DATABASE_URL);

let probe: Promise<string | undefined> | undefined;

/** Why no database can be made on the bench's server, or undefined when one can; asked once per run. */
export function postgresUnreachable(): Promise<string | undefined> {
  probe ??= administer("SELECT 1", PROBE_TIMEOUT_MS).then(
    () => undefined,
    (error: unknown) => `no PostgreSQL answered at ${benchServer()} (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); set BENCH_DATABASE_URL`,
  );
  return probe;
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** Drops it, with whatever connections are still open to it. */
  drop(): Promise<void>;
}

let made = 0;
/** Databases made and not yet dropped: an interrupted bench drops them on its way out. */
const live = new Set<BenchDatabase>();

/** The n-th database of this bench process: digits and underscores only, so it needs no quoting rules. */
export function benchDatabaseName(pid: number, n: number): string {
  return `mt_bench_${pid}_${n}`;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = benchDatabaseName(process.pid, ++made);
  await administer(`CREATE DATABASE "${name}"`);
  const database: BenchDatabase = {
    name,
    url: postgresUrlFor(BENCH_DATABASE_URL, name),
    async drop() {
      live.delete(database);
      await administer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
  live.add(database);
  return database;
}

/** Drops every database this bench made that is still there (after a failure or an interrupt). */
export async function dropBenchDatabases(): Promise<void> {
  await Promise.allSettled([...live].map((d) => d.drop()));
}

/**
 * The pid in the name of a bench database (see benchDatabaseName), or undefined for any other
 * database.
 */
export function benchDatabasePid(name: string): number | undefined {
  const match = /^mt_bench_(\d+)_\d+$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Drops the bench databases a bench killed outright left behind (SIGKILL gives it no chance to drop
 * them): those whose bench process is gone. Only on a server on this machine, where the pids in the
 * names are this machine's; another bench running here keeps its own. Returns the names dropped.
 */
export async function dropLeftoverBenchDatabases(): Promise<string[]> {
  const host = new URL(BENCH_DATABASE_URL).hostname;
  if (!["127.0.0.1", "localhost", "[::1]", ""].includes(host)) return [];
  const rows = await query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'mt\\_bench\\_%'");
  const leftovers = rows.map((r) => r.datname).filter((name) => {
    const pid = benchDatabasePid(name);
    return pid !== undefined && pid !== process.pid && !processAlive(pid);
  });
  for (const name of leftovers) await administer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  return leftovers;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // there, but another user's
  }
}

/** One statement on the server's own database (CREATE and DROP DATABASE cannot run in a transaction). */
async function administer(statement: string, timeoutMs = 10_000): Promise<void> {
  await query(statement, timeoutMs);
}

async function query<Row extends pg.QueryResultRow>(statement: string, timeoutMs = 10_000): Promise<Row[]> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.query<Row>(statement)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The database a PostgreSQL backend serves, read from the title the server gives its process
 * ("postgres: 15/main: user database host(port) state"; "postgres: user database …" without a
 * cluster name), or undefined for the server's own processes (checkpointer, walwriter, …).
 */
export function backendDatabase(cmdline: string): string | undefined {
  const title = cmdline.replace(/\0/g, " ").trim();
  if (!title.startsWith("postgres: ")) return undefined;
  const words = title.slice("postgres: ".length).split(/\s+/);
  // With a cluster name the title's first word ends in a colon.
  const [user, database, client] = words[0]?.endsWith(":") ? words.slice(1) : words;
  // A backend's third word is its client: host(port), or [local] on a Unix socket.
  if (!user || !database || !client || !/\(\d+\)$|^\[local\]$/.test(client)) return undefined;
  return database;
}

/**
 * CPU seconds the server's backends spent for `database`, read from /proc (the server runs on this
 * machine; elsewhere this stays 0). Backends come and go with the bot's pools: each one seen is
 * counted up to the last time it was seen, so the figure never goes back.
 */
export class BackendCpu {
  private readonly seen = new Map<number, number>();

  constructor(private readonly database: string) {}

  seconds(): number {
    let pids: string[];
    try {
      pids = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
    } catch {
      return 0; // not Linux
    }
    for (const pid of pids) {
      let cmdline: string;
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue; // gone meanwhile
      }
      if (backendDatabase(cmdline) !== this.database) continue;
      const cpu = processCpuSeconds(Number(pid));
      if (cpu > 0) this.seen.set(Number(pid), cpu); // 0: gone since its title was read
    }
    let sum = 0;
    for (const s of this.seen.values()) sum += s;
    return sum;
  }
}

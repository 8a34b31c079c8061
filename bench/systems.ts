// The systems the bench compares, started the same way: a child process tree that takes Telegram
// webhook POSTs on HOST:PORT/telegram, checks the secret header, answers GET /healthz once ready,
// and sends its replies to the fake Bot API. Ours runs with synchronous=FULL (its default); the peers
// keep their own packages under bench/peers/<name>/ and are installed on first use. ours-pg is our
// bot on a fresh PostgreSQL database (bench/postgres.ts), ours-pg3 three of its processes on one,
// each on its own port, the updates spread over them.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BackendCpu, type BenchDatabase, createBenchDatabase, postgresUnreachable } from "./postgres.js";
import { RssSampler, processTree, treeCpuSeconds } from "./proc.js";
import { buildBundle, isStale } from "../src/build.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SECRET = "bench-secret_0123456789";
export const WEBHOOK_PATH = "/telegram";
const READY_TIMEOUT_MS = 60_000;
/**
 * The V8 flags of `npm start` (package.json): a bounded heap makes V8 collect before it grows past
 * what a bot needs, and young generation semi-spaces of 8 MB instead of 16 keep 17 MB less resident
 * under load, for about 5% more CPU per ingested update in scavenges (4 MB: 5 MB less again, ~10% CPU).
 */
const OUR_NODE_FLAGS = ["--max-old-space-size=160", "--max-semi-space-size=8"];

type Peer = "grammy" | "restate";
type OnPostgres = "ours-pg" | "ours-pg3";
export type SystemName = "ours" | Peer | OnPostgres;
export const SYSTEMS: readonly SystemName[] = ["ours", "grammy", "restate", "ours-pg", "ours-pg3"];
/** Our bot on PostgreSQL, and how many processes share its database. */
export const POSTGRES_PROCESSES: Record<OnPostgres, number> = { "ours-pg": 1, "ours-pg3": 3 };
export const onPostgres = (name: SystemName): name is OnPostgres => name in POSTGRES_PROCESSES;
/** Our bot, on whichever database: it paces sends when asked and counts its commits on /metrics. */
export const isOurs = (name: SystemName): boolean => name === "ours" || onPostgres(name);

export const LABELS: Record<SystemName, string> = {
  ours: "media-tracker",
  grammy: "grammY peer",
  restate: "Restate peer",
  "ours-pg": "PostgreSQL ×1",
  "ours-pg3": "PostgreSQL ×3",
};

export interface StartOptions {
  apiRoot: string;
  token: string;
  /** Folder for the system's storage (ours: bot.db; peers: whatever they keep). */
  dataDir: string;
  /** Ours only: Telegram's send limits (`TELEGRAM_RATE_LIMIT`). The peers never pace. */
  rateLimit?: "on" | "off";
  /** Ours only: write a V8 CPU profile of the main thread here. */
  profileDir?: string;
  /** Ours only: run on this PostgreSQL database (`DATABASE_URL`) instead of dataDir's SQLite file. */
  databaseUrl?: string;
}

export interface Running {
  name: SystemName;
  /** The (first) process and the port it takes webhook POSTs on. */
  pid: number;
  port: number;
  /** Every process of the system and its port: one, or ours-pg3's three. */
  pids: number[];
  ports: number[];
  /** performance-independent wall clock (Date.now()) when the process was spawned and when /healthz first answered 200. */
  spawnedAt: number;
  readyAt: number;
  /** CPU seconds so far: the process trees', and on PostgreSQL its server's backends for the system's database. */
  cpuSeconds(): number;
  /** On PostgreSQL: the part of cpuSeconds() its server's backends spent. */
  databaseCpuSeconds?(): number;
  /** The process trees' resident memory (not the PostgreSQL server's). */
  sampleRss(): RssSampler;
  /** SIGTERM and wait (SIGKILL after 20 s); a PostgreSQL system's database is dropped after. */
  stop(): Promise<void>;
  /** Output lines kept for error messages. */
  tail: string[];
}

function peerDir(name: Peer): string {
  return path.join(ROOT, "bench", "peers", name);
}

/**
 * Why a system cannot run here, or undefined when it can. A peer's packages are installed on its
 * first use (see installPeer); a peer that cannot be installed, or whose server binary is not there
 * for this platform, is named with the reason and the bench goes on without it.
 */
export async function prepare(name: SystemName, say: (line: string) => void): Promise<string | undefined> {
  if (name === "ours") return undefined;
  if (onPostgres(name)) return postgresUnreachable();
  const dir = peerDir(name);
  if (!fs.existsSync(path.join(dir, "package.json"))) return `bench/peers/${name} is missing`;
  try {
    installPeer(name, say);
  } catch (error) {
    return `its packages could not be installed (npm ci in bench/peers/${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
  }
  if (name === "restate") {
    // The server is a native binary from a per-platform package (see the peer's restate-server.ts).
    const binary = `@restatedev/restate-server-${process.platform}-${process.arch}`;
    try {
      createRequire(path.join(dir, "package.json")).resolve(`${binary}/bin/restate-server`);
    } catch {
      return `restate-server has no binary for ${process.platform}-${process.arch} here (${binary} is not installed in bench/peers/restate)`;
    }
  }
  return undefined;
}

/**
 * Installs a peer's own packages the first time (or after its lockfile changed). Install scripts are
 * skipped and better-sqlite3's native module is taken from the project's own install when it is the
 * same version: building it from source takes minutes on a small machine, and is the same file.
 */
function installPeer(name: Peer, say: (line: string) => void): void {
  const dir = peerDir(name);
  const lock = path.join(dir, "package-lock.json");
  const stamp = path.join(dir, "node_modules", ".package-lock.json");
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  say(`bench: installing the ${LABELS[name]}'s packages (npm ci in bench/peers/${name}, first use only)`);
  const npm = (args: string[]) => execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  npm(["ci", "--ignore-scripts"]);
  const theirs = path.join(dir, "node_modules", "better-sqlite3");
  if (fs.existsSync(theirs)) {
    const ours = path.join(ROOT, "node_modules", "better-sqlite3");
    const version = (p: string) => (JSON.parse(fs.readFileSync(path.join(p, "package.json"), "utf8")) as { version: string }).version;
    if (fs.existsSync(path.join(ours, "build")) && version(ours) === version(theirs)) {
      fs.cpSync(path.join(ours, "build"), path.join(theirs, "build"), { recursive: true });
    } else {
      npm(["rebuild", "better-sqlite3"]);
    }
  }
  if (fs.existsSync(path.join(dir, "node_modules", "esbuild"))) npm(["rebuild", "esbuild"]);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function command(name: "ours" | Peer, options: StartOptions, port: number): Promise<{ args: string[]; cwd: string; env: NodeJS.ProcessEnv }> {
  const common = {
    TELEGRAM_BOT_TOKEN: options.token,
    TELEGRAM_API_ROOT: options.apiRoot,
    HOST: "127.0.0.1",
    PORT: String(port),
    WEBHOOK_SECRET: SECRET,
  };
  if (name === "ours") {
    // `npm start` runs the bundle `npm ci` built; after a source edit, build it again first.
    if (!options.profileDir && isStale()) await buildBundle();
    return {
      // As `npm start` runs it (package.json). Profiled, the same code runs through tsx instead of the
      // bundle, so that each sample names its source file.
      args: options.profileDir
        ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`, ...OUR_NODE_FLAGS, "--import", "tsx", "src/main.ts"]
        : [...OUR_NODE_FLAGS, "src/launch.mjs"],
      cwd: ROOT,
      env: {
        ...common,
        WEBHOOK_URL: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
        DATABASE_PATH: path.join(options.dataDir, "bot.db"),
        // With DATABASE_URL the bot refuses scheduled backups (pg_dump's job), whatever a local .env says.
        ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl, BACKUP_EVERY_HOURS: "off" } : {}),
        TELEGRAM_RATE_LIMIT: options.rateLimit ?? "off",
        LOG_LEVEL: "warn",
        OPENAI_API_KEY: "", // the LLM stays off whatever a local .env says (set variables win over .env)
        ALLOWED_USER_IDS: "",
      },
    };
  }
  const env: NodeJS.ProcessEnv = { ...common, WEBHOOK_PATH, DATA_DIR: options.dataDir };
  if (name === "restate") {
    env.RESTATE_INGRESS_PORT = String(await freePort());
    env.RESTATE_ADMIN_PORT = String(await freePort());
    env.RESTATE_NODE_PORT = String(await freePort());
    env.SERVICE_PORT = String(await freePort());
  }
  return { args: ["--import", "tsx", name === "grammy" ? "bot.ts" : "start.ts"], cwd: peerDir(name), env };
}

/**
 * Starts a system and resolves once its /healthz answers 200 (every process's, for ours-pg3). A
 * PostgreSQL system gets a database of its own, dropped when it stops.
 */
export async function startSystem(name: SystemName, options: StartOptions): Promise<Running> {
  if (!onPostgres(name)) return startProcess(name, options, LABELS[name]);
  const processes = POSTGRES_PROCESSES[name];
  const database = await createBenchDatabase();
  const started: Running[] = [];
  try {
    // One after the other: the first migrates the new database, the others find it ready.
    for (let i = 0; i < processes; i++) {
      started.push(await startProcess("ours", { ...options, databaseUrl: database.url }, processes > 1 ? `${LABELS[name]}, process ${i + 1}` : LABELS[name]));
    }
  } catch (error) {
    await Promise.all(started.map((p) => p.stop()));
    await database.drop();
    throw error;
  }
  return onePostgresSystem(name, started, database);
}

/** Processes of our bot on one database, seen as one system: CPU and memory summed, stopped together. */
function onePostgresSystem(name: SystemName, processes: Running[], database: BenchDatabase): Running {
  const backends = new BackendCpu(database.name);
  const first = processes[0]!;
  const pids = processes.map((p) => p.pid);
  return {
    name,
    pid: first.pid,
    port: first.port,
    pids,
    ports: processes.map((p) => p.port),
    spawnedAt: first.spawnedAt,
    readyAt: Math.max(...processes.map((p) => p.readyAt)),
    tail: first.tail,
    cpuSeconds: () => processes.reduce((sum, p) => sum + p.cpuSeconds(), 0) + backends.seconds(),
    databaseCpuSeconds: () => backends.seconds(),
    sampleRss: () => new RssSampler(pids),
    async stop() {
      try {
        await Promise.all(processes.map((p) => p.stop()));
      } finally {
        await database.drop();
      }
    },
  };
}

/** Starts one process of a system (`label` names it in errors) and resolves once its /healthz answers 200. */
async function startProcess(name: "ours" | Peer, options: StartOptions, label: string): Promise<Running> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const port = await freePort();
  const { args, cwd, env } = await command(name, options, port);
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  children.add(child);
  void exited.then(() => children.delete(child));

  const deadline = spawnedAt + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${label} exited during start-up (${child.exitCode ?? child.signalCode}):\n${tail.join("\n")}`);
    }
    if ((await getStatus(port, "/healthz")) === 200) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${label} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${tail.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const readyAt = Date.now();
  const pid = child.pid!;
  return {
    name,
    pid,
    port,
    pids: [pid],
    ports: [port],
    spawnedAt,
    readyAt,
    tail,
    cpuSeconds: () => treeCpuSeconds(pid),
    sampleRss: () => new RssSampler([pid]),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Every system still running, killed if the bench itself is interrupted. */
const children = new Set<ChildProcess>();
export function killAll(): void {
  for (const child of children) {
    // The whole tree: the Restate peer's server is a grandchild.
    for (const pid of child.pid ? processTree(child.pid).reverse() : []) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

function getStatus(port: number, urlPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
  });
}

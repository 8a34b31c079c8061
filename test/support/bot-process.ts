// Runs the real bot (bundled, as `npm start` runs it) as a child process for crash tests: webhook
// mode against a fake Bot API, a fixed port and database file so that a restart finds its work again.
// A crash point (MT_CRASH_AT) makes the child SIGKILL itself; `exited` reports it.
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { botBundle } from "./bot-bundle.js";

/** The repository root, found from this file so the working directory does not matter. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface StartBotOptions {
  /** The fake Bot API's root, e.g. "http://127.0.0.1:54321". */
  apiRoot: string;
  token: string;
  dbPath: string;
  port: number;
  secret: string;
  /** MT_CRASH_AT for this start, e.g. "message.before-handle@3". */
  crashAt?: string;
  /** More environment variables (override the defaults). */
  env?: Record<string, string>;
  /** Resolve only once GET /healthz answers 200 (default). When false, resolve at once: see `ready`. */
  waitUntilReady?: boolean;
  /** How long to wait for readiness. Default 15 s. */
  readyTimeoutMs?: number;
  /**
   * What node runs, relative to the repository root. Default: the bundled bot as `npm start` runs
   * it, built from the current sources into a temp folder (bot-bundle.ts); it also restarts several
   * times faster than tsx.
   */
  nodeArgs?: string[];
  /** The program to run with `nodeArgs` instead of node itself, e.g. "npm" (then nodeArgs ["start"]). */
  command?: string;
  /**
   * Run it in a process group of its own and signal the whole group, as systemd does: `npm start`'s
   * shell does not pass SIGTERM on to node, so signalling npm alone would leave the bot running.
   */
  processGroup?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type PostResult = { status: number; body: string } | "connection-failed";

export interface BotProcess {
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:<port>/telegram */
  readonly webhookUrl: string;
  /** POSTs an update with the secret header. A connection that fails or dies resolves "connection-failed". */
  post(update: unknown): Promise<PostResult>;
  /** GETs a path on the bot's HTTP server (e.g. "/metrics"). */
  get(path: string): Promise<PostResult>;
  /**
   * Waits until the bot has nothing left to do: /metrics shows no pending inbox message and no
   * undelivered (pending or in-flight) outbox row. Rejects if the child exits first or on timeout.
   */
  waitIdle(timeoutMs?: number): Promise<void>;
  /** Resolves when /healthz first answers 200; rejects if the child exits or the timeout passes first. */
  readonly ready: Promise<void>;
  /** Resolves once the child has exited and its output pipes are closed. */
  readonly exited: Promise<ExitInfo>;
  /** Set once the child has exited. */
  readonly exitInfo: ExitInfo | undefined;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`, default 10 s, and rejects). */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** stdout and stderr as captured so far (the last 64 KB of each). */
  output(): string;
}

const live = new Set<ChildProcess>();
/** Children started as a process group leader: signalled as a group. */
const groups = new WeakSet<ChildProcess>();
const OUTPUT_LIMIT = 64 * 1024;

/** Environment variables a test run might inherit that would change what the bot does. */
const SCRUBBED = /^(MT_CRASH_AT|WEBHOOK_|TELEGRAM_|OPENAI_|ALLOWED_USER_IDS$|DATABASE_PATH$|HOST$|PORT$|LOG_LEVEL$)/;

export async function startBot(options: StartBotOptions): Promise<BotProcess> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !SCRUBBED.test(k)) env[k] = v;
  // vitest sets NODE_ENV=test and VITEST*; harmless, but keep the child as close to production as we can.
  for (const k of Object.keys(env)) if (k.startsWith("VITEST")) delete env[k];
  const webhookUrl = `http://127.0.0.1:${options.port}/telegram`;
  Object.assign(env, {
    TELEGRAM_BOT_TOKEN: options.token,
    TELEGRAM_API_ROOT: options.apiRoot,
    WEBHOOK_URL: webhookUrl,
    WEBHOOK_SECRET: options.secret,
    HOST: "127.0.0.1",
    PORT: String(options.port),
    DATABASE_PATH: options.dbPath,
    TELEGRAM_RATE_LIMIT: "off",
    LOG_LEVEL: "warn",
    // No test reaches the real title providers and no new-episode check runs (no check's messages counted);
    // a test that needs them turns METADATA on with the fakes' roots.
    METADATA: "off",
    ...(options.crashAt ? { MT_CRASH_AT: options.crashAt } : {}),
    ...options.env,
  });

  const child = spawn(options.command ?? process.execPath, options.nodeArgs ?? [await botBundle()], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.processGroup ?? false,
  });
  live.add(child);
  if (options.processGroup) groups.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout = (stdout + chunk).slice(-OUTPUT_LIMIT);
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-OUTPUT_LIMIT);
  });

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("close", (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      resolve(exitInfo);
    });
    child.once("error", (error) => {
      stderr += `\n[spawn error] ${String(error)}`;
      exitInfo = { code: null, signal: null };
      live.delete(child);
      resolve(exitInfo);
    });
  });

  const output = () =>
    [
      `--- bot pid ${child.pid ?? "?"} (MT_CRASH_AT=${options.crashAt ?? ""}) exit=${exitInfo ? JSON.stringify(exitInfo) : "running"}`,
      `--- stderr:\n${stderr.trim() || "(empty)"}`,
      `--- stdout:\n${stdout.trim() || "(empty)"}`,
    ].join("\n");

  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const ready = (async () => {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exitInfo) throw new Error(`The bot exited before it was ready.\n${output()}`);
      if ((await healthz(options.port)) === 200) return;
      if (Date.now() > deadline) throw new Error(`The bot was not ready within ${readyTimeoutMs} ms.\n${output()}`);
      await sleep(25);
    }
  })();
  // Callers that do not wait for readiness must not get an unhandled rejection from it.
  ready.catch(() => undefined);

  const bot: BotProcess = {
    pid: child.pid ?? -1,
    port: options.port,
    webhookUrl,
    post: (update) => postJson(webhookUrl, update, options.secret),
    get: (path) => request(options.port, path),
    async waitIdle(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last = "";
      for (;;) {
        if (exitInfo) throw new Error(`The bot exited while waiting for it to be idle.\n${output()}`);
        const res = await request(options.port, "/metrics");
        if (res !== "connection-failed" && res.status === 200) {
          const inbox = gaugeValue(res.body, "media_tracker_inbox_pending");
          const outbox = gaugeValue(res.body, "media_tracker_outbox_pending");
          last = `inbox_pending=${inbox} outbox_pending=${outbox}`;
          if (inbox === 0 && outbox === 0) return;
        }
        if (Date.now() > deadline) throw new Error(`The bot was not idle within ${timeoutMs} ms (${last}).\n${output()}`);
        await sleep(20);
      }
    },
    ready,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    kill(signal = "SIGKILL") {
      if (!exitInfo && child.exitCode === null && child.signalCode === null) signalChild(child, signal);
    },
    async stop(timeoutMs = 10_000) {
      bot.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const outcome = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        bot.kill("SIGKILL");
        await exited;
        throw new Error(`The bot did not stop within ${timeoutMs} ms of SIGTERM (killed).\n${output()}`);
      }
      return outcome;
    },
    output,
  };

  if (options.waitUntilReady ?? true) {
    try {
      await ready;
    } catch (error) {
      bot.kill("SIGKILL");
      await exited;
      throw error;
    }
  }
  return bot;
}

/** SIGKILLs every bot child this module started that is still running (for afterEach/afterAll). */
export async function killAllBots(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(new Promise((resolve) => child.once("close", resolve)));
      signalChild(child, "SIGKILL");
    }
  }
  await Promise.all(waits);
}

function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (groups.has(child) && child.pid !== undefined) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  } else {
    child.kill(signal);
  }
}

/** A TCP port that was free a moment ago: bind port 0 on 127.0.0.1, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("freePort: no port"))));
    });
  });
}

// ---------------------------------------------------------------------------------------------

/** A fresh connection per request (no keep-alive pool that could hold a socket of a dead child). */
function postJson(url: string, body: unknown, secret: string): Promise<PostResult> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": data.length,
          connection: "close",
          "x-telegram-bot-api-secret-token": secret,
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", () => resolve("connection-failed"));
        res.on("aborted", () => resolve("connection-failed"));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve("connection-failed"));
    req.end(data);
  });
}

async function healthz(port: number): Promise<number | undefined> {
  const res = await request(port, "/healthz", 1000);
  return res === "connection-failed" ? undefined : res.status;
}

function request(port: number, path: string, timeoutMs = 5000): Promise<PostResult> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", () => resolve("connection-failed"));
      res.on("aborted", () => resolve("connection-failed"));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve("connection-failed"));
  });
}

/** The value of an unlabelled Prometheus gauge in a /metrics body, or undefined. */
function gaugeValue(body: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(body);
  return match ? Number(match[1]) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Webhook ingest benchmark: how fast the bot acknowledges updates at production durability
// (SQLite synchronous=FULL, the openDatabase default), and how long until each reply reaches the
// (fake) Bot API. The bot runs as a child process (`node --import tsx src/main.ts`) so the load
// generator and the fake Bot API (both in this process) do not share its CPU thread.
//
//   npm run bench                          20,000 updates, 64 connections
//   npm run bench -- --updates 5000 --concurrency 32
//   npm run bench -- --profile             also CPU-profile the bot and print its top functions
//   npm run bench -- --json-only           only the final JSON line on stdout
//
// Phases: warm-up (500 updates on their own chats, not counted, replies awaited), then "ingest"
// (N updates over 5,000 chats from `concurrency` keep-alive connections; acknowledgement = the 200
// the webhook answers after the inbox commit), then "end to end" (until every ingest update's reply
// has reached the fake Bot API; a chat's k-th POST is matched with its k-th reply).
// Bot logs (LOG_LEVEL=warn) go to stderr; stdout holds the table and one final JSON line.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type FakeBotApi, makeTextUpdate, startFakeBotApi } from "../test/support/fake-bot-api.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SECRET = "bench-secret_0123456789";
const CHATS = 5_000;
const WARMUP_UPDATES = 500;
const BENCH_CHAT_BASE = 1_000_000; // bench chats: BENCH_CHAT_BASE + 1 … + CHATS
const WARMUP_CHAT_BASE = 9_000_000; // warm-up chats, kept apart so they never match a bench POST
const TEXT = "hello"; // not a command: the agent answers with one "I didn't understand that…" message
const E2E_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Flags

interface Options {
  updates: number;
  concurrency: number;
  jsonOnly: boolean;
  profile: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      updates: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "64" },
      "json-only": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log("usage: npm run bench -- [--updates N] [--concurrency C] [--json-only] [--profile]");
    process.exit(0);
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${text}`);
    return n;
  };
  return {
    updates: int("updates", values.updates, 1),
    concurrency: int("concurrency", values.concurrency, 1),
    jsonOnly: values["json-only"],
    profile: values.profile,
  };
}

// ---------------------------------------------------------------------------------------------
// Bot child process

interface Bot {
  child: ChildProcess;
  port: number;
  /** Last lines the child wrote (stdout and stderr), for error messages. */
  tail: string[];
  exited: Promise<number | null>;
}

async function freePort(): Promise<number> {
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

async function startBot(fake: FakeBotApi, dbDir: string, profileDir: string | undefined): Promise<Bot> {
  const port = await freePort();
  const args = [
    ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
    "--import",
    "tsx",
    "src/main.ts",
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      WEBHOOK_URL: `http://127.0.0.1:${port}/telegram`,
      WEBHOOK_SECRET: SECRET,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_PATH: path.join(dbDir, "bench.db"),
      TELEGRAM_RATE_LIMIT: "off",
      LOG_LEVEL: "warn",
      OPENAI_API_KEY: "", // the LLM stays off whatever a local .env says (set variables win over .env)
      ALLOWED_USER_IDS: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const bot: Bot = { child, port, tail, exited };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the bot exited during start-up (code ${child.exitCode}):\n${tail.join("\n")}`);
    if ((await getStatus(`http://127.0.0.1:${port}/healthz`)) === 200) return bot;
    if (Date.now() > deadline) throw new Error(`the bot was not ready within ${READY_TIMEOUT_MS} ms:\n${tail.join("\n")}`);
    await sleep(50);
  }
}

function getStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** SIGTERM (a clean stop, which also writes a --cpu-prof profile), SIGKILL after 15 s. */
async function stopBot(bot: Bot): Promise<void> {
  if (bot.child.exitCode !== null || bot.child.signalCode !== null) return;
  bot.child.kill("SIGTERM");
  const timer = setTimeout(() => bot.child.kill("SIGKILL"), 15_000);
  await bot.exited;
  clearTimeout(timer);
}

/** Peak resident set (VmHWM) in MB, Linux only. */
function peakRssMB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return kb ? round(Number(kb[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

/** user+system CPU seconds the process has used so far, Linux only. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (all cores), Linux only. */
function machineJiffies(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is inside user)
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Load generation

interface Sent {
  chatId: number;
  /** performance.now() when the request was started / answered. */
  start: number;
  end: number;
  /** Date.now() at the start, comparable with the fake Bot API's RecordedCall.at. */
  startEpoch: number;
  status: number; // 0: transport error
}

interface PhaseResult {
  sent: Sent[];
  wallMs: number;
  connections: number;
  errors: string[];
  firstStartEpoch: number;
}

function buildBodies(firstUpdateId: number, count: number, chatBase: number, chats: number): Array<{ chatId: number; body: Buffer }> {
  const out: Array<{ chatId: number; body: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    const chatId = chatBase + 1 + (i % chats);
    out.push({ chatId, body: Buffer.from(JSON.stringify(makeTextUpdate(firstUpdateId + i, chatId, TEXT))) });
  }
  return out;
}

function post(agent: http.Agent, port: number, body: Buffer, sockets: Set<unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/telegram",
        method: "POST",
        agent,
        headers: {
          "Content-Type": "application/json",
          "Content-Length": body.length,
          "X-Telegram-Bot-Api-Secret-Token": SECRET,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("socket", (s) => sockets.add(s));
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends every body from `concurrency` workers over one keep-alive agent, each worker one request at a time. */
async function runPhase(port: number, bodies: Array<{ chatId: number; body: Buffer }>, concurrency: number): Promise<PhaseResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const sockets = new Set<unknown>();
  const sent: Sent[] = new Array(bodies.length);
  const errors: string[] = [];
  let next = 0;
  const t0 = performance.now();
  const firstStartEpoch = Date.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      const { chatId, body } = bodies[i]!;
      const startEpoch = Date.now();
      const start = performance.now();
      let status = 0;
      try {
        status = await post(agent, port, body, sockets);
      } catch (error) {
        if (errors.length < 10) errors.push(String(error));
      }
      sent[i] = { chatId, start, end: performance.now(), startEpoch, status };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
  const wallMs = performance.now() - t0;
  agent.destroy();
  return { sent, wallMs, connections: sockets.size, errors, firstStartEpoch };
}

// ---------------------------------------------------------------------------------------------
// Replies at the fake Bot API

/** Collects sendMessage calls for a range of chats as they arrive, scanning only new calls. */
class ReplyWatcher {
  private cursor = 0;
  /** Arrival times (Date.now()) of replies, per chat, in arrival order. */
  readonly byChat = new Map<number, number[]>();
  count = 0;
  last = 0;

  constructor(private readonly fake: FakeBotApi, private readonly lo: number, private readonly hi: number) {}

  scan(): void {
    const calls = this.fake.calls;
    for (; this.cursor < calls.length; this.cursor++) {
      const call = calls[this.cursor]!;
      if (call.method !== "sendMessage") continue;
      const chatId = Number(call.params.chat_id);
      if (!(chatId > this.lo && chatId <= this.hi)) continue;
      let list = this.byChat.get(chatId);
      if (!list) this.byChat.set(chatId, (list = []));
      list.push(call.at);
      this.count += 1;
      this.last = Math.max(this.last, call.at);
    }
  }

  async waitForCount(expected: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.scan();
      if (this.count >= expected) return true;
      if (Date.now() > deadline) return false;
      await sleep(10);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary

interface ProfileEntry {
  fn: string;
  where: string;
  ms: number;
  pct: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

interface ProfileSummary {
  file: string;
  /** The sampled window: the ingest phase when it could be placed (same monotonic clock), else the whole run. */
  window: "ingest" | "whole run";
  sampledMs: number;
  idlePct: number;
  /** Top functions by self time, idle excluded; pct is of all sampled time in the window. */
  self: ProfileEntry[];
  /** The project's own functions (src/, runtime/, agents/) by inclusive time. */
  inclusive: ProfileEntry[];
}

/**
 * Reads the bot's main-thread .cpuprofile. V8 stamps samples with the monotonic clock in µs, which on
 * Linux is the same clock as process.hrtime() here, so the ingest phase can be cut out exactly.
 */
function summarizeProfile(dir: string, top: number, windowUs: [number, number] | undefined): ProfileSummary | undefined {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")) : [];
  if (files.length === 0) return undefined;
  // One profile per thread (tsx's loader hooks run in a worker); the main thread's is CPU.<…>.<pid>.0.<n>.
  const main = files.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const file = path.join(dir, main ?? files.sort((a, b) => fs.statSync(path.join(dir, b)).size - fs.statSync(path.join(dir, a)).size)[0]!);
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const inWindow = windowUs !== undefined && windowUs[0] >= profile.startTime && windowUs[1] <= profile.endTime;

  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frameKey = (id: number) => {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const fn = functionName || "(anonymous)";
    // tsx's transpiled line numbers do not match the .ts sources: name the file only.
    const where = !url ? "" : /\.[cm]?ts$/.test(url) ? shortUrl(url) : `${shortUrl(url)}:${lineNumber + 1}`;
    return { key: `${fn}@${where}`, fn, where, own: url.startsWith(`file://${ROOT}/`) && !url.includes("/node_modules/") };
  };

  const selfUs = new Map<string, { fn: string; where: string; us: number }>();
  const inclUs = new Map<string, { fn: string; where: string; us: number }>();
  const add = (map: typeof selfUs, k: { key: string; fn: string; where: string }, us: number) => {
    const e = map.get(k.key) ?? { fn: k.fn, where: k.where, us: 0 };
    e.us += us;
    map.set(k.key, e);
  };
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    // timeDeltas[i] is the gap before sample i: the time after a sample belongs to it.
    const us = Math.max(0, deltas[i + 1] ?? 0);
    if (inWindow && (t < windowUs[0] || t > windowUs[1])) continue;
    total += us;
    const leaf = samples[i]!;
    add(selfUs, frameKey(leaf), us);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const k = frameKey(id);
      if (!k.own || seen.has(k.key)) continue;
      seen.add(k.key);
      add(inclUs, k, us);
    }
  }
  const rank = (map: typeof selfUs) =>
    [...map.values()]
      .filter((e) => e.fn !== "(idle)")
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, ms: round(e.us / 1000, 1), pct: round((100 * e.us) / Math.max(total, 1), 1) }));
  return {
    file,
    window: inWindow ? "ingest" : "whole run",
    sampledMs: round(total / 1000, 0),
    idlePct: round((100 * (selfUs.get("(idle)@")?.us ?? 0)) / Math.max(total, 1), 1),
    self: rank(selfUs),
    inclusive: rank(inclUs).slice(0, 10),
  };
}

function shortUrl(url: string): string {
  const plain = url.replace(/^file:\/\//, "");
  const nm = plain.lastIndexOf("/node_modules/");
  if (nm >= 0) return plain.slice(nm + "/node_modules/".length);
  if (plain.startsWith(ROOT + "/")) return plain.slice(ROOT.length + 1);
  return plain;
}

// ---------------------------------------------------------------------------------------------
// Numbers

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const options = readOptions();
  const say = (line: string) => {
    if (!options.jsonOnly) console.log(line);
  };
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "media-tracker-bench-"));
  const profileDir = options.profile ? fs.mkdtempSync(path.join(os.tmpdir(), "media-tracker-bench-prof-")) : undefined;

  let fake: FakeBotApi | undefined;
  let bot: Bot | undefined;
  const killOnExit = () => bot?.child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const interrupted = () => {
    killOnExit();
    fs.rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  try {
    fake = await startFakeBotApi();
    bot = await startBot(fake, workDir, profileDir);
    const pid = bot.child.pid;
    say(`bench: bot pid ${pid} on port ${bot.port}, database ${path.join(workDir, "bench.db")} (synchronous=FULL)`);
    say(`bench: ${options.updates} updates over ${CHATS} chats, ${options.concurrency} connections, text ${JSON.stringify(TEXT)}`);

    // Warm-up: separate chats, replies awaited, nothing counted.
    const warmChats = Math.min(WARMUP_UPDATES, CHATS);
    const warmWatcher = new ReplyWatcher(fake, WARMUP_CHAT_BASE, WARMUP_CHAT_BASE + warmChats);
    const warm = await runPhase(bot.port, buildBodies(1, WARMUP_UPDATES, WARMUP_CHAT_BASE, warmChats), options.concurrency);
    const warmOk = warm.sent.filter((s) => s.status === 200).length;
    if (warmOk !== WARMUP_UPDATES) {
      throw new Error(`warm-up: only ${warmOk}/${WARMUP_UPDATES} updates acknowledged (${warm.errors.join("; ") || "non-200 answers"})`);
    }
    if (!(await warmWatcher.waitForCount(WARMUP_UPDATES, 30_000))) {
      throw new Error(`warm-up: only ${warmWatcher.count}/${WARMUP_UPDATES} replies arrived within 30 s`);
    }

    // Ingest.
    const bodies = buildBodies(WARMUP_UPDATES + 1, options.updates, BENCH_CHAT_BASE, CHATS);
    const watcher = new ReplyWatcher(fake, BENCH_CHAT_BASE, BENCH_CHAT_BASE + CHATS);
    const ingestStartUs = Number(process.hrtime.bigint() / 1000n);
    const machineBefore = machineJiffies();
    const cpuBefore = cpuSeconds(pid);
    const loadCpuBefore = process.cpuUsage();
    const phase = await runPhase(bot.port, bodies, options.concurrency);
    const cpuAfter = cpuSeconds(pid);
    const loadCpu = process.cpuUsage(loadCpuBefore);
    const machineAfter = machineJiffies();
    const ingestEndUs = Number(process.hrtime.bigint() / 1000n);
    // CPU used by everything else on the machine during ingest (other test runs skew the figures).
    const botCores = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : 0;
    const otherCores =
      machineBefore && machineAfter
        ? Math.max(0, (machineAfter.busy - machineBefore.busy) / 100 - botCores - (loadCpu.user + loadCpu.system) / 1e6) / (phase.wallMs / 1000)
        : null;

    const acked = phase.sent.filter((s) => s.status === 200);
    const statusCounts: Record<string, number> = {};
    for (const s of phase.sent) if (s.status !== 200) statusCounts[String(s.status || "error")] = (statusCounts[String(s.status || "error")] ?? 0) + 1;
    const lat = Float64Array.from(acked, (s) => s.end - s.start).sort();
    const ingest = {
      updates: options.updates,
      concurrency: options.concurrency,
      connections: phase.connections,
      acknowledged: acked.length,
      non200: options.updates - acked.length,
      ...(Object.keys(statusCounts).length ? { non200ByStatus: statusCounts } : {}),
      wallMs: round(phase.wallMs, 1),
      ackPerSec: round(acked.length / (phase.wallMs / 1000), 0),
      p50Ms: round(percentile(lat, 50)),
      p99Ms: round(percentile(lat, 99)),
      maxMs: round(lat.length ? lat[lat.length - 1]! : NaN),
      botCpuPct: cpuBefore !== null && cpuAfter !== null ? round((100 * (cpuAfter - cpuBefore)) / (phase.wallMs / 1000), 0) : null,
      loadGenCpuPct: round((100 * (loadCpu.user + loadCpu.system)) / 1000 / phase.wallMs, 0),
      otherCpuPct: otherCores === null ? null : round(100 * otherCores, 0),
      cores: os.availableParallelism(),
    };

    // End to end: every acknowledged update's reply at the fake Bot API.
    const complete = await watcher.waitForCount(acked.length, E2E_TIMEOUT_MS);
    watcher.scan();
    const e2eLat: number[] = [];
    const kth = new Map<number, number>();
    const byStart = [...acked].sort((a, b) => a.start - b.start);
    for (const s of byStart) {
      const k = kth.get(s.chatId) ?? 0;
      kth.set(s.chatId, k + 1);
      const arrived = watcher.byChat.get(s.chatId)?.[k];
      if (arrived !== undefined) e2eLat.push(arrived - s.startEpoch);
    }
    e2eLat.sort((a, b) => a - b);
    const allMs = watcher.last - phase.firstStartEpoch;
    const endToEnd = {
      complete,
      replies: watcher.count,
      expected: acked.length,
      allRepliesMs: complete ? allMs : null,
      repliesPerSec: complete ? round(watcher.count / (allMs / 1000), 0) : null,
      p50Ms: round(percentile(e2eLat, 50)),
      p99Ms: round(percentile(e2eLat, 99)),
      maxMs: round(e2eLat.length ? e2eLat[e2eLat.length - 1]! : NaN),
    };

    const rssMB = peakRssMB(pid);
    await stopBot(bot);
    const profile = profileDir ? summarizeProfile(profileDir, 15, [ingestStartUs, ingestEndUs]) : undefined;

    say("");
    say("phase        rate/s   p50 ms   p99 ms   max ms   total");
    say(
      `ingest   ${pad(ingest.ackPerSec, 10)}${pad(ingest.p50Ms, 9)}${pad(ingest.p99Ms, 9)}${pad(ingest.maxMs, 9)}   ` +
        `${ingest.acknowledged}/${ingest.updates} acked in ${ingest.wallMs} ms (${ingest.non200} non-200)`,
    );
    say(
      `e2e      ${pad(endToEnd.repliesPerSec ?? "-", 10)}${pad(endToEnd.p50Ms, 9)}${pad(endToEnd.p99Ms, 9)}${pad(endToEnd.maxMs, 9)}   ` +
        `${endToEnd.replies}/${endToEnd.expected} replies` + (complete ? ` in ${allMs} ms after the first POST` : ` (timed out after ${E2E_TIMEOUT_MS / 1000} s)`),
    );
    say(`bot: peak RSS ${rssMB ?? "?"} MB, CPU during ingest ${ingest.botCpuPct ?? "?"}% of a core; load generator ${ingest.loadGenCpuPct}%; ` +
      `other processes ${ingest.otherCpuPct ?? "?"}% (of ${ingest.cores} cores); ${phase.connections} connections`);
    if ((ingest.otherCpuPct ?? 0) > 25) say("warning: other processes were busy during ingest; the figures are pessimistic");
    if (phase.errors.length) say(`transport errors (first ${phase.errors.length}): ${phase.errors.join("; ")}`);
    if (profile) {
      say("");
      say(`bot main thread, CPU profile of the ${profile.window} (${profile.sampledMs} ms sampled, ${profile.idlePct}% idle): ${profile.file}`);
      say(`top ${profile.self.length} by self time (native work such as SQLite and fsync counts in its JS caller):`);
      for (const e of profile.self) say(`${pad(e.ms, 9)} ms ${pad(e.pct, 5)}%  ${e.fn}  ${e.where}`);
      say(`the project's functions by inclusive time:`);
      for (const e of profile.inclusive) say(`${pad(e.ms, 9)} ms ${pad(e.pct, 5)}%  ${e.fn}  ${e.where}`);
    } else if (profileDir) {
      say(`no .cpuprofile was written in ${profileDir}`);
    }
    console.log(
      JSON.stringify({
        ingest,
        endToEnd,
        rssMB,
        ...(profile ? { profile } : {}),
      }),
    );
    return complete ? 0 : 1;
  } finally {
    if (bot) await stopBot(bot).catch(() => undefined);
    await fake?.close().catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
    process.off("exit", killOnExit);
  }
}

function pad(value: number | string, width: number): string {
  return String(value).padStart(width);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

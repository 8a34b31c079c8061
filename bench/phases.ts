// The measured phases, each run the same way against every system:
// - ingest: N updates ("hello": one hint reply each) over 5,000 chats from 64 connections, as fast
//   as the system acknowledges them; then the time until every reply has arrived;
// - end to end: 500 chats each playing the 4-message /add_movie dialog, each message sent when the
//   previous reply arrived; steps/s and time from POST to reply;
// - limits on (ours only): the same dialog with Telegram's send limits kept, and the violations seen
//   at the fake Bot API;
// - recovery: a copy of a cached database of 10,000 chats and their history; time from spawn to
//   /healthz and to the first reply; RSS once idle, then every one of the 10,000 chats touched once
//   (RSS sampled throughout: the peak), and RSS once the last reply arrived.
// Our bot on PostgreSQL (ours-pg, ours-pg3) runs ingest, dialog and limits the same way, its POSTs
// spread round-robin over its processes; recovery measures a restart on a cached SQLite file and
// is not run for it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FakeBotApi } from "../test/support/fake-bot-api.js";
import { sendAll } from "./load.js";
import { machineJiffies, treeRssMB } from "./proc.js";
import { ROOT, type Running, SECRET, type StartOptions, type SystemName, WEBHOOK_PATH, isOurs, startSystem } from "./systems.js";
import { Replies, UpdateIds, percentile, playDialogs, sleep, textRequest } from "./workload.js";

export const CONNECTIONS = 64;
const INGEST_CHATS = 5_000;
const WARMUP_UPDATES = 300;
const DIALOG_CHATS = 500;
export const HISTORY_CHATS = 10_000;
const REPLY_TIMEOUT_MS = 180_000;
/** How long a freshly started system is left alone before its idle RSS is read. */
const IDLE_SETTLE_MS = 1_000;
/** Bump when the cached history's shape changes, so every system's cache is built anew. */
const CACHE_VERSION = 1;

// Chat ids per phase, kept apart so that no reply is counted for the wrong phase.
const WARMUP_BASE = 9_000_000;
const INGEST_BASE = 1_000_000;
const DIALOG_BASE = 2_000_000;
const HISTORY_BASE = 3_000_000;
// Update ids: the cached history is built with ids from HISTORY_IDS, measured against it with ids from
// MEASURE_IDS, so that no measured update is a duplicate of one in the history (the run's own counter
// starts at 10,000,000 and stays far below both).
const HISTORY_IDS = 500_000_000;
const MEASURE_IDS = 900_000_000;

export const movieDialog = (i: number) => ["/add_movie", `Bench Movie ${i}`, String(1950 + (i % 70)), String(1 + (i % 5))];

export interface Context {
  fake: FakeBotApi;
  ids: UpdateIds;
  workDir: string;
  say(line: string): void;
}

function target(system: Running) {
  return { port: system.port, path: WEBHOOK_PATH, secret: SECRET };
}

function startOptions(ctx: Context, dataDir: string, extra: Partial<StartOptions> = {}): StartOptions {
  return { apiRoot: ctx.fake.apiRoot, token: ctx.fake.token, dataDir, ...extra };
}

async function warmUp(ctx: Context, system: Running): Promise<void> {
  const replies = new Replies(ctx.fake, WARMUP_BASE, WARMUP_BASE + WARMUP_UPDATES);
  const requests = Array.from({ length: WARMUP_UPDATES }, (_, i) => textRequest(target(system), ctx.ids.take(), WARMUP_BASE + i, "hello"));
  await sendAll(system.ports, requests, CONNECTIONS);
  const ok = await replies.waitForCount(WARMUP_UPDATES, 60_000);
  replies.close();
  if (!ok) throw new Error(`warm-up: only ${replies.count}/${WARMUP_UPDATES} replies arrived within 60 s`);
}

const mb = (n: number) => Math.round(n * 10) / 10;
const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);

// ---------------------------------------------------------------------------------------------

export interface IngestResult {
  updates: number;
  acknowledged: number;
  non200: number;
  ackPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** From the first POST until the last reply arrived. */
  allRepliesMs: number | null;
  repliesPerSec: number | null;
  cpuPct: number | null;
  /** The system's CPU time from the first POST until the last reply, per update: what a message costs, whatever else runs. */
  cpuUsPerUpdate: number | null;
  /** On PostgreSQL: the part of cpuUsPerUpdate its server spent (the backends for the bot's database). */
  databaseCpuUsPerUpdate?: number | null;
  otherCpuPct: number | null;
  peakRssMB: number;
  /** Replies beyond one per acknowledged update, seen by the time the last one arrived: an update answered twice. */
  extraReplies?: number;
}

export async function ingest(ctx: Context, name: SystemName, updates: number, profileDir?: string): Promise<IngestResult & { window: [number, number] }> {
  // A fresh folder each time: a later run must not start on an earlier run's database.
  const dataDir = fs.mkdtempSync(path.join(ctx.workDir, `${name}-ingest-`));
  const system = await startSystem(name, startOptions(ctx, dataDir, { profileDir }));
  try {
    await warmUp(ctx, system);
    const replies = new Replies(ctx.fake, INGEST_BASE, INGEST_BASE + INGEST_CHATS);
    const requests = Array.from({ length: updates }, (_, i) => textRequest(target(system), ctx.ids.take(), INGEST_BASE + (i % INGEST_CHATS), "hello"));
    const rss = system.sampleRss();
    const cpu0 = system.cpuSeconds();
    const database0 = system.databaseCpuSeconds?.();
    const machine0 = machineJiffies();
    const self0 = process.cpuUsage();
    const startUs = Number(process.hrtime.bigint() / 1000n);
    const firstPost = Date.now();
    const { results, wallMs } = await sendAll(system.ports, requests, CONNECTIONS);
    const endUs = Number(process.hrtime.bigint() / 1000n);
    const cpu = system.cpuSeconds() - cpu0;
    const self = process.cpuUsage(self0);
    const machine1 = machineJiffies();
    const acked = results.filter((r) => r.status === 200);
    const complete = await replies.waitForCount(acked.length, REPLY_TIMEOUT_MS);
    const cpuAll = system.cpuSeconds() - cpu0;
    const databaseAll = database0 === undefined ? undefined : system.databaseCpuSeconds!() - database0;
    const lastReply = Math.max(...[...replies.byChat.values()].map((t) => t[t.length - 1] ?? 0));
    const extraReplies = Math.max(0, replies.count - acked.length);
    replies.close();
    const wallS = wallMs / 1000;
    const other = machine0 && machine1 ? (machine1.busy - machine0.busy) / 100 - cpu - (self.user + self.system) / 1e6 : NaN;
    const latencies = acked.map((r) => r.end - r.start);
    return {
      updates,
      acknowledged: acked.length,
      non200: updates - acked.length,
      ackPerSec: round(acked.length / wallS, 0),
      p50Ms: round(percentile(latencies, 50), 2),
      p99Ms: round(percentile(latencies, 99), 2),
      allRepliesMs: complete ? lastReply - firstPost : null,
      repliesPerSec: complete ? round(acked.length / ((lastReply - firstPost) / 1000), 0) : null,
      cpuPct: round((100 * cpu) / wallS, 0),
      cpuUsPerUpdate: complete ? round((cpuAll * 1e6) / updates, 0) : null,
      ...(databaseAll !== undefined ? { databaseCpuUsPerUpdate: complete ? round((databaseAll * 1e6) / updates, 0) : null } : {}),
      otherCpuPct: round((100 * Math.max(0, other)) / wallS, 0),
      peakRssMB: rss.stop(),
      ...(extraReplies ? { extraReplies } : {}),
      window: [startUs, endUs],
    };
  } finally {
    await system.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

export interface DialogResult {
  chats: number;
  steps: number;
  stepsPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  incomplete: number;
  /** POSTs that got no 200 and were sent again (as Telegram would). */
  retried: number;
  /** Replies beyond one per step: a message answered twice. */
  extraReplies?: number;
  peakRssMB: number;
  /** Ours only: database commits (each an fsync) per dialog step, from /metrics (every process's, summed). */
  commitsPerStep?: number;
  /** Limits on only: sends closer together than Telegram allows (see countViolations). */
  violations?: { perChat: number; global: number };
}

export async function dialogs(ctx: Context, name: SystemName, rateLimit: "on" | "off", chats = DIALOG_CHATS, profileDir?: string): Promise<DialogResult> {
  const dataDir = fs.mkdtempSync(path.join(ctx.workDir, `${name}-dialog-${rateLimit}-`));
  const system = await startSystem(name, startOptions(ctx, dataDir, { rateLimit, profileDir }));
  try {
    await warmUp(ctx, system);
    const callsBefore = ctx.fake.calls.length;
    const rss = system.sampleRss();
    const commitsBefore = isOurs(name) ? await commitCount(system.ports) : undefined;
    const run = await playDialogs({
      fake: ctx.fake, target: target(system), ports: system.ports, ids: ctx.ids, chatBase: DIALOG_BASE, chats, parallel: chats,
      connections: CONNECTIONS, script: movieDialog, stepTimeoutMs: REPLY_TIMEOUT_MS,
    });
    const result: DialogResult = {
      chats,
      steps: run.steps,
      stepsPerSec: round(run.steps / (run.wallMs / 1000), 0),
      p50Ms: round(percentile(run.latencies, 50), 1),
      p99Ms: round(percentile(run.latencies, 99), 1),
      incomplete: run.incomplete,
      retried: run.retries,
      peakRssMB: rss.stop(),
      ...(run.extraReplies ? { extraReplies: run.extraReplies } : {}),
    };
    if (commitsBefore !== undefined && run.steps > 0) {
      // Sends still being recorded when the last reply arrived are few; read after a short settle.
      await sleep(200);
      result.commitsPerStep = round(((await commitCount(system.ports)) - commitsBefore) / run.steps, 2) ?? undefined;
    }
    if (rateLimit === "on") result.violations = countViolations(ctx.fake.calls.slice(callsBefore).filter((c) => c.method === "sendMessage"));
    return result;
  } finally {
    await system.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The bot's database commits so far (media_tracker_db_commits_total on /metrics), all its processes together. */
async function commitCount(ports: number[]): Promise<number> {
  let sum = 0;
  for (const port of ports) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = /^media_tracker_db_commits_total (\d+)/m.exec(text);
    if (!line) throw new Error("/metrics has no media_tracker_db_commits_total");
    sum += Number(line[1]);
  }
  return sum;
}

/**
 * Telegram's limits as the bot keeps them: one message per second in a private chat, 30 per second
 * overall. Measured at arrival, so 25 ms are allowed for loopback jitter between two sends.
 */
function countViolations(sends: Array<{ at: number; params: Record<string, unknown> }>): { perChat: number; global: number } {
  const JITTER_MS = 25;
  const lastByChat = new Map<string, number>();
  let perChat = 0;
  let global = 0;
  sends.forEach((send, i) => {
    const chat = String(send.params.chat_id);
    const last = lastByChat.get(chat);
    if (last !== undefined && send.at - last < 1000 - JITTER_MS) perChat++;
    lastByChat.set(chat, send.at);
    const thirtyBefore = sends[i - 30];
    if (thirtyBefore && send.at - thirtyBefore.at < 1000 - JITTER_MS) global++;
  });
  return { perChat, global };
}

// ---------------------------------------------------------------------------------------------

export interface RecoveryResult {
  chats: number;
  toHealthzMs: number;
  toFirstReplyMs: number;
  /** RSS after the start and the first reply, before the load: what the system costs doing nothing. */
  idleRssMB: number;
  /** Peak RSS while each of the chats got one message. */
  touchedPeakRssMB: number;
  /** RSS once every chat's reply arrived: what stays resident after the burst. */
  endRssMB: number;
  touchedAllMs: number | null;
  cacheBuiltNow: boolean;
}

/** Builds (once) the system's database with HISTORY_CHATS chats that each ran /start and the movie dialog. */
async function historyCache(ctx: Context, name: SystemName): Promise<{ dir: string; builtNow: boolean }> {
  const dir = path.join(ROOT, "bench", ".cache", `${name}-history-v${CACHE_VERSION}`);
  const done = path.join(dir, "complete");
  if (fs.existsSync(done)) return { dir, builtNow: false };
  fs.rmSync(dir, { recursive: true, force: true });
  const data = path.join(dir, "data");
  ctx.say(`bench: building the ${HISTORY_CHATS.toLocaleString("en")}-chat history for ${name} once (cached in bench/.cache)`);
  const system = await startSystem(name, startOptions(ctx, data));
  try {
    const run = await playDialogs({
      fake: ctx.fake, target: target(system), ids: new UpdateIds(HISTORY_IDS), chatBase: HISTORY_BASE, chats: HISTORY_CHATS, parallel: 500,
      connections: CONNECTIONS, script: (i) => ["/start", ...movieDialog(i)], stepTimeoutMs: REPLY_TIMEOUT_MS,
    });
    if (run.incomplete) throw new Error(`${name}: ${run.incomplete} chats did not finish while building the history`);
  } finally {
    await system.stop();
  }
  fs.writeFileSync(done, new Date().toISOString());
  return { dir, builtNow: true };
}

export async function recovery(ctx: Context, name: SystemName): Promise<RecoveryResult> {
  // Update ids apart from every id the cached history holds (it was built by an earlier run's counter).
  ctx = { ...ctx, ids: new UpdateIds(MEASURE_IDS) };
  const cache = await historyCache(ctx, name);
  const dataDir = path.join(ctx.workDir, `${name}-recovery`);
  fs.cpSync(path.join(cache.dir, "data"), dataDir, { recursive: true });
  const replies = new Replies(ctx.fake, HISTORY_BASE, HISTORY_BASE + HISTORY_CHATS);
  // Registered before the spawn: the first reply is timed from the process start.
  const first = replies.next(HISTORY_BASE);
  const system = await startSystem(name, startOptions(ctx, dataDir));
  try {
    const t = target(system);
    const sent = await sendAll(system.port, [textRequest(t, ctx.ids.take(), HISTORY_BASE, "/movies")], 1);
    if (sent.results[0]?.status !== 200) throw new Error(`${name}: the first update after the restart got ${sent.results[0]?.status}`);
    const firstReplyAt = await Promise.race([first, sleep(60_000).then(() => undefined)]);
    if (firstReplyAt === undefined) throw new Error(`${name}: no reply within 60 s of the restart`);
    // Idle: started, one chat answered, nothing in flight. Read after a pause, so that the start-up's
    // garbage had its chance to be collected, as it would be in a bot left alone.
    await sleep(IDLE_SETTLE_MS);
    const idleRssMB = mb(treeRssMB(system.pid));

    // Every chat once: what memory does the system need with all of them touched?
    const rss = system.sampleRss();
    const before = replies.count;
    const requests = Array.from({ length: HISTORY_CHATS - 1 }, (_, i) => textRequest(t, ctx.ids.take(), HISTORY_BASE + 1 + i, "/movies"));
    const startedAt = Date.now();
    await sendAll(system.port, requests, CONNECTIONS);
    const complete = await replies.waitForCount(before + requests.length, REPLY_TIMEOUT_MS);
    const touchedAllMs = complete ? Date.now() - startedAt : null;
    const touchedPeakRssMB = rss.stop();
    return {
      chats: HISTORY_CHATS,
      toHealthzMs: system.readyAt - system.spawnedAt,
      toFirstReplyMs: firstReplyAt - system.spawnedAt,
      idleRssMB,
      touchedPeakRssMB,
      endRssMB: mb(treeRssMB(system.pid)),
      touchedAllMs,
      cacheBuiltNow: cache.builtNow,
    };
  } finally {
    replies.close();
    await system.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function makeWorkDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "media-tracker-bench-"));
}

// The figures of a chaos run and the verdict: one plain object (printed as JSON with --json) and a
// short text table. `failures` lists every broken invariant; empty means the run passed.
import type { ExitInfo } from "../../test/support/bot-process.js";
import type { BotSupervisor } from "./bot-supervisor.js";
import type { ChatLog } from "./chat-driver.js";
import type { EntryCheck, ReplyCheck } from "./checks.js";
import type { ConsoleCheck } from "./console-driver.js";
import type { ChaosOptions } from "./run-chaos.js";
import type { ReplyIndex } from "./reply-index.js";

export interface Spread {
  count: number;
  medianMs: number | null;
  maxMs: number | null;
}

export interface ChaosReport {
  ok: boolean;
  seed: number;
  chats: number;
  durationSec: number;
  /** Conversations the chats ran, by name; modelCalls: requests the fake model got (two per message to it without crashes). */
  conversations: Record<string, number>;
  modelCalls: number;
  updates: { sent: number; posts: number; acknowledged: number; processed: number; lost: number };
  entries: { expected: number; stored: number; duplicated: number; missing: number; unexpected: number };
  replies: {
    expected: number;
    delivered: number;
    /** Second copies of a reply (the same outbox intent sent again after a kill). */
    duplicated: number;
    duplicatedOutsideCrashWindow: number;
    /** From a duplicated reply's first copy to the death of the process that sent it (the crash window). */
    duplicateWindow: Spread;
    /** Which copy had the widest window, and the process that sent its first copy (to look into). */
    widestDuplicateWindow?: string;
    /** Chats whose outbox holds more (or fewer) text replies than acknowledged updates. */
    intentMismatches: number;
    outOfOrder: number;
    unexpected: number;
  };
  kills: { total: number; crashPoint: Record<string, number>; external: number; armedNotReached: number };
  recovery: {
    /** Restart spawn → /healthz 200. */
    ready: Spread;
    /** Restart spawn → the next reply delivered to any chat. */
    nextReply: Spread;
    /** Restarts that were killed again before /healthz answered. */
    killedBeforeReady: number;
  };
  /** With --console: what the console chat beside the bot did. */
  console?: string;
  /** With --replicas: how many bot processes shared the PostgreSQL database. */
  replicas?: number;
  failures: string[];
  replay: string;
  /** The database file, when kept (failed run or asked to). */
  database?: string;
}

export interface ReportInput {
  options: ChaosOptions;
  durationMs: number;
  chats: ChatLog[];
  replyChecks: ReplyCheck[];
  entryCheck: EntryCheck;
  processed: Set<string>;
  /** One per bot process run side by side (one without replicas). */
  supervisors: BotSupervisor[];
  replies: ReplyIndex;
  finalExit: ExitInfo;
  /** Where the data was: the SQLite file, or the PostgreSQL database. */
  database: string;
  modelCalls: number;
  consoleCheck?: ConsoleCheck;
}

const SHOWN = 5; // examples per failure kind

export function buildReport(input: ReportInput): ChaosReport {
  const { chats, replyChecks, entryCheck, supervisors } = input;
  const sent = chats.flatMap((c) => c.updates);
  const acked = sent.filter((u) => u.ackedAt !== undefined);
  // Inbox ids are "tg:<bot id>:<update_id>" (one bot per run).
  const processedUpdates = new Set([...input.processed].map((id) => /^tg:\d+:(\d+)$/.exec(id)?.[1]));
  const notProcessed = acked.filter((u) => !processedUpdates.has(String(u.updateId)));
  const noReply = replyChecks.flatMap((check, i) => check.missing.map((m) => ({ chat: chats[i]!, m })));
  const lostIds = new Set([...notProcessed.map((u) => u.updateId), ...noReply.map(({ chat, m }) => chat.updates.filter((u) => u.ackedAt !== undefined)[m]!.updateId)]);
  const sum = (f: (c: ReplyCheck) => number) => replyChecks.reduce((a, c) => a + f(c), 0);
  const unexplained = replyChecks.flatMap((c) => c.unexplainedDuplicates);
  const outOfOrder = replyChecks.flatMap((c) => c.outOfOrder);
  const extraIntents = replyChecks.flatMap((c) => c.extraIntents);
  const windows = replyChecks.flatMap((c) => c.windows);
  const widest = windows.reduce<(typeof windows)[number] | undefined>((w, x) => (w && w.ms >= x.ms ? w : x), undefined);
  const unexpected = replyChecks.flatMap((c) => c.unexpected);

  const failures: string[] = [];
  const fail = (what: string, examples: readonly string[]) => {
    if (examples.length) failures.push(`${what}: ${examples.length}\n    ${examples.slice(0, SHOWN).join("\n    ")}`);
  };
  fail("acknowledged updates never processed", notProcessed.map((u) => `update ${u.updateId} (${u.conversation}: ${u.label})`));
  fail("acknowledged updates whose reply never arrived", noReply.map(({ chat, m }) => `chat ${chat.chatId}: ${String(chat.updates.filter((u) => u.ackedAt !== undefined)[m]!.reply)}`));
  fail("chats that got stuck", chats.filter((c) => c.stuck).map((c) => `chat ${c.chatId}: ${c.stuck!}`));
  fail("entries duplicated", entryCheck.duplicated);
  fail("entries missing", entryCheck.missing);
  fail("entries no conversation added", entryCheck.unexpected);
  fail("replies duplicated outside a crash window", unexplained);
  fail("chats whose outbox does not hold one reply per update", extraIntents);
  fail("replies out of order", outOfOrder);
  fail("replies matching no update", unexpected);
  fail("unexpected bot exits", supervisors.flatMap((s) => s.unexpectedExits));
  failures.push(...(input.consoleCheck?.failures ?? []));
  if (input.finalExit.code !== 0) failures.push(`the last bot did not stop cleanly on SIGTERM: ${JSON.stringify(input.finalExit)}`);

  const kills = supervisors.flatMap((s) => s.kills);
  const replicas = input.options.replicas;
  const ok = failures.length === 0;
  return {
    ok,
    seed: input.options.seed,
    chats: input.options.chats,
    durationSec: round(input.durationMs / 1000),
    conversations: sumRecords(chats.map((c) => c.conversations)),
    modelCalls: input.modelCalls,
    updates: { sent: sent.length, posts: sent.reduce((a, u) => a + u.posts, 0), acknowledged: acked.length, processed: acked.length - notProcessed.length, lost: lostIds.size },
    entries: {
      expected: entryCheck.expected,
      stored: entryCheck.stored,
      duplicated: entryCheck.duplicated.length,
      missing: entryCheck.missing.length,
      unexpected: entryCheck.unexpected.length,
    },
    replies: {
      expected: sum((c) => c.expected),
      delivered: sum((c) => c.delivered),
      duplicated: sum((c) => c.duplicated),
      duplicatedOutsideCrashWindow: unexplained.length,
      duplicateWindow: spread(windows.map((w) => w.ms)),
      ...(widest ? { widestDuplicateWindow: widest.what } : {}),
      intentMismatches: extraIntents.length,
      outOfOrder: outOfOrder.length,
      unexpected: unexpected.length,
    },
    kills: {
      total: kills.length,
      crashPoint: countBy(kills.filter((k) => k.outcome === "crash-point"), (k) => (k.plan.kind === "armed" ? k.plan.point : "?")),
      external: kills.filter((k) => k.outcome === "external").length,
      armedNotReached: kills.filter((k) => k.outcome === "armed-not-reached").length,
    },
    recovery: recovery(supervisors, input.replies),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(input.consoleCheck ? { console: input.consoleCheck.summary } : {}),
    failures,
    replay: `npm run chaos -- --seed ${input.options.seed} --kills ${kills.length} --chats ${input.options.chats}` +
      `${input.consoleCheck ? " --console" : ""}${replicas !== undefined ? ` --replicas ${replicas}` : ""}`,
    ...(ok && !input.options.keepDatabase ? {} : { database: input.database }),
  };
}

/** For every restart after a kill: spawn → ready, and spawn → the first reply it delivered. */
function recovery(supervisors: readonly BotSupervisor[], replies: ReplyIndex): ChaosReport["recovery"] {
  const restarts = supervisors.flatMap((supervisor) => supervisor.starts.slice(1));
  const ready = restarts.filter((s) => s.readyAt !== undefined).map((s) => s.readyAt! - s.spawnAt);
  const nextReply: number[] = [];
  for (const s of restarts) {
    const first = replies.firstReplyAtOrAfter(s.spawnAt);
    if (first !== undefined && first <= (s.exitAt ?? Infinity)) nextReply.push(first - s.spawnAt);
  }
  return { ready: spread(ready), nextReply: spread(nextReply), killedBeforeReady: restarts.filter((s) => s.readyAt === undefined && s.exitAt !== undefined).length };
}

/** The report as a few lines of text. */
export function formatReport(r: ChaosReport): string {
  const kinds = Object.entries(r.kills.crashPoint)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([point, n]) => `${point} ${n}`)
    .join(", ");
  const ms = (s: Spread, of = "restarts") => (s.count ? `median ${s.medianMs} ms, max ${s.maxMs} ms (${s.count} ${of})` : "n/a");
  return [
    `chaos run: seed ${r.seed}, ${r.chats} chats, ${r.kills.total} kills, ${r.durationSec} s` +
      (r.replicas !== undefined ? `, ${r.replicas} bot processes on PostgreSQL` : ""),
    `ran       ${Object.entries(r.conversations).sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => `${name} ${n}`).join(", ")}; model calls ${r.modelCalls}`,
    `updates   sent ${r.updates.sent} (${r.updates.posts} POSTs), acknowledged ${r.updates.acknowledged}, processed ${r.updates.processed}, lost ${r.updates.lost}`,
    `entries   expected ${r.entries.expected}, stored ${r.entries.stored}, duplicated ${r.entries.duplicated}, missing ${r.entries.missing}, unexpected ${r.entries.unexpected}`,
    `replies   expected ${r.replies.expected}, delivered ${r.replies.delivered}, out of order ${r.replies.outOfOrder}, unexpected ${r.replies.unexpected}, chats whose outbox ≠ one reply per update ${r.replies.intentMismatches}`,
    `          duplicated ${r.replies.duplicated} (a send the killed bot had not recorded; outside that window: ${r.replies.duplicatedOutsideCrashWindow}; first copy → kill: ${ms(r.replies.duplicateWindow, "copies")})`,
    ...(r.replies.widestDuplicateWindow ? [`          widest window: ${r.replies.widestDuplicateWindow}`] : []),
    `kills     crash points ${r.kills.total - r.kills.external - r.kills.armedNotReached} (${kinds || "none"}); external SIGKILL ${r.kills.external}; armed but not reached (then SIGKILL) ${r.kills.armedNotReached}`,
    `recovery  restart → /healthz 200: ${ms(r.recovery.ready)}`,
    `          restart → next reply:   ${ms(r.recovery.nextReply)}`,
    `          restarts killed again before ready: ${r.recovery.killedBeforeReady}`,
    ...(r.console ? [`console   ${r.console}`] : []),
    r.ok ? "verdict   PASS: every invariant held" : `verdict   FAIL\n  ${r.failures.join("\n  ")}`,
    ...(r.database ? [`database  ${r.database}`] : []),
    `replay    ${r.replay}`,
  ].join("\n");
}

function spread(values: number[]): Spread {
  if (values.length === 0) return { count: 0, medianMs: null, maxMs: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { count: sorted.length, medianMs: Math.round(median), maxMs: sorted.at(-1)! };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

function sumRecords(records: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, n] of Object.entries(r)) out[k] = (out[k] ?? 0) + n;
  return out;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

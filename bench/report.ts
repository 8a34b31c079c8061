// The bench's output: a table of every figure per system with the ratio ours/peer for each run (our
// bot on PostgreSQL is one more column, its ratio ours/ours-pg: SQLite's figure over PostgreSQL's);
// with more than one run, the medians, the ratio of the medians and each run's ratio; the targets of
// issue 17 checked on the medians (the limits on the worst run) and how many runs each held in; then
// one JSON line with everything.
import type { DialogResult, IngestResult, RecoveryResult } from "./phases.js";
import type { ProfileSummary } from "./profile.js";
import { LABELS, POSTGRES_PROCESSES, type SystemName, onPostgres } from "./systems.js";

export interface SystemFigures {
  ingest?: IngestResult;
  dialog?: DialogResult;
  limits?: DialogResult;
  recovery?: RecoveryResult;
  profile?: ProfileSummary;
  /** The webhook's ingest thread during the ingest phase. */
  ingestThreadProfile?: ProfileSummary;
  dialogProfile?: ProfileSummary;
  error?: string;
}

/** One run: every system's figures. */
export type Figures = Partial<Record<SystemName, SystemFigures>>;

type Value = number | null | undefined;

interface Row {
  label: string;
  value: (f: SystemFigures) => Value;
}

const violations = (d: DialogResult | undefined): Value => (d?.violations ? d.violations.perChat + d.violations.global : undefined);

const ROWS = {
  ackPerSec: { label: "ingest: acknowledged updates/s", value: (f) => f.ingest?.ackPerSec },
  ackP50: { label: "ingest: ack p50 ms", value: (f) => f.ingest?.p50Ms },
  ackP99: { label: "ingest: ack p99 ms", value: (f) => f.ingest?.p99Ms },
  allReplies: { label: "ingest: all replies in ms", value: (f) => f.ingest?.allRepliesMs },
  cpuPerUpdate: { label: "ingest: CPU µs per update", value: (f) => f.ingest?.cpuUsPerUpdate },
  databaseCpuPerUpdate: { label: "ingest: CPU µs in PostgreSQL", value: (f) => f.ingest?.databaseCpuUsPerUpdate },
  ingestRss: { label: "ingest: peak RSS MB", value: (f) => f.ingest?.peakRssMB },
  stepsPerSec: { label: "dialog: steps/s (limits off)", value: (f) => f.dialog?.stepsPerSec },
  dialogP50: { label: "dialog: POST→reply p50 ms", value: (f) => f.dialog?.p50Ms },
  dialogP99: { label: "dialog: POST→reply p99 ms", value: (f) => f.dialog?.p99Ms },
  commitsPerStep: { label: "dialog: commits per step", value: (f) => f.dialog?.commitsPerStep },
  dialogRss: { label: "dialog: peak RSS MB", value: (f) => f.dialog?.peakRssMB },
  toHealthz: { label: "recovery: to /healthz ms", value: (f) => f.recovery?.toHealthzMs },
  toFirstReply: { label: "recovery: to first reply ms", value: (f) => f.recovery?.toFirstReplyMs },
  idleRss: { label: "10k chats: idle RSS MB", value: (f) => f.recovery?.idleRssMB },
  touchedPeakRss: { label: "10k chats touched: peak RSS MB", value: (f) => f.recovery?.touchedPeakRssMB },
  endRss: { label: "10k chats: RSS MB at the end", value: (f) => f.recovery?.endRssMB },
  limitsSteps: { label: "limits on: steps/s", value: (f) => f.limits?.stepsPerSec },
  limitsP99: { label: "limits on: POST→reply p99 ms", value: (f) => f.limits?.p99Ms },
  limitsViolations: { label: "limits on: violations", value: (f) => violations(f.limits) },
} satisfies Record<string, Row>;

type RowKey = keyof typeof ROWS;
const ROW_KEYS = Object.keys(ROWS) as RowKey[];
/** A figure of a system: from one run, or the median over the runs. */
type Values = (system: SystemName, row: RowKey) => Value;

function ratio(ours: Value, peer: Value): number | null {
  if (ours == null || peer == null || peer === 0) return null;
  return Math.round((ours / peer) * 100) / 100;
}

export function median(values: Value[]): number | null {
  const known = values.filter((v): v is number => v != null).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const mid = Math.floor(known.length / 2);
  const m = known.length % 2 ? known[mid]! : (known[mid - 1]! + known[mid]!) / 2;
  return Math.round(m * 10) / 10;
}

interface TargetCheck {
  target: string;
  holds: boolean | null;
  measured: string;
}

/** Issue 17's targets; the peer is the grammY peer, the one every target names. */
const TARGETS: Array<(v: Values) => TargetCheck> = [
  (v) => check("ingest ≥ 10,000 acknowledged updates/s", [v("ours", "ackPerSec")], (a) => a >= 10_000, `${show(v("ours", "ackPerSec"))}/s`),
  (v) => check("ingest ≥ 3× the grammY peer's acknowledged updates/s", [v("ours", "ackPerSec"), v("grammy", "ackPerSec")], (a, b) => a >= 3 * b,
    `${show(ratio(v("ours", "ackPerSec"), v("grammy", "ackPerSec")))}×`),
  (v) => check("ingest ack p99 below the grammY peer's", [v("ours", "ackP99"), v("grammy", "ackP99")], (a, b) => a < b,
    `${show(v("ours", "ackP99"))} vs ${show(v("grammy", "ackP99"))} ms`),
  (v) => check("dialog steps/s ≥ 2× the grammY peer (limits off)", [v("ours", "stepsPerSec"), v("grammy", "stepsPerSec")], (a, b) => a >= 2 * b,
    `${show(ratio(v("ours", "stepsPerSec"), v("grammy", "stepsPerSec")))}×`),
  (v) => check("dialog p99 below the grammY peer's", [v("ours", "dialogP99"), v("grammy", "dialogP99")], (a, b) => a < b,
    `${show(v("ours", "dialogP99"))} vs ${show(v("grammy", "dialogP99"))} ms`),
  // A limit broken in any run is broken: this one is checked on the worst run, not the median.
  (v) => check("limits on: 0 violations of Telegram's limits, in every run", [v("ours", "limitsViolations")], (a) => a === 0, show(v("ours", "limitsViolations"))),
  (v) => check("peak RSS < 200 MB with 10,000 chats touched", [v("ours", "touchedPeakRss")], (a) => a < 200, `${show(v("ours", "touchedPeakRss"))} MB`),
  (v) => check("peak RSS with 10,000 chats touched ≤ the grammY peer's", [v("ours", "touchedPeakRss"), v("grammy", "touchedPeakRss")], (a, b) => a <= b,
    `${show(v("ours", "touchedPeakRss"))} vs ${show(v("grammy", "touchedPeakRss"))} MB`),
  (v) => check("idle RSS reported (after start, 10,000-chat database)", [v("ours", "idleRss")], () => true,
    `${show(v("ours", "idleRss"))} MB, grammY peer ${show(v("grammy", "idleRss"))} MB`),
];

function check(target: string, values: Value[], test: (...v: number[]) => boolean, measured: string): TargetCheck {
  return { target, holds: values.every((x) => x != null) ? test(...(values as number[])) : null, measured };
}

const show = (v: Value) => (v == null ? "-" : String(v));

function valuesOf(run: Figures): Values {
  return (system, row) => {
    const f = run[system];
    return f ? ROWS[row].value(f) : undefined;
  };
}

export interface ReportInput {
  runs: Figures[];
  /** Systems that could not run here, and why. */
  skipped: Partial<Record<SystemName, string>>;
  machine: Record<string, unknown>;
  /** Our runs went through tsx with the CPU profiler. */
  profiled: boolean;
  jsonOnly: boolean;
}

export function printReport({ runs, skipped, machine, profiled, jsonOnly }: ReportInput): void {
  const systems = [...new Set(runs.flatMap((r) => Object.keys(r) as SystemName[]))];
  const peers = systems.filter((s) => s !== "ours");
  const out = (line: string) => {
    if (!jsonOnly) console.log(line);
  };
  const cell = (v: unknown, w: number) => String(v ?? "-").padStart(w);
  const shown = (values: Values) => ROW_KEYS.filter((k) => systems.some((s) => values(s, k) != null));

  runs.forEach((run, i) => {
    const values = valuesOf(run);
    out("");
    out(`${(runs.length > 1 ? `run ${i + 1} of ${runs.length}` : "figure").padEnd(32)}${systems.map((s) => cell(LABELS[s], 15)).join("")}${peers.map((p) => cell(`ours/${p}`, 14)).join("")}`);
    for (const k of shown(values)) {
      const ratios = peers.map((p) => ratio(values("ours", k), values(p, k)));
      out(`${ROWS[k].label.padEnd(32)}${systems.map((s) => cell(values(s, k), 15)).join("")}${ratios.map((r) => cell(r === null ? "-" : `${r}×`, 14)).join("")}`);
    }
    for (const line of notes(run)) out(line);
  });

  const medians: Values = (system, row) => median(runs.map((run) => valuesOf(run)(system, row)));
  const worst: Values = (system, row) => {
    const all = runs.map((run) => valuesOf(run)(system, row)).filter((x): x is number => x != null);
    return all.length ? Math.max(...all) : null;
  };
  const targetValues: Values = (system, row) => (row === "limitsViolations" ? worst : medians)(system, row);
  const runRatios = (p: SystemName, k: RowKey) => runs.map((run) => ratio(valuesOf(run)("ours", k), valuesOf(run)(p, k)));
  if (runs.length > 1) {
    out("");
    out(`${`medians of ${runs.length} runs`.padEnd(32)}${systems.map((s) => cell(LABELS[s], 15)).join("")}${peers.map((p) => `${cell(`ours/${p}`, 14)}  ${"per run".padEnd(6 * runs.length)}`).join("")}`);
    for (const k of shown(medians)) {
      const byPeer = peers.map((p) => {
        const r = ratio(medians("ours", k), medians(p, k));
        return `${cell(r === null ? "-" : `${r}×`, 14)}  ${runRatios(p, k).map((x) => show(x).padEnd(6)).join("")}`;
      });
      out(`${ROWS[k].label.padEnd(32)}${systems.map((s) => cell(medians(s, k), 15)).join("")}${byPeer.join("")}`);
    }
  }
  for (const line of skippedLines(skipped)) out(line);
  const measuredOnPostgres = systems.filter(onPostgres);
  if (measuredOnPostgres.length) {
    const counts = measuredOnPostgres.map((s) => `${LABELS[s]}: ${POSTGRES_PROCESSES[s]} process${POSTGRES_PROCESSES[s] > 1 ? "es" : ""}`).join(", ");
    out(`${counts} of our bot on one PostgreSQL database, POSTs round-robin over them; CPU counts the server's backends for that database, RSS only the bot's processes.`);
  }
  if (profiled) out("--profile: our runs ran through tsx under the CPU profiler, not from the bundle: their figures are the profiled code's.");

  const targets = TARGETS.map((t) => {
    const onMedians = t(targetValues);
    const held = runs.map((run) => t(valuesOf(run)).holds);
    return { ...onMedians, runsHeld: held.filter((h) => h === true).length, runsChecked: held.filter((h) => h !== null).length };
  });
  out("");
  out(`targets (issue 17)${runs.length > 1 ? `, on the medians of ${runs.length} runs` : ""}:`);
  for (const t of targets) {
    const tally = runs.length > 1 && t.runsChecked ? ` (held in ${t.runsHeld} of ${t.runsChecked} runs)` : "";
    out(`  ${t.holds === null ? "n/a   " : t.holds ? "HOLDS " : "MISSED"}  ${t.target}: ${t.measured}${tally}`);
  }

  const first = runs[0]?.ours;
  const profiles = [
    ["main thread, ingest", first?.profile],
    ["ingest thread, ingest", first?.ingestThreadProfile],
    ["main thread, dialog (whole run)", first?.dialogProfile],
  ] as const;
  for (const [phase, profile] of profiles) {
    if (!profile) continue;
    out("");
    out(`our bot's ${phase}, run 1 (${profile.sampledMs} ms sampled, ${profile.idlePct}% idle), top by self time:`);
    for (const e of profile.self) out(`${cell(e.ms, 9)} ms ${cell(e.pct, 5)}%  ${e.fn}  ${e.where}`);
    out("our functions by inclusive time:");
    for (const e of profile.inclusive) out(`${cell(e.ms, 9)} ms ${cell(e.pct, 5)}%  ${e.fn}  ${e.where}`);
  }

  const byLabel = (get: (k: RowKey) => unknown) => Object.fromEntries(ROW_KEYS.map((k) => [ROWS[k].label, get(k)]));
  console.log(JSON.stringify({
    machine,
    runs,
    medians: Object.fromEntries(systems.map((s) => [s, byLabel((k) => medians(s, k))])),
    ratios: Object.fromEntries(peers.map((p) => [`ours/${p}`, byLabel((k) => ratio(medians("ours", k), medians(p, k)))])),
    runRatios: Object.fromEntries(peers.map((p) => [`ours/${p}`, byLabel((k) => runRatios(p, k))])),
    targets,
    skipped,
  }));
}

/** One line per reason a system was not measured: the PostgreSQL systems share theirs. */
export function skippedLines(skipped: Partial<Record<SystemName, string>>): string[] {
  const byReason = new Map<string, SystemName[]>();
  for (const [s, why] of Object.entries(skipped) as Array<[SystemName, string]>) byReason.set(why, [...(byReason.get(why) ?? []), s]);
  return [...byReason].map(([why, names]) => `${names.map((s) => LABELS[s]).join(", ")}: not measured: ${why}`);
}

/** What makes a run's figure not the same measurement as the others: failures, unfinished chats, re-sent POSTs. */
function notes(run: Figures): string[] {
  const lines: string[] = [];
  for (const [s, x] of Object.entries(run) as Array<[SystemName, SystemFigures]>) {
    if (x.error) lines.push(`${LABELS[s]}: ${x.error}`);
    for (const [phase, d] of [["dialog", x.dialog], ["limits on", x.limits]] as const) {
      if (d && (d.incomplete || d.retried)) lines.push(`${LABELS[s]}, ${phase}: ${d.incomplete} chats did not finish, ${d.retried} POSTs got no 200 and were sent again`);
      if (d?.extraReplies) lines.push(`${LABELS[s]}, ${phase}: ${d.extraReplies} replies more than steps (a message answered twice)`);
    }
    if (x.ingest?.non200) lines.push(`${LABELS[s]}, ingest: ${x.ingest.non200} updates got no 200`);
    if (x.ingest?.extraReplies) lines.push(`${LABELS[s]}, ingest: ${x.ingest.extraReplies} replies more than acknowledged updates`);
  }
  return lines;
}

// The bench's output: one table of every figure per system with the ratio ours/peer, the issue's
// targets with whether each holds in this run, and one JSON line with everything.
import type { DialogResult, IngestResult, RecoveryResult } from "./phases.js";
import type { ProfileSummary } from "./profile.js";
import { LABELS, type SystemName } from "./systems.js";

export interface SystemFigures {
  ingest?: IngestResult;
  dialog?: DialogResult;
  limits?: DialogResult;
  recovery?: RecoveryResult;
  profile?: ProfileSummary;
  dialogProfile?: ProfileSummary;
  error?: string;
}

type Figures = Partial<Record<SystemName, SystemFigures>>;

interface Row {
  label: string;
  value: (f: SystemFigures) => number | null | undefined;
  /** Which way is better, for reading the ratio. */
  better: "higher" | "lower";
}

const ROWS: Row[] = [
  { label: "ingest: acknowledged updates/s", value: (f) => f.ingest?.ackPerSec, better: "higher" },
  { label: "ingest: ack p50 ms", value: (f) => f.ingest?.p50Ms, better: "lower" },
  { label: "ingest: ack p99 ms", value: (f) => f.ingest?.p99Ms, better: "lower" },
  { label: "ingest: all replies in ms", value: (f) => f.ingest?.allRepliesMs, better: "lower" },
  { label: "ingest: CPU µs per update", value: (f) => f.ingest?.cpuUsPerUpdate, better: "lower" },
  { label: "ingest: peak RSS MB", value: (f) => f.ingest?.peakRssMB, better: "lower" },
  { label: "dialog: steps/s (limits off)", value: (f) => f.dialog?.stepsPerSec, better: "higher" },
  { label: "dialog: POST→reply p50 ms", value: (f) => f.dialog?.p50Ms, better: "lower" },
  { label: "dialog: POST→reply p99 ms", value: (f) => f.dialog?.p99Ms, better: "lower" },
  { label: "dialog: commits per step", value: (f) => f.dialog?.commitsPerStep, better: "lower" },
  { label: "dialog: peak RSS MB", value: (f) => f.dialog?.peakRssMB, better: "lower" },
  { label: "recovery: to /healthz ms", value: (f) => f.recovery?.toHealthzMs, better: "lower" },
  { label: "recovery: to first reply ms", value: (f) => f.recovery?.toFirstReplyMs, better: "lower" },
  { label: "10k chats touched: peak RSS MB", value: (f) => f.recovery?.touchedPeakRssMB, better: "lower" },
  { label: "limits on: steps/s", value: (f) => f.limits?.stepsPerSec, better: "higher" },
  { label: "limits on: POST→reply p99 ms", value: (f) => f.limits?.p99Ms, better: "lower" },
  { label: "limits on: violations", value: (f) => (f.limits?.violations ? f.limits.violations.perChat + f.limits.violations.global : undefined), better: "lower" },
];

function ratio(ours: number | null | undefined, peer: number | null | undefined): number | null {
  if (ours == null || peer == null || peer === 0) return null;
  return Math.round((ours / peer) * 100) / 100;
}

interface Target {
  target: string;
  holds: boolean | null;
  measured: string;
}

function targets(f: Figures): Target[] {
  const ours = f.ours ?? {};
  const g = f.grammy ?? {};
  const r = f.restate ?? {};
  const check = (target: string, values: Array<number | null | undefined>, test: (...v: number[]) => boolean, measured: string): Target => ({
    target,
    holds: values.every((v) => v != null) ? test(...(values as number[])) : null,
    measured,
  });
  const rssPairs = [
    [ours.ingest?.peakRssMB, g.ingest?.peakRssMB],
    [ours.dialog?.peakRssMB, g.dialog?.peakRssMB],
    [ours.recovery?.touchedPeakRssMB, g.recovery?.touchedPeakRssMB],
  ];
  return [
    check("ingest ≥ 10,000 acknowledged updates/s", [ours.ingest?.ackPerSec], (a) => a >= 10_000, `${ours.ingest?.ackPerSec ?? "-"}/s`),
    check("ingest ≥ 3× the grammY peer", [ours.ingest?.ackPerSec, g.ingest?.ackPerSec], (a, b) => a >= 3 * b, `${ratio(ours.ingest?.ackPerSec, g.ingest?.ackPerSec) ?? "-"}×`),
    check("dialog steps/s ≥ 1.5× the grammY peer", [ours.dialog?.stepsPerSec, g.dialog?.stepsPerSec], (a, b) => a >= 1.5 * b, `${ratio(ours.dialog?.stepsPerSec, g.dialog?.stepsPerSec) ?? "-"}×`),
    check("dialog steps/s above the Restate peer", [ours.dialog?.stepsPerSec, r.dialog?.stepsPerSec], (a, b) => a > b, `${ratio(ours.dialog?.stepsPerSec, r.dialog?.stepsPerSec) ?? "-"}×`),
    check("dialog p99 below both peers", [ours.dialog?.p99Ms, g.dialog?.p99Ms, r.dialog?.p99Ms], (a, b, c) => a < b && a < c,
      `${ours.dialog?.p99Ms ?? "-"} vs ${g.dialog?.p99Ms ?? "-"} / ${r.dialog?.p99Ms ?? "-"} ms`),
    check("recovery to first reply < 1 s at 10,000 chats", [ours.recovery?.toFirstReplyMs], (a) => a < 1000, `${ours.recovery?.toFirstReplyMs ?? "-"} ms`),
    check("recovery to first reply ≤ 1.25× the grammY peer", [ours.recovery?.toFirstReplyMs, g.recovery?.toFirstReplyMs], (a, b) => a <= 1.25 * b,
      `${ratio(ours.recovery?.toFirstReplyMs, g.recovery?.toFirstReplyMs) ?? "-"}×`),
    check("peak RSS < 200 MB with 10,000 chats touched", [ours.recovery?.touchedPeakRssMB], (a) => a < 200, `${ours.recovery?.touchedPeakRssMB ?? "-"} MB`),
    check("peak RSS ≤ the grammY peer's in every phase", rssPairs.flat(), (...v) => rssPairs.every((_, i) => v[2 * i]! <= v[2 * i + 1]!),
      rssPairs.map(([a, b]) => `${a ?? "-"}/${b ?? "-"}`).join(", ") + " MB"),
    check("limits on: 0 violations of Telegram's limits", [ours.limits?.violations ? ours.limits.violations.perChat + ours.limits.violations.global : undefined],
      (v) => v === 0, `${ours.limits?.violations ? JSON.stringify(ours.limits.violations) : "-"}`),
  ];
}

export function printReport(f: Figures, machine: Record<string, unknown>, jsonOnly: boolean): void {
  const systems = (Object.keys(f) as SystemName[]).filter((s) => f[s]);
  const peers = systems.filter((s) => s !== "ours");
  const out = (line: string) => {
    if (!jsonOnly) console.log(line);
  };
  const cell = (v: unknown, w: number) => String(v ?? "-").padStart(w);
  out("");
  out(`${"figure".padEnd(32)}${systems.map((s) => cell(LABELS[s], 15)).join("")}${peers.map((p) => cell(`ours/${p}`, 14)).join("")}`);
  for (const row of ROWS) {
    const values = systems.map((s) => row.value(f[s]!));
    if (values.every((v) => v == null)) continue;
    const ratios = peers.map((p) => ratio(row.value(f.ours ?? {}), row.value(f[p]!)));
    out(`${row.label.padEnd(32)}${values.map((v) => cell(v, 15)).join("")}${ratios.map((r) => cell(r === null ? "-" : `${r}×`, 14)).join("")}`);
  }
  for (const s of systems) {
    const x = f[s]!;
    if (x.error) out(`${LABELS[s]}: ${x.error}`);
    for (const [phase, d] of [["dialog", x.dialog], ["limits on", x.limits]] as const) {
      // A figure over chats that did not finish, or over re-sent POSTs, is not the same measurement.
      if (d && (d.incomplete || d.retried)) out(`${LABELS[s]}, ${phase}: ${d.incomplete} chats did not finish, ${d.retried} POSTs got no 200 and were sent again`);
    }
    if (x.ingest?.non200) out(`${LABELS[s]}, ingest: ${x.ingest.non200} updates got no 200`);
  }
  const t = targets(f);
  out("");
  out("targets (issue 7):");
  for (const x of t) out(`  ${x.holds === null ? "n/a " : x.holds ? "HOLDS" : "MISSED"}  ${x.target}: ${x.measured}`);
  for (const [phase, profile] of [["ingest", f.ours?.profile], ["dialog (whole run)", f.ours?.dialogProfile]] as const) {
    if (!profile) continue;
    out("");
    out(`our bot's main thread, ${phase} (${profile.sampledMs} ms sampled, ${profile.idlePct}% idle), top by self time:`);
    for (const e of profile.self) out(`${cell(e.ms, 9)} ms ${cell(e.pct, 5)}%  ${e.fn}  ${e.where}`);
    out("our functions by inclusive time:");
    for (const e of profile.inclusive) out(`${cell(e.ms, 9)} ms ${cell(e.pct, 5)}%  ${e.fn}  ${e.where}`);
  }
  const ratios: Record<string, Record<string, number | null>> = {};
  for (const p of peers) {
    ratios[`ours/${p}`] = Object.fromEntries(ROWS.map((row) => [row.label, ratio(row.value(f.ours ?? {}), row.value(f[p]!))]));
  }
  console.log(JSON.stringify({ machine, systems: f, ratios, targets: t }));
}

// Summarises the bot's V8 CPU profile (`node --cpu-prof`, written at a clean stop): the top functions
// by self time and the project's own functions by inclusive time, within the measured window.
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "./systems.js";

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

export interface ProfileSummary {
  file: string;
  /** The sampled window: the ingest phase when it could be placed (same monotonic clock), else the whole run. */
  window: "measured window" | "whole run";
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
export function summarizeProfile(
  dir: string, top: number, windowUs: [number, number] | undefined, thread: "main" | "ingest" = "main",
): ProfileSummary | undefined {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")) : [];
  if (files.length === 0) return undefined;
  // One profile per thread (tsx's loader hooks run in a worker); the main thread's is CPU.<…>.<pid>.0.<n>.
  let file: string;
  let profile: CpuProfile;
  if (thread === "ingest") {
    // The webhook's ingest thread: the one profile that ran the ingest worker's code.
    const found = files
      .filter((f) => !/\.\d+\.0\.\d+\.cpuprofile$/.test(f))
      .map((f) => ({ f, p: JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as CpuProfile }))
      .find(({ p }) => p.nodes.some((n) => n.callFrame.url.includes("ingest-worker")));
    if (!found) return undefined;
    file = path.join(dir, found.f);
    profile = found.p;
  } else {
    const main = files.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    file = path.join(dir, main ?? files.sort((a, b) => fs.statSync(path.join(dir, b)).size - fs.statSync(path.join(dir, a)).size)[0]!);
    profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  }
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
    window: inWindow ? "measured window" : "whole run",
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

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

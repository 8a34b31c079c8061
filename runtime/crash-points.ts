// Named points where a test or a chaos run can make the process die with SIGKILL, as a power cut
// would. Armed only by the MT_CRASH_AT environment variable; otherwise each call is one comparison.
//
// MT_CRASH_AT=name          die the first time `name` is reached
// MT_CRASH_AT=name@3        die the third time
// MT_CRASH_AT=name@3,other  several points, each with its own count
// MT_CRASH_TRACE=file        append each point's name to `file` as it is reached (before any kill
//                            there), so a test can count the occurrences of a run

import fs from "node:fs";

const armed = parse(process.env.MT_CRASH_AT);
const traceFile = process.env.MT_CRASH_TRACE || null;
const active = armed !== null || traceFile !== null;
const seen = new Map<string, number>();

function parse(spec: string | undefined): Map<string, number> | null {
  if (!spec) return null;
  const points = new Map<string, number>();
  for (const part of spec.split(",")) {
    const [name, at] = part.trim().split("@");
    if (name) points.set(name, at ? Number(at) : 1);
  }
  return points;
}

/** Every crash point the runtime and the app define, for the tests that visit each one. */
export const CRASH_POINTS = [
  "inbox.after-commit",
  // The webhook's ingest thread: its inbox rows committed, the main thread not yet told of them.
  "ingest.after-commit",
  "message.before-handle",
  "step.before",
  "step.after-commit",
  "message.before-commit",
  "message.after-commit",
  "outbox.before-send",
  "outbox.after-send",
  "outbox.after-record",
  "timer.before-fire",
  // The media tracker's own: inside the import's write, its entries inserted, nothing committed.
  "import.mid-apply",
] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

/** Kills the process here if a test armed this point for this occurrence. */
export function crashPoint(name: CrashPointName): void {
  if (!active) return;
  if (traceFile !== null) fs.appendFileSync(traceFile, `${name}\n`);
  const at = armed?.get(name);
  if (at === undefined) return;
  const count = (seen.get(name) ?? 0) + 1;
  seen.set(name, count);
  if (count === at) process.kill(process.pid, "SIGKILL");
}

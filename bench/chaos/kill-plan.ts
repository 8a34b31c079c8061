// Which way each bot process dies, drawn from the run's seed alone (never from timing), so that a
// seed and --kills always replay the same sequence of armed crash points and delays.
import { CRASH_POINTS, type CrashPointName } from "../../runtime/crash-points.js";
import { createRng } from "./rng.js";

export type PlannedKill =
  /** MT_CRASH_AT=point@n: the bot kills itself the n-th time it reaches the point. */
  | { kind: "armed"; point: CrashPointName; at: number; crashAt: string }
  /** The runner sends SIGKILL `delayMs` after spawning the bot (during start-up and recovery) or
   *  after it answered /healthz (while it serves the chats). */
  | { kind: "external"; after: "spawn" | "ready"; delayMs: number };

// Left out, as this workload never reaches it (the crash-at-every-point test does): timer.before-fire
// (the only timers it arms are dialog expiries, due a day later). Its imports reach import.mid-apply.
const UNREACHED: readonly CrashPointName[] = ["timer.before-fire"];
export const CHAOS_POINTS = CRASH_POINTS.filter((p) => !UNREACHED.includes(p));

/** The largest n drawn for point@n; with 50 busy chats every point is reached that often in seconds. */
const MAX_OCCURRENCE = 40;
const MAX_DELAY_AFTER_SPAWN_MS = 3_000;
const MAX_DELAY_AFTER_READY_MS = 4_000;

/** An endless, replayable sequence of kills for `seed` (one stream per bot process when several run). */
export function* killPlan(seed: number, stream = "kills"): Generator<PlannedKill> {
  const rng = createRng(seed, stream);
  for (;;) {
    if (rng.next() < 0.5) {
      const point = rng.pick(CHAOS_POINTS);
      const at = rng.int(1, MAX_OCCURRENCE);
      yield { kind: "armed", point, at, crashAt: `${point}@${at}` };
    } else {
      const after = rng.next() < 0.3 ? "spawn" : "ready";
      yield { kind: "external", after, delayMs: rng.int(50, after === "spawn" ? MAX_DELAY_AFTER_SPAWN_MS : MAX_DELAY_AFTER_READY_MS) };
    }
  }
}

export function describeKill(kill: PlannedKill): string {
  return kill.kind === "armed" ? `MT_CRASH_AT=${kill.crashAt}` : `SIGKILL ${kill.delayMs} ms after ${kill.after}`;
}

// The runtime's two clocks. `Clock.now()` is wall-clock time, for what is stored (received, due,
// sent at): tests pass a fake one they can move. `monotonicNow()` only ever moves forward at the pace
// of real time, whatever is done to the wall clock: every wait in memory (pacing, back-offs, how
// long until a due time) is measured on it, so that a wall clock stepped back cannot stretch a wait.

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Milliseconds on a clock that never jumps (not comparable with `Clock.now()`). */
export function monotonicNow(): number {
  return performance.now();
}

// The runtime's time: two clocks and its waits, behind one `Scheduler` so that tests can run it on
// virtual time. `now()` is wall-clock time, for what is stored (received, due, sent at).
// `monotonicNow()` only ever moves forward at the pace of real time, whatever is done to the wall
// clock: every wait in memory (pacing, back-offs, how long until a due time) is measured on it, so
// that a wall clock stepped back cannot stretch a wait. Every timeout and sleep goes through
// `setTimeout`/`sleep` here, never through the global ones.

export interface Clock {
  now(): number;
}

/** A timeout that can be called off; cancelling one that already ran does nothing. */
export interface Scheduled {
  cancel(): void;
}

export interface Scheduler extends Clock {
  /** Milliseconds on a clock that never jumps (not comparable with `now()`). */
  monotonicNow(): number;
  /**
   * Runs `fn` once after `ms` on the monotonic clock. `unref`: the timeout alone does not keep the
   * process (or a virtual scheduler's `runUntilIdle`) alive.
   */
  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): Scheduled;
  /** Resolves after `ms` on the monotonic clock. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Real time. `clock` replaces only the wall clock (the runtime's older `clock` option): waits stay
 * real, and a fake wall clock standing still while real time passes looks like a clock stepped back.
 */
export function realScheduler(clock: Clock = systemClock): Scheduler {
  return {
    now: () => clock.now(),
    monotonicNow: () => performance.now(),
    setTimeout(fn, ms, options) {
      const handle = setTimeout(fn, Math.max(0, ms));
      if (options?.unref) handle.unref();
      return { cancel: () => clearTimeout(handle) };
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  };
}

export const systemScheduler: Scheduler = realScheduler();

/** Runs `fn` every `ms` until cancelled; a run that throws does not stop the next. */
export function every(scheduler: Scheduler, ms: number, fn: () => void, options?: { unref?: boolean }): Scheduled {
  let current: Scheduled | undefined;
  let cancelled = false;
  const arm = () => {
    current = scheduler.setTimeout(() => {
      if (cancelled) return;
      arm();
      fn();
    }, ms, options);
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      current?.cancel();
    },
  };
}

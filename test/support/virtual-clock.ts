// Virtual time for code that waits (rate limiters, retry delays, cache expiry): now() and sleep()
// move only when the test says so (advance, advanceToNext), or, with { auto: true }, every sleep
// returns at once with the clock moved forward by its length. No test waits for real time.
import type { WaitClock } from "../../src/metadata/clock.js";

interface Sleeper {
  at: number;
  resolve(): void;
}

export class VirtualClock implements WaitClock {
  private readonly sleepers: Sleeper[] = [];
  /** Every sleep asked for, in milliseconds, in order. */
  readonly sleeps: number[] = [];

  constructor(
    public t = 1_700_000_000_000,
    private readonly options: { auto?: boolean } = {},
  ) {}

  now(): number {
    return this.t;
  }

  /** How many callers are asleep. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.options.auto) {
      this.t += Math.max(0, ms);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        at: this.t + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Moves time forward and wakes every sleeper now due. */
  advance(ms: number): void {
    this.t += ms;
    this.wakeDue();
  }

  /** Moves time to the earliest sleeper's wake-up (if any) and wakes every sleeper then due. */
  advanceToNext(): void {
    if (this.sleepers.length === 0) return;
    this.t = Math.max(this.t, Math.min(...this.sleepers.map((s) => s.at)));
    this.wakeDue();
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.at <= this.t);
    for (const s of due) this.sleepers.splice(this.sleepers.indexOf(s), 1);
    for (const s of due) s.resolve();
  }
}

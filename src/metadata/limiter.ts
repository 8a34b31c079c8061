// A sliding-window rate limiter: at most `limit` calls start in any `windowMs`. Callers are served
// in the order they asked; one that gives up (its signal aborts) leaves the queue without a slot.
// TVmaze allows 20 calls per 10 s per IP address, so every TVmaze client in the process shares one.
import { raceSignal, systemWaitClock, type WaitClock } from "./clock.js";

export interface RateLimiterOptions {
  limit: number;
  windowMs: number;
  clock?: WaitClock;
}

export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly clock: WaitClock;
  /** Start times of the calls inside the current window, oldest first (at most `limit`). */
  private readonly starts: number[] = [];
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(options: RateLimiterOptions) {
    if (!(options.limit >= 1) || !(options.windowMs > 0)) throw new Error("RateLimiter needs limit >= 1 and windowMs > 0");
    this.limit = Math.floor(options.limit);
    this.windowMs = options.windowMs;
    this.clock = options.clock ?? systemWaitClock;
  }

  /** How many callers are waiting for a slot. */
  get waiting(): number {
    return this.queued;
  }

  /** How many calls started within the last window. */
  get recentStarts(): number {
    const now = this.clock.now();
    return this.starts.filter((start) => start > now - this.windowMs).length;
  }

  /** Resolves when a call may start (and counts it); rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.queued += 1;
    const turn = this.tail.then(() => this.takeSlot(signal));
    const settled = turn.finally(() => {
      this.queued -= 1;
    });
    this.tail = settled.catch(() => {});
    return raceSignal(settled, signal);
  }

  private async takeSlot(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      // A clock stepped back would leave starts "in the future", holding callers for as long as the
      // step: they count as starting now instead, so the wait is never longer than one window.
      for (let i = 0; i < this.starts.length; i++) if (this.starts[i]! > now) this.starts[i] = now;
      while (this.starts.length > 0 && this.starts[0]! <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(now);
        return;
      }
      await this.clock.sleep(Math.max(1, this.starts[0]! + this.windowMs - now), signal);
    }
  }
}

export const TVMAZE_LIMIT = { limit: 20, windowMs: 10_000 } as const;

let tvmazeShared: RateLimiter | undefined;

/** The one limiter for TVmaze in this process (its limit is per IP address, not per client). */
export function sharedTvmazeLimiter(): RateLimiter {
  tvmazeShared ??= new RateLimiter(TVMAZE_LIMIT);
  return tvmazeShared;
}

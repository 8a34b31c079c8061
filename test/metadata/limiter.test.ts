// The rate limiter in virtual time: never more than 20 starts in any 10 s, first come first served,
// and, end to end, 50 shows looked up against a fake TVmaze that answers 429 past 20 calls per 10 s.
import { afterEach, describe, expect, it } from "vitest";
import { ProviderUnavailableError } from "../../src/metadata/errors.js";
import { RateLimiter, sharedTvmazeLimiter, TVMAZE_LIMIT } from "../../src/metadata/limiter.js";
import { createTvmazeProvider } from "../../src/metadata/tvmaze.js";
import { type FakeTvmaze, makeEpisodes, startFakeTvmaze } from "../support/fake-tvmaze.js";
import { VirtualClock } from "../support/virtual-clock.js";
import { waitFor } from "../support/wait-for.js";

const T0 = 1_700_000_000_000;

/** The most timestamps inside any window of windowMs (a window [t, t + windowMs) starting at each one). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! < sorted[i]! - windowMs + 1) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Lets the promise chain settle, then wakes the next sleeper; repeats until `done`. */
async function drive(clock: VirtualClock, done: () => boolean, quiet: () => boolean): Promise<void> {
  while (!done()) {
    await waitFor(() => done() || (quiet() && clock.sleeping > 0), 5000, "the callers to be waiting on the clock");
    if (!done()) clock.advanceToNext();
  }
}

describe("RateLimiter", () => {
  it("starts at most 20 of 50 calls in any 10 s, in the order they asked", async () => {
    const clock = new VirtualClock(T0);
    const limiter = new RateLimiter({ ...TVMAZE_LIMIT, clock });
    const started: Array<{ n: number; at: number }> = [];
    let finished = 0;
    const all = Array.from({ length: 50 }, (_, n) =>
      limiter.acquire().then(() => {
        started.push({ n, at: clock.now() });
        finished++;
      }),
    );

    await drive(clock, () => finished === 50, () => limiter.waiting === 50 - finished);
    await Promise.all(all);

    expect(started.map((s) => s.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(busiestWindow(started.map((s) => s.at), 10_000)).toBe(20);
    expect(started.filter((s) => s.at === T0)).toHaveLength(20);
    expect(started.filter((s) => s.at === T0 + 10_000)).toHaveLength(20);
    expect(started.filter((s) => s.at === T0 + 20_000)).toHaveLength(10);
  });

  it("lets a caller who gives up leave the queue at once, without taking a slot", async () => {
    const clock = new VirtualClock(T0);
    const limiter = new RateLimiter({ limit: 1, windowMs: 1000, clock });
    await limiter.acquire();
    const controller = new AbortController();
    const quitter = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort(new Error("no longer needed"));
    await expect(quitter).rejects.toThrow("no longer needed");

    let nextAt: number | undefined;
    void next.then(() => (nextAt = clock.now()));
    await drive(clock, () => nextAt !== undefined, () => true);
    expect(nextAt).toBe(T0 + 1000);
    expect(limiter.waiting).toBe(0);
  });

  it("never holds callers longer than one window when the clock is stepped back", async () => {
    const clock = new VirtualClock(T0);
    const limiter = new RateLimiter({ limit: 2, windowMs: 1000, clock });
    await limiter.acquire();
    await limiter.acquire();
    clock.t = T0 - 3_600_000; // an hour back
    let at: number | undefined;
    void limiter.acquire().then(() => (at = clock.now()));
    await drive(clock, () => at !== undefined, () => true);
    expect(at! - (T0 - 3_600_000)).toBeLessThanOrEqual(1000);
  });

  it("is one limiter for TVmaze in the whole process", () => {
    expect(sharedTvmazeLimiter()).toBe(sharedTvmazeLimiter());
    expect(sharedTvmazeLimiter()).toMatchObject({ limit: 20, windowMs: 10_000 });
  });
});

describe("50 shows looked up against TVmaze's limit", () => {
  let fake: FakeTvmaze | undefined;
  afterEach(async () => {
    await fake?.close();
  });

  async function fiftyShows(clock: VirtualClock): Promise<FakeTvmaze> {
    const shows = Array.from({ length: 50 }, (_, i) => ({
      id: 1000 + i,
      name: `Show ${i}`,
      premiered: "2020-01-01",
      episodes: makeEpisodes([i % 5 + 1]),
    }));
    return startFakeTvmaze({ shows, now: () => clock.now() });
  }

  it("makes no more than 20 calls in any 10 s, gets no 429 and every episode list", async () => {
    const clock = new VirtualClock(T0);
    fake = await fiftyShows(clock);
    const limiter = new RateLimiter({ ...TVMAZE_LIMIT, clock });
    const tvmaze = createTvmazeProvider({ root: fake.root, userAgent: "test", limiter, clock });
    let finished = 0;
    const lists = Array.from({ length: 50 }, (_, i) => tvmaze.episodes(String(1000 + i)).finally(() => finished++));

    const server = fake;
    await drive(
      clock,
      () => finished === 50,
      () => server.inFlight === 0 && limiter.waiting === 50 - server.requests.length,
    );

    expect((await Promise.all(lists)).map((l) => l.length)).toEqual(Array.from({ length: 50 }, (_, i) => i % 5 + 1));
    expect(fake.refused).toEqual([]);
    expect(fake.requests).toHaveLength(50);
    expect(busiestWindow(fake.requests.map((r) => r.at), 10_000)).toBe(20);
    expect(Math.max(...fake.requests.map((r) => r.at)) - T0).toBe(20_000);
  });

  it("(the control) without the limiter, the fake refuses the calls past 20", async () => {
    const clock = new VirtualClock(T0, { auto: true });
    fake = await fiftyShows(clock);
    const tvmaze = createTvmazeProvider({
      root: fake.root,
      userAgent: "test",
      limiter: new RateLimiter({ limit: 1000, windowMs: 10_000, clock }),
      clock,
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => tvmaze.episodes(String(1000 + i))));

    // All 50 go out at once: the 21st arrives within the same 10 s and is refused.
    expect(fake.refused.length).toBeGreaterThan(0);
    for (const o of outcomes) {
      if (o.status === "rejected") expect(o.reason).toBeInstanceOf(ProviderUnavailableError);
    }
  });
});

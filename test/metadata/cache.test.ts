// The episode-list cache on its own: time to live, bounds, shared loads, failures not kept.
import { describe, expect, it } from "vitest";
import { TtlCache } from "../../src/metadata/cache.js";

function cache(options: { maxEntries?: number; maxWeight?: number } = {}) {
  let now = 0;
  const c = new TtlCache<string, number[]>({
    ttlMs: 1000,
    maxEntries: options.maxEntries ?? 10,
    ...(options.maxWeight !== undefined ? { maxWeight: options.maxWeight } : {}),
    weigh: (v) => v.length,
    now: () => now,
  });
  return { c, tick: (ms: number) => void (now += ms) };
}

describe("TtlCache", () => {
  it("forgets a value once its time to live has passed", () => {
    const { c, tick } = cache();
    c.set("a", [1]);
    tick(999);
    expect(c.get("a")).toEqual([1]);
    tick(1);
    expect(c.get("a")).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it("keeps within its weight, and does not keep a value heavier than all of it", () => {
    const { c } = cache({ maxWeight: 5 });
    c.set("a", [1, 2, 3]);
    c.set("b", [1, 2]);
    expect(c.totalWeight).toBe(5);
    c.set("c", [1]);
    expect(c.get("a")).toBeUndefined();
    expect(c.totalWeight).toBe(3);
    c.set("huge", [1, 2, 3, 4, 5, 6]);
    expect(c.get("huge")).toBeUndefined();
    expect(c.get("b")).toEqual([1, 2]);
  });

  it("shares one load among callers asking at once, and keeps no failure", async () => {
    const { c } = cache();
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error("down"));
    };
    const both = await Promise.allSettled([c.getOrLoad("a", failing), c.getOrLoad("a", failing)]);
    expect(both.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    expect(await c.getOrLoad("a", async () => [7])).toEqual([7]);
    expect(await c.getOrLoad("a", async () => [8])).toEqual([7]);
  });
});

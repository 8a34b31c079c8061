// The virtual scheduler on its own: timeouts fire in due order on advance, promise chains and
// setImmediate work run between firings, cancelled ones never fire, the wall clock can be stepped alone.
import { describe, expect, it } from "vitest";
import { VirtualScheduler, every } from "../support/virtual-time.js";

describe("VirtualScheduler", () => {
  it("fires due timeouts in order of due time, then of setting, moving both clocks to each", async () => {
    const s = new VirtualScheduler({ wallMs: 1_000_000 });
    const fired: Array<[string, number, number]> = [];
    const note = (name: string) => () => fired.push([name, s.monotonicNow(), s.now()]);
    s.setTimeout(note("b"), 200);
    s.setTimeout(note("a"), 100);
    s.setTimeout(note("a2"), 100);
    s.setTimeout(note("late"), 1000);
    await s.advance(500);
    expect(fired).toEqual([["a", 100, 1_000_100], ["a2", 100, 1_000_100], ["b", 200, 1_000_200]]);
    expect([s.monotonicNow(), s.now()]).toEqual([500, 1_000_500]);
    expect(s.pending()).toBe(1);
  });

  it("lets promise chains and setImmediate work finish before the next timeout fires", async () => {
    const s = new VirtualScheduler();
    const log: string[] = [];
    s.setTimeout(() => {
      log.push("first");
      // Work that takes many turns of the event loop, reading the clock as it goes, as a handler's
      // commits do (one turn each).
      void (async () => {
        for (let i = 0; i < 50; i++) {
          await new Promise<void>((r) => setImmediate(r));
          if (i % 3 === 0) s.now();
        }
        log.push(`chain done at ${s.monotonicNow()}`);
      })();
    }, 10);
    s.setTimeout(() => log.push("second"), 20);
    await s.advance(30);
    expect(log).toEqual(["first", "chain done at 10", "second"]);
  });

  it("never fires a cancelled timeout, and sleep resolves only when time reaches it", async () => {
    const s = new VirtualScheduler();
    let fired = false;
    s.setTimeout(() => (fired = true), 50).cancel();
    let woke = false;
    void s.sleep(100).then(() => (woke = true));
    await s.advance(99);
    expect(woke).toBe(false);
    await s.advance(1);
    expect(woke).toBe(true);
    expect(fired).toBe(false);
    expect(s.sleeps).toEqual([100]);
  });

  it("runs until idle through chains of timeouts, leaving unref'd ones that re-arm for ever", async () => {
    const s = new VirtualScheduler();
    let polls = 0;
    every(s, 1000, () => polls++, { unref: true });
    let steps = 0;
    const step = () => {
      steps++;
      if (steps < 5) s.setTimeout(step, 300);
    };
    s.setTimeout(step, 300);
    await s.runUntilIdle();
    expect(steps).toBe(5);
    expect(s.monotonicNow()).toBe(1500);
    expect(polls).toBe(1); // the poll due at 1000 fired on the way
    expect(s.pending()).toBe(0);
    expect(s.pending({ all: true })).toBe(1);
  });

  it("says so when something keeps re-arming itself", async () => {
    const s = new VirtualScheduler();
    const loop = () => void s.setTimeout(loop, 10);
    loop();
    await expect(s.runUntilIdle({ maxFirings: 50 })).rejects.toThrow("still busy after 50 timeouts");
  });

  it("steps the wall clock alone, as an operator setting the clock back does", () => {
    const s = new VirtualScheduler({ wallMs: 10_000 });
    s.stepWall(-3_000);
    expect([s.now(), s.monotonicNow()]).toEqual([7_000, 0]);
  });

  it("waitFor moves time to the next timeouts until the condition holds, within its virtual budget", async () => {
    const s = new VirtualScheduler();
    let done = false;
    s.setTimeout(() => s.setTimeout(() => (done = true), 4000), 1000);
    await s.waitFor(() => done, { withinMs: 10_000 });
    expect(s.monotonicNow()).toBe(5000);

    let never = false;
    s.setTimeout(() => (never = true), 20_000);
    await expect(s.waitFor(() => never, { withinMs: 10_000, realMs: 20, what: "the late one" })).rejects.toThrow(
      "the late one not met within 10000 ms of virtual time",
    );
  });
});

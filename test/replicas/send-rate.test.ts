// Telegram's 30 sends a second, shared by every process: three pools ("processes") sending as fast
// as the shared rate lets them never exceed 30 in any 1.05 s window, and together come close to it.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PostgresStore } from "../../runtime/postgres/postgres-store.js";
import { SharedSendRate } from "../../runtime/replicas/send-rate.js";
import { withTestDatabase } from "../support/postgres.js";
import { openReplicaStore, resetSchema } from "./pg-harness.js";

const database = await withTestDatabase();

database.describe("shared send rate", () => {
  let stores: PostgresStore[] = [];

  beforeAll(async () => {
    stores = await Promise.all([0, 1, 2].map((i) => openReplicaStore(database.url, `send-rate-${i}`, 4)));
    await resetSchema(stores[0]!);
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it("three processes sending flat out for 3 s stay within 30 per 1.05 s window, and come close to it", async () => {
    const rates = stores.map((store) => new SharedSendRate(store.read));
    // Connections opened before the clock starts, as in a running bot: opening a dozen at once
    // would hold the sends of the first second up, and they would go out bunched behind it.
    await Promise.all(stores.flatMap((store) => Array.from({ length: 4 }, () => store.read.run("SELECT pg_sleep(0.05)"))));
    const sentAt: number[] = [];
    const until = performance.now() + 3000;
    // Each process has several sends waiting at once, as its outbox lanes would.
    await Promise.all(
      rates.flatMap((rate) =>
        Array.from({ length: 8 }, async () => {
          while (performance.now() < until) {
            await rate.take();
            if (performance.now() >= until) return; // past the test's end: not sent
            sentAt.push(performance.now());
          }
        }),
      ),
    );
    sentAt.sort((a, b) => a - b);
    let busiest = 0;
    for (let first = 0, last = 0; last < sentAt.length; last++) {
      while (sentAt[last]! - sentAt[first]! > 1050) first++;
      busiest = Math.max(busiest, last - first + 1);
    }
    expect(busiest).toBeLessThanOrEqual(30);
    expect(busiest).toBeGreaterThanOrEqual(26);
    // 3 s at the spacing's 27 a second, less the first slot's round trip.
    expect(sentAt.length).toBeGreaterThanOrEqual(75);
  });

  it("hands out slots in the order they were asked for, spaced evenly, on the database's clock", async () => {
    const rate = new SharedSendRate(stores[1]!.read, { bucket: "spacing" });
    expect(rate.spacingMs).toBe(37);
    const slots = [];
    for (let i = 0; i < 5; i++) slots.push(await rate.reserveSlot());
    expect(slots[0]!.slotMs).toBeLessThanOrEqual(slots[0]!.nowMs);
    for (let i = 1; i < slots.length; i++) {
      const previous = slots[i - 1]!.slotMs;
      const { slotMs, nowMs } = slots[i]!;
      // Asked before the next free slot: exactly one spacing after the last one. Asked later (a
      // slow round trip on a busy machine): the bucket was idle, so at once, never earlier.
      if (nowMs < previous + 37) expect(slotMs).toBe(previous + 37);
      else {
        expect(slotMs).toBeGreaterThanOrEqual(previous + 37);
        expect(slotMs).toBeLessThanOrEqual(nowMs);
      }
    }
  });

  it("a take given up while waiting resolves false at once", async () => {
    const rate = new SharedSendRate(stores[2]!.read, { bucket: "abort", perWindow: 1, windowMs: 5000, latenessMarginMs: 0 });
    expect(await rate.take()).toBe(true);
    const controller = new AbortController();
    const started = performance.now();
    const waiting = rate.take(controller.signal);
    setTimeout(() => controller.abort(), 100);
    expect(await waiting).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

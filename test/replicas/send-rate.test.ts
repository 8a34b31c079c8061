// Telegram's 30 sends a second, shared by every process: three pools ("processes") sending as fast
// as the shared rate lets them never exceed 30 in any 1.05 s window, and together come close to it.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SharedSendRate } from "../../runtime/replicas/send-rate.js";
import { PgSql, type ScratchDatabase, applySchema, createScratchDatabase, openPool, postgresReachable } from "./pg-harness.js";

const reachable = await postgresReachable("shared send rate");

describe.skipIf(!reachable)("shared send rate", () => {
  let database: ScratchDatabase;
  let pools: pg.Pool[] = [];

  beforeAll(async () => {
    database = await createScratchDatabase();
    pools = [openPool(database.url), openPool(database.url), openPool(database.url)];
    await applySchema(new PgSql(pools[0]!));
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await database?.drop();
  });

  it("three processes sending flat out for 3 s stay within 30 per 1.05 s window, and come close to it", async () => {
    const rates = pools.map((pool) => new SharedSendRate(new PgSql(pool)));
    // Connections opened before the clock starts, as in a running bot: opening a dozen at once
    // would hold the sends of the first second up, and they would go out bunched behind it.
    await Promise.all(pools.flatMap((pool) => Array.from({ length: 4 }, () => pool.query("SELECT pg_sleep(0.05)"))));
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
    const rate = new SharedSendRate(new PgSql(pools[1]!), { bucket: "spacing" });
    expect(rate.spacingMs).toBe(37);
    const waits = [];
    for (let i = 0; i < 5; i++) waits.push(await rate.reserve());
    expect(waits[0]).toBeLessThanOrEqual(0);
    for (let i = 1; i < waits.length; i++) {
      // Each slot is one spacing after the last; the statements themselves take a little time.
      expect(waits[i]! - waits[i - 1]!).toBeGreaterThan(37 - 15);
      expect(waits[i]! - waits[i - 1]!).toBeLessThanOrEqual(37);
    }
  });

  it("a take given up while waiting resolves false at once", async () => {
    const rate = new SharedSendRate(new PgSql(pools[2]!), { bucket: "abort", perWindow: 1, windowMs: 5000, latenessMarginMs: 0 });
    expect(await rate.take()).toBe(true);
    const controller = new AbortController();
    const started = performance.now();
    const waiting = rate.take(controller.signal);
    setTimeout(() => controller.abort(), 100);
    expect(await waiting).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

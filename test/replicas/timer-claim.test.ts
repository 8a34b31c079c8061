// Timers fire once with several processes: due timers claimed by three pools at once, each in a
// unit that stores the timer's inbox message, become exactly one inbox message each.
import { afterEach, beforeEach, expect, it } from "vitest";
import type { PostgresStore } from "../../runtime/postgres/postgres-store.js";
import { claimDueTimers } from "../../runtime/replicas/timer-claim.js";
import type { Sql, Tx } from "../../runtime/store.js";
import type { TimerRow } from "../../runtime/timer-store.js";
import { withTestDatabase } from "../support/postgres.js";
import { openReplicaStore, openTransaction, resetSchema } from "./pg-harness.js";

const database = await withTestDatabase();
const NOW = 1_000_000;

database.describe("timer claims", () => {
  /** Three processes' stores. */
  let stores: PostgresStore[];
  let sql: Sql;

  beforeEach(async () => {
    stores = await Promise.all([0, 1, 2].map((i) => openReplicaStore(database.url, `timers-${i}`)));
    sql = stores[0]!.read;
    await resetSchema(stores[0]!);
  });
  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  /** Timers t0, t1, … for seven chats, due at NOW, NOW + 1 ms, … */
  async function armTimers(count: number): Promise<void> {
    await sql.run(
      `INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms)
       SELECT 't' || n, 'chat:' || (n % 7), 'remind', '{"n":' || n || '}', ? + n FROM generate_series(0, ? - 1) AS n`,
      [NOW, count],
    );
  }

  /** The firing unit on PostgreSQL: claim, then store each timer's message (as Inbox.accept would). */
  const fire = (limit: number) => async (tx: Tx): Promise<TimerRow[]> => {
    const due = await claimDueTimers(tx, NOW + 10_000, limit);
    for (const timer of due) {
      await tx.run(
        `INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES (?, ?, 'timer', ?, ?) ON CONFLICT (id) DO NOTHING`,
        [`timer:${timer.id}`, timer.agentKey, timer.payloadJson, NOW],
      );
    }
    return due;
  };

  it("three processes firing at once turn each due timer into exactly one inbox message", async () => {
    await armTimers(300);
    const claimed: string[][] = [[], [], []];
    await Promise.all(
      stores.map(async (store, i) => {
        for (;;) {
          // Two units in one batch, as a group commit may hold.
          const due = (await Promise.all([store.submit(fire(10)), store.submit(fire(10))])).flat();
          if (due.length === 0) return;
          claimed[i]!.push(...due.map((t) => t.id));
        }
      }),
    );
    const all = claimed.flat();
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    expect(await sql.get(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS distinct FROM inbox WHERE kind = 'timer'`)).toEqual({ n: 300, distinct: 300 });
    expect(await sql.get(`SELECT count(*)::int AS n FROM timers WHERE fired_at_ms IS NULL`)).toEqual({ n: 0 });
  });

  it("claims only timers due, not canceled and not fired, earliest first, for one agent when asked", async () => {
    await armTimers(5);
    await sql.run(`UPDATE timers SET fire_at_ms = ? WHERE id = 't4'`, [NOW + 20_000]);
    await sql.run(`UPDATE timers SET canceled_at_ms = 1 WHERE id = 't3'`);
    await sql.run(`UPDATE timers SET fired_at_ms = 1 WHERE id = 't2'`);
    const forChat1 = await stores[0]!.submit((tx) => claimDueTimers(tx, NOW + 10_000, 10, "chat:1"));
    expect(forChat1.map((t) => t.id)).toEqual(["t1"]);
    const rest = await stores[0]!.submit((tx) => claimDueTimers(tx, NOW + 10_000, 10));
    expect(rest).toEqual([{ id: "t0", agentKey: "chat:0", kind: "remind", payloadJson: '{"n":0}', fireAtMs: NOW }]);
  });

  it("a firing unit that fails leaves its timers armed for the next one", async () => {
    await armTimers(3);
    const failing = stores[0]!.submit(async (tx) => {
      await fire(10)(tx);
      throw new Error("the unit failed after claiming");
    });
    await expect(failing).rejects.toThrow("the unit failed after claiming");
    expect(await sql.get(`SELECT count(*)::int AS n FROM timers WHERE fired_at_ms IS NULL`)).toEqual({ n: 3 });
    expect((await stores[1]!.submit(fire(10))).map((t) => t.id)).toEqual(["t0", "t1", "t2"]);
  });

  it("the plain compare-and-set claim of one timer by two transactions at once succeeds once", async () => {
    await armTimers(1);
    const [one, two] = await Promise.all([openTransaction(database.url), openTransaction(database.url)]);
    const claim = (tx: Tx) =>
      tx.run(`UPDATE timers SET fired_at_ms = ? WHERE id = 't0' AND fired_at_ms IS NULL`, [NOW]).then((r) => r.changes);
    const first = await claim(one!.tx);
    const second = claim(two!.tx); // waits for the first transaction
    await one!.commit();
    expect([first, await second]).toEqual([1, 0]);
    await two!.commit();
  });
});

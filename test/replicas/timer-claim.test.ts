// Timers fire once with several processes: due timers claimed by three pools at once, each in a
// unit that stores the timer's inbox message, become exactly one inbox message each.
import type pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claimDueTimers } from "../../runtime/replicas/timer-claim.js";
import type { Tx } from "../../runtime/store.js";
import type { TimerRow } from "../../runtime/timer-store.js";
import { PgSql, type ScratchDatabase, applySchema, createScratchDatabase, openPool, postgresReachable, runBatch, runUnit } from "./pg-harness.js";

const reachable = await postgresReachable("timer claim");
const NOW = 1_000_000;

describe.skipIf(!reachable)("timer claims", () => {
  let database: ScratchDatabase;
  let pools: pg.Pool[];
  let sql: PgSql;

  beforeAll(async () => {
    database = await createScratchDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  beforeEach(async () => {
    pools = [openPool(database.url), openPool(database.url), openPool(database.url)];
    sql = new PgSql(pools[0]!);
    await sql.exec(`DROP TABLE IF EXISTS inbox, outbox, timers, chat_leases, send_rate`);
    await applySchema(sql);
  });
  afterEach(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
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
      pools.map(async (pool, i) => {
        for (;;) {
          // Two units per batch, as a group commit may hold.
          const results = await runBatch(pool, [fire(10), fire(10)]);
          const due = results.flatMap((r) => (r.status === "fulfilled" ? (r.value as TimerRow[]) : []));
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
    const forChat1 = await runUnit(pools[0]!, (tx) => claimDueTimers(tx, NOW + 10_000, 10, "chat:1"));
    expect(forChat1.map((t) => t.id)).toEqual(["t1"]);
    const rest = await runUnit(pools[0]!, (tx) => claimDueTimers(tx, NOW + 10_000, 10));
    expect(rest).toEqual([{ id: "t0", agentKey: "chat:0", kind: "remind", payloadJson: '{"n":0}', fireAtMs: NOW }]);
  });

  it("a firing unit that fails leaves its timers armed for the next one", async () => {
    await armTimers(3);
    const [failed] = await runBatch(pools[0]!, [
      async (tx) => {
        await fire(10)(tx);
        throw new Error("the unit failed after claiming");
      },
    ]);
    expect(failed!.status).toBe("rejected");
    expect(await sql.get(`SELECT count(*)::int AS n FROM timers WHERE fired_at_ms IS NULL`)).toEqual({ n: 3 });
    expect((await runUnit(pools[1]!, fire(10))).map((t) => t.id)).toEqual(["t0", "t1", "t2"]);
  });

  it("the plain compare-and-set claim of one timer by two transactions at once succeeds once", async () => {
    await armTimers(1);
    const clients = await Promise.all(pools.slice(0, 2).map((pool) => pool.connect()));
    try {
      await Promise.all(clients.map((client) => client.query("BEGIN")));
      const claim = (client: pg.PoolClient) =>
        client.query(`UPDATE timers SET fired_at_ms = $1 WHERE id = 't0' AND fired_at_ms IS NULL`, [NOW]).then((r) => r.rowCount);
      const first = await claim(clients[0]!);
      const second = claim(clients[1]!); // waits for the first transaction
      await clients[0]!.query("COMMIT");
      expect([first, await second]).toEqual([1, 0]);
      await clients[1]!.query("COMMIT");
    } finally {
      for (const client of clients) client.release();
    }
  });
});

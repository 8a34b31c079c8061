// Wake-ups between processes over LISTEN/NOTIFY: sent with the commit that stored the work, to the
// chat's live holder only, and a listener that reconnects and says what it may have missed.
import type pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChatLeases } from "../../runtime/replicas/chat-leases.js";
import { WakeListener, notifyHolder, notifyWake } from "../../runtime/replicas/wake-ups.js";
import type { Tx } from "../../runtime/store.js";
import { UnitTx } from "../../runtime/unit-tx.js";
import { waitFor, settle } from "../support/wait-for.js";
import {
  PgSql,
  type ScratchDatabase,
  applySchema,
  createScratchDatabase,
  openPool,
  postgresReachable,
  runBatch,
  storeMessage,
  terminateSessions,
} from "./pg-harness.js";

const reachable = await postgresReachable("wake-up");

describe.skipIf(!reachable)("wake-ups", () => {
  let database: ScratchDatabase;
  let pool: pg.Pool;
  let sql: PgSql;
  let listener: WakeListener | undefined;
  let woken: string[];
  let missed: number;

  beforeAll(async () => {
    database = await createScratchDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  beforeEach(async () => {
    pool = openPool(database.url);
    sql = new PgSql(pool);
    await sql.exec(`DROP TABLE IF EXISTS inbox, outbox, timers, chat_leases, send_rate`);
    await applySchema(sql);
    woken = [];
    missed = 0;
  });
  afterEach(async () => {
    await listener?.stop();
    listener = undefined;
    await pool.end();
  });

  async function listen(): Promise<WakeListener> {
    listener = new WakeListener({
      connection: { connectionString: database.url, application_name: "wake-test-listener" },
      onWake: (key) => woken.push(key),
      onMissedWakeUps: () => missed++,
      reconnectMs: 100,
      pingMs: 500,
    });
    await listener.start();
    return listener;
  }

  /** The unit accept would run: store the message, tell the holder. */
  const accept = (id: string, key: string, me: string) => async (tx: Tx) => {
    await storeMessage(tx, id, key);
    return notifyHolder(tx, key, me);
  };

  it("the holder of a chat is woken when another process's storing transaction commits, not before", async () => {
    await listen();
    const holder = new ChatLeases(sql, "holder");
    await holder.acquire("chat:1");

    const client = await pool.connect();
    await client.query("BEGIN");
    expect(await accept("m1", "chat:1", "accepter")(new UnitTx(new PgSql(client)))).toBe(true);
    await settle(200);
    expect(woken).toEqual([]);
    await client.query("COMMIT");
    client.release();
    await waitFor(() => woken.length > 0, 3000, "the wake-up");
    expect(woken).toEqual(["chat:1"]);
  });

  it("sends nothing for a chat that is free, expired, released or the sender's own, and nothing from a unit undone", async () => {
    await listen();
    const mine = new ChatLeases(sql, "accepter");
    const other = new ChatLeases(sql, "other");
    await mine.acquire("chat:mine");
    await other.acquire("chat:expired");
    await sql.run(`UPDATE chat_leases SET expires_at_ms = 0 WHERE agent_key = 'chat:expired'`);
    await other.acquire("chat:released");
    await other.release("chat:released");
    await other.acquire("chat:held");

    const results = await runBatch(pool, [
      accept("m1", "chat:free", "accepter"),
      accept("m2", "chat:mine", "accepter"),
      accept("m3", "chat:expired", "accepter"),
      accept("m4", "chat:released", "accepter"),
      async (tx) => {
        await accept("m5", "chat:held", "accepter")(tx);
        throw new Error("the unit failed after storing");
      },
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "failed"))).toEqual([false, false, false, false, "failed"]);
    await settle(300);
    expect(woken).toEqual([]);
  });

  it("many messages for one chat in one batch wake its holder once", async () => {
    await listen();
    await new ChatLeases(sql, "holder").acquire("chat:1");
    await runBatch(pool, Array.from({ length: 20 }, (_, i) => accept(`m${i}`, "chat:1", "accepter")));
    await waitFor(() => woken.length > 0, 3000, "the wake-up");
    await settle(200);
    expect(woken).toEqual(["chat:1"]);
  });

  it("holds the chat for its holder until the storing transaction commits: a takeover waits for it", async () => {
    const holder = new ChatLeases(sql, "holder");
    const taker = new ChatLeases(sql, "taker");
    await holder.acquire("chat:1");
    const client = await pool.connect();
    await client.query("BEGIN");
    expect(await accept("m1", "chat:1", "accepter")(new UnitTx(new PgSql(client)))).toBe(true);
    await sql.run(`UPDATE chat_leases SET expires_at_ms = 0 WHERE agent_key = 'chat:1'`);
    let taken: unknown = "waiting";
    const taking = taker.acquire("chat:1").then((lease) => (taken = lease));
    await settle(300);
    expect(taken).toBe("waiting");
    await client.query("COMMIT");
    client.release();
    await taking;
    // The new holder starts after the message's commit, so it reads the message from the table.
    expect(taken).toMatchObject({ epoch: 2, fresh: true });
    expect(await sql.get(`SELECT count(*)::int AS n FROM inbox WHERE agent_key = 'chat:1'`)).toEqual({ n: 1 });
  });

  it("notifyWake reaches listeners outside a transaction", async () => {
    await listen();
    await notifyWake(sql, "chat:9");
    await waitFor(() => woken.length > 0, 3000, "the wake-up");
    expect(woken).toEqual(["chat:9"]);
  });

  it("reconnects after its connection is killed, reports that wake-ups may have been missed, and hears the next ones", async () => {
    const wakes = await listen();
    expect(wakes.listening).toBe(true);
    expect(missed).toBe(0);
    expect(await terminateSessions(sql, "wake-test-listener")).toBe(1);
    await notifyWake(sql, "chat:lost"); // sent while nobody listens: gone
    await waitFor(() => missed === 1, 5000, "the missed wake-ups report");
    expect(wakes.listening).toBe(true);
    await notifyWake(sql, "chat:2");
    await waitFor(() => woken.includes("chat:2"), 3000, "the wake-up after reconnecting");
    expect(woken).not.toContain("chat:lost");
  });

  it("a first connection that fails is retried, and its success reports missed wake-ups", async () => {
    // Its database does not exist yet: every attempt fails until the test creates it.
    const late = `${new URL(database.url).pathname.slice(1)}_late`;
    const url = new URL(database.url);
    url.pathname = `/${late}`;
    let errors = 0;
    listener = new WakeListener({
      connection: { connectionString: url.toString() },
      onWake: (key) => woken.push(key),
      onMissedWakeUps: () => missed++,
      onConnectionError: () => errors++,
      reconnectMs: 50,
    });
    await listener.start();
    expect(listener.listening).toBe(false);
    await waitFor(() => errors >= 2, 3000, "the retries");
    await sql.exec(`CREATE DATABASE ${late}`);
    try {
      await waitFor(() => listener!.listening, 3000, "the listener to connect");
      expect(missed).toBe(1);
    } finally {
      await listener.stop();
      listener = undefined;
      await sql.exec(`DROP DATABASE ${late} WITH (FORCE)`);
    }
  });
});

// Leases under contention: three "processes" (pools) acquire, write in guarded batches, renew, scan
// for orphans and release, on the same few chats, while the test makes leases expire at random (as
// a stalled process's would). No statement may fail but with LeaseLostError (no deadlock, no lock
// timeout), every write commits while its epoch still holds the chat, and each chat's writes follow
// its epochs: none from an older epoch after a newer one.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PostgresStore } from "../../runtime/postgres/postgres-store.js";
import { ChatLeases, LeaseLostError } from "../../runtime/replicas/chat-leases.js";
import { notifyHolder } from "../../runtime/replicas/wake-ups.js";
import { withTestDatabase } from "../support/postgres.js";
import { openReplicaStore, resetSchema, storeMessage } from "./pg-harness.js";

const database = await withTestDatabase();
const CHATS = Array.from({ length: 8 }, (_, i) => `chat:${i}`);
const RUN_MS = 4000;

database.describe("leases under contention", () => {
  /** Three replicas' stores, and the staller's. */
  let stores: PostgresStore[];

  beforeAll(async () => {
    stores = await Promise.all([0, 1, 2, 3].map((i) => openReplicaStore(database.url, `contention-${i}`)));
    const sql = stores[0]!.read;
    await resetSchema(stores[0]!);
    await sql.exec(`CREATE TABLE writes (id BIGSERIAL PRIMARY KEY, agent_key TEXT NOT NULL, holder TEXT NOT NULL, epoch BIGINT NOT NULL)`);
    // Checked as each write commits: the chat is still at the write's epoch (nobody took it over
    // between the unit's guard and its commit). A failure here reaches the test as an unexpected error.
    await sql.exec(`
      CREATE FUNCTION write_within_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM chat_leases WHERE agent_key = NEW.agent_key AND epoch = NEW.epoch) THEN
          RAISE EXCEPTION 'a write of epoch % for % commits after a takeover', NEW.epoch, NEW.agent_key;
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER writes_within_epoch AFTER INSERT ON writes
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION write_within_epoch();
    `);
    for (const key of CHATS) await storeMessage(sql, `m-${key}`, key);
  });
  afterAll(async () => {
    await Promise.all((stores ?? []).map((store) => store.close()));
  });

  it("never deadlocks, and no write commits once its epoch is over", async () => {
    const until = performance.now() + RUN_MS;
    const unexpected: unknown[] = [];
    let fenced = 0;
    const pick = () => CHATS[Math.floor(Math.random() * CHATS.length)]!;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    const replica = async (index: number) => {
      const store = stores[index]!;
      const leases = new ChatLeases(store.read, `p${index}`);
      const jobs = [
        // Mailboxes: acquire, then batches of guarded writes (and wake-ups of other holders' chats).
        async () => {
          while (performance.now() < until) {
            const key = pick();
            if (leases.epochOf(key) === undefined) await leases.acquire(key);
            const held = leases.heldKeys().map((k) => [k, leases.epochOf(k)!] as const);
            // One batch: every unit submitted in the same turn.
            const results = await Promise.allSettled([
              ...held.map(([k, epoch]) =>
                store.submit(async (tx) => {
                  await leases.guard(tx, k, epoch);
                  // More of the unit's work after its guard: room for a takeover to slip in, if it could.
                  await tx.run(`SELECT pg_sleep(0.005)`);
                  await tx.run(`INSERT INTO writes (agent_key, holder, epoch) VALUES (?, ?, ?)`, [k, leases.holder, epoch]);
                }),
              ),
              store.submit((tx) => notifyHolder(tx, pick(), leases.holder)),
            ]);
            results.forEach((result, i) => {
              if (result.status === "fulfilled") return;
              if (result.reason instanceof LeaseLostError) {
                fenced++;
                leases.markLost(held[i]![0], held[i]![1]);
              } else unexpected.push(result.reason);
            });
          }
        },
        // Heartbeat and orphan scan, faster than the runtime's to make them meet.
        async () => {
          while (performance.now() < until) {
            await leases.renewAll();
            await leases.orphans(4);
            await sleep(20);
          }
        },
        // Now and then, an idle chat given up.
        async () => {
          while (performance.now() < until) {
            await sleep(150);
            await leases.release(pick());
          }
        },
      ];
      await Promise.all(jobs.map((job) => job().catch((error: unknown) => unexpected.push(error))));
    };

    // Stalls: a random chat's lease expires, as if its holder had stopped renewing it.
    const staller = async () => {
      const sql = stores[3]!.read;
      while (performance.now() < until) {
        await sql.run(`UPDATE chat_leases SET expires_at_ms = 0 WHERE agent_key = ?`, [pick()]);
        await sleep(30);
      }
    };

    await Promise.all([replica(0), replica(1), replica(2), staller().catch((error: unknown) => unexpected.push(error))]);
    expect(unexpected).toEqual([]);

    const sql = stores[0]!.read;
    const rows = await sql.all<{ agentKey: string; holder: string; epoch: number }>(
      `SELECT agent_key AS "agentKey", holder, epoch FROM writes ORDER BY id`,
    );
    expect(rows.length).toBeGreaterThan(100);
    expect(fenced).toBeGreaterThan(0);
    for (const key of CHATS) {
      const epochs = rows.filter((row) => row.agentKey === key);
      for (let i = 1; i < epochs.length; i++) {
        expect(epochs[i]!.epoch).toBeGreaterThanOrEqual(epochs[i - 1]!.epoch);
        // One holder per epoch.
        if (epochs[i]!.epoch === epochs[i - 1]!.epoch) expect(epochs[i]!.holder).toBe(epochs[i - 1]!.holder);
      }
    }
  }, 30_000);
});

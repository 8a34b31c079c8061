// Chat leases on a real PostgreSQL, with one pool per "process": taking, renewing, releasing,
// fencing with epochs, and the orphan scan.
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import type { PostgresStore } from "../../runtime/postgres/postgres-store.js";
import { ChatLeases, LeaseLostError } from "../../runtime/replicas/chat-leases.js";
import type { Sql, Tx } from "../../runtime/store.js";
import { withTestDatabase } from "../support/postgres.js";
import { openReplicaStore, openTransaction, resetSchema, storeMessage } from "./pg-harness.js";

const database = await withTestDatabase();

database.describe("chat leases", () => {
  /** Three processes' stores on one database. */
  let stores: PostgresStore[];
  let sqls: Sql[];

  beforeEach(async () => {
    stores = await Promise.all([0, 1, 2].map((i) => openReplicaStore(database.url, `leases-${i}`)));
    sqls = stores.map((store) => store.read);
    await resetSchema(stores[0]!);
    await stores[0]!.submit((tx) => tx.exec(`CREATE TABLE writes (agent_key TEXT NOT NULL, holder TEXT NOT NULL, epoch BIGINT NOT NULL)`));
  });
  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  /** Makes the chat's lease look as if its holder stopped renewing it long ago. */
  const expire = (key: string) => sqls[0]!.run(`UPDATE chat_leases SET expires_at_ms = 0 WHERE agent_key = ?`, [key]);

  /** A unit that writes for the chat, guarded. */
  const guardedWrite = (leases: ChatLeases, key: string, epoch: number) => async (tx: Tx) => {
    await leases.guard(tx, key, epoch);
    await tx.run(`INSERT INTO writes (agent_key, holder, epoch) VALUES (?, ?, ?)`, [key, leases.holder, epoch]);
  };

  it("takes a free chat, keeps its epoch while held, refuses it to others, and bumps the epoch on a takeover", async () => {
    const a = new ChatLeases(sqls[0]!, "a");
    const b = new ChatLeases(sqls[1]!, "b");

    expect(await a.acquire("chat:1")).toEqual({ agentKey: "chat:1", epoch: 1, fresh: true });
    expect(await a.acquire("chat:1")).toEqual({ agentKey: "chat:1", epoch: 1, fresh: false });
    expect(await b.acquire("chat:1")).toBeUndefined();
    expect(b.epochOf("chat:1")).toBeUndefined();

    await expire("chat:1");
    // Taken from a holder that never released it: the new holder treats the chat as after a crash.
    expect(await b.acquire("chat:1")).toEqual({ agentKey: "chat:1", epoch: 2, fresh: true, takenFrom: "a" });
    expect(await a.renewAll()).toEqual({ renewed: 0, lost: ["chat:1"] });
    expect(a.epochOf("chat:1")).toBeUndefined();
    expect(await a.acquire("chat:1")).toBeUndefined();
  });

  it("decides expiry on the database's clock: a process whose clock runs an hour ahead cannot take a live lease", async () => {
    const a = new ChatLeases(sqls[0]!, "a", { ttlMs: 60_000 });
    const b = new ChatLeases(sqls[1]!, "b");
    await a.acquire("chat:1");
    vi.spyOn(Date, "now").mockReturnValue(Date.now() + 3600_000);
    expect(await b.acquire("chat:1")).toBeUndefined();
    expect(await b.orphans(10)).toEqual([]);
    const row = await sqls[0]!.get<{ leftMs: number }>(
      `SELECT expires_at_ms - (floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint AS "leftMs" FROM chat_leases`,
    );
    expect(row!.leftMs).toBeGreaterThan(55_000);
    expect(row!.leftMs).toBeLessThanOrEqual(60_000);
  });

  it("an expired lease nobody took is still this process's, at the same epoch", async () => {
    const a = new ChatLeases(sqls[0]!, "a");
    await a.acquire("chat:1");
    await expire("chat:1");
    expect(await a.renewAll()).toEqual({ renewed: 1, lost: [] });
    await stores[0]!.submit(guardedWrite(a, "chat:1", 1));
    await expire("chat:1");
    expect(await a.acquire("chat:1")).toEqual({ agentKey: "chat:1", epoch: 1, fresh: false });
  });

  it("guard rejects only the unit of a chat lost, in a batch that commits the other chats' units", async () => {
    const a = new ChatLeases(sqls[0]!, "a");
    const b = new ChatLeases(sqls[1]!, "b");
    await a.acquire("chat:kept");
    await a.acquire("chat:lost");
    await expire("chat:lost");
    await b.acquire("chat:lost");

    // Submitted together: one batch, one transaction.
    const commitsBefore = stores[0]!.stats.commits;
    const results = await Promise.allSettled([
      stores[0]!.submit(guardedWrite(a, "chat:kept", 1)),
      stores[0]!.submit(guardedWrite(a, "chat:lost", 1)),
      stores[0]!.submit(guardedWrite(a, "chat:kept", 1)),
    ]);
    expect(stores[0]!.stats.commits - commitsBefore).toBe(1);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const lost = (results[1] as PromiseRejectedResult).reason;
    expect(lost).toBeInstanceOf(LeaseLostError);
    expect(lost).toMatchObject({ agentKey: "chat:lost", epoch: 1 });
    expect(await sqls[0]!.all(`SELECT agent_key, holder, epoch FROM writes ORDER BY agent_key`)).toEqual([
      { agent_key: "chat:kept", holder: "a", epoch: 1 },
      { agent_key: "chat:kept", holder: "a", epoch: 1 },
    ]);
  });

  it("a unit holding the guard makes a takeover wait for its commit, while the holder's heartbeat and orphan scans do not wait", async () => {
    const a = new ChatLeases(sqls[0]!, "a");
    const b = new ChatLeases(sqls[1]!, "b");
    const c = new ChatLeases(sqls[2]!, "c");
    await a.acquire("chat:1");
    await storeMessage(sqls[0]!, "m1", "chat:1");

    // A's batch is open: guarded, written, not committed yet.
    const batch = await openTransaction(database.url);
    await guardedWrite(a, "chat:1", 1)(batch.tx);
    await expire("chat:1");

    let takeover: Awaited<ReturnType<ChatLeases["acquire"]>> | "waiting" = "waiting";
    const taking = b.acquire("chat:1").then((lease) => (takeover = lease));
    expect(await c.orphans(10)).toEqual([]); // skips the locked row instead of waiting
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(takeover).toBe("waiting");

    // The holder's heartbeat does not wait for its own open batch (it changes no key column)...
    const renewStarted = Date.now();
    await a.renewAll();
    expect(Date.now() - renewStarted).toBeLessThan(250);
    await expire("chat:1");

    // ...and once the batch commits, the takeover goes on, after the batch's writes.
    await batch.commit();
    await taking;
    expect(takeover).toEqual({ agentKey: "chat:1", epoch: 2, fresh: true, takenFrom: "a" });
    expect(await sqls[1]!.all(`SELECT holder, epoch FROM writes`)).toEqual([{ holder: "a", epoch: 1 }]);
    await expect(stores[0]!.submit(guardedWrite(a, "chat:1", 1))).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("a takeover waiting on the guard finds the lease renewed meanwhile and leaves it", async () => {
    const a = new ChatLeases(sqls[0]!, "a");
    const b = new ChatLeases(sqls[1]!, "b");
    await a.acquire("chat:1");
    const batch = await openTransaction(database.url);
    await guardedWrite(a, "chat:1", 1)(batch.tx);
    await expire("chat:1");
    const taking = b.acquire("chat:1");
    await new Promise((resolve) => setTimeout(resolve, 100));
    await a.renewAll();
    await batch.commit();
    expect(await taking).toBeUndefined();
    await stores[0]!.submit(guardedWrite(a, "chat:1", 1));
  });

  it("release lets another process take the chat at once, and fences out the old epoch", async () => {
    const a = new ChatLeases(sqls[0]!, "a");
    const b = new ChatLeases(sqls[1]!, "b");
    await a.acquire("chat:1");
    await a.acquire("chat:2");
    await a.release("chat:1");
    expect(a.heldKeys()).toEqual(["chat:2"]);
    expect(await b.acquire("chat:1")).toEqual({ agentKey: "chat:1", epoch: 2, fresh: true });
    await expect(stores[0]!.submit(guardedWrite(a, "chat:1", 1))).rejects.toBeInstanceOf(LeaseLostError);

    await a.releaseAll();
    expect(a.heldKeys()).toEqual([]);
    // Released, even by its own holder, a chat starts a new epoch when taken again.
    expect(await a.acquire("chat:2")).toEqual({ agentKey: "chat:2", epoch: 2, fresh: true });
  });

  it("the orphan scan takes chats with work and no live lease, and nothing else", async () => {
    const a = new ChatLeases(sqls[0]!, "a");
    const b = new ChatLeases(sqls[1]!, "b");
    const sql = sqls[0]!;
    await storeMessage(sql, "m-pending", "chat:inbox");
    await storeMessage(sql, "m-done", "chat:done");
    await sql.run(`UPDATE inbox SET status = 'done' WHERE id = 'm-done'`);
    await sql.run(
      `INSERT INTO outbox (agent_key, message_id, payload_json, status, next_attempt_at_ms, created_at_ms)
       VALUES ('chat:sending', 'm', '{}', 'sending', 0, 0), ('chat:sent', 'm', '{}', 'sent', 0, 0)`,
    );
    await sql.run(
      `INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms) VALUES
       ('t-due', 'chat:timer-due', 'k', '{}', 1000), ('t-later', 'chat:timer-later', 'k', '{}', 99999999999999)`,
    );
    await storeMessage(sql, "m-held", "chat:held");
    await storeMessage(sql, "m-dead", "chat:dead");
    await a.acquire("chat:held");
    await a.acquire("chat:dead");
    await expire("chat:dead");

    const taken = await b.orphans(100);
    expect(taken.sort((x, y) => x.agentKey.localeCompare(y.agentKey))).toEqual([
      { agentKey: "chat:dead", epoch: 2, fresh: true, takenFrom: "a" },
      { agentKey: "chat:inbox", epoch: 1, fresh: true },
      { agentKey: "chat:sending", epoch: 1, fresh: true },
      { agentKey: "chat:timer-due", epoch: 1, fresh: true },
    ]);
    expect(b.heldKeys().sort()).toEqual(["chat:dead", "chat:inbox", "chat:sending", "chat:timer-due"]);
    expect(await b.orphans(100)).toEqual([]);
    expect(await a.renewAll()).toEqual({ renewed: 1, lost: ["chat:dead"] });
  });

  it("three processes scanning at once split the orphans: each chat is taken once", async () => {
    const chats = 300;
    for (let i = 0; i < chats; i += 100) {
      await sqls[0]!.run(
        `INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms)
         SELECT 'm' || n, 'chat:' || n, 'text', '{}', 0 FROM generate_series(?::int, ?::int) AS n`,
        [i, i + 99],
      );
    }
    const scanners = sqls.map((sql, i) => new ChatLeases(sql, `p${i}`));
    const takenBy = scanners.map(() => [] as string[]);
    await Promise.all(
      scanners.map(async (leases, i) => {
        for (;;) {
          const batch = await leases.orphans(25);
          if (batch.length === 0) return;
          takenBy[i]!.push(...batch.map((lease) => lease.agentKey));
        }
      }),
    );
    const all = takenBy.flat();
    expect(all).toHaveLength(chats);
    expect(new Set(all).size).toBe(chats);
    const rows = await sqls[0]!.all<{ holder: string; n: number }>(
      `SELECT holder, count(*)::int AS n FROM chat_leases GROUP BY holder ORDER BY holder`,
    );
    expect(rows).toEqual(takenBy.map((keys, i) => ({ holder: `p${i}`, n: keys.length })).filter((row) => row.n > 0));
    // Each scanner's own map agrees with the table.
    scanners.forEach((leases, i) => expect(leases.heldKeys().sort()).toEqual([...takenBy[i]!].sort()));
  });

  it("refuses a SQLite connection: replicas live on PostgreSQL only", () => {
    const sqlite = { dialect: "sqlite" } as Sql;
    expect(() => new ChatLeases(sqlite, "a")).toThrow(/PostgreSQL/);
  });
});

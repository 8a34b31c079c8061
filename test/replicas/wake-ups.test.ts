// Wake-ups between processes over LISTEN/NOTIFY: sent with the commit that stored the work, to the
// chat's live holder only; a dropped listening connection reports that wake-ups may have been missed.
import { afterEach, beforeEach, expect, it } from "vitest";
import type { PostgresStore } from "../../runtime/postgres/postgres-store.js";
import { ChatLeases } from "../../runtime/replicas/chat-leases.js";
import { listenForWakeUps, notifyHolder, notifyWake } from "../../runtime/replicas/wake-ups.js";
import type { Tx } from "../../runtime/store.js";
import { withTestDatabase } from "../support/postgres.js";
import { settle, waitFor } from "../support/wait-for.js";
import { openReplicaStore, openTransaction, resetSchema, storeMessage, terminateSessions } from "./pg-harness.js";

const database = await withTestDatabase();

database.describe("wake-ups", () => {
  /** The holder's store (it listens) and the accepting process's. */
  let holderStore: PostgresStore;
  let accepterStore: PostgresStore;
  let woken: string[];
  let missed: number;

  beforeEach(async () => {
    holderStore = await openReplicaStore(database.url, "wake-holder");
    accepterStore = await openReplicaStore(database.url, "wake-accepter");
    await resetSchema(accepterStore);
    woken = [];
    missed = 0;
    await listenForWakeUps(holderStore, { onWake: (key) => woken.push(key), onMissedWakeUps: () => missed++ });
  });
  afterEach(async () => {
    await Promise.all([holderStore.close(), accepterStore.close()]);
  });

  /** The unit accept would run: store the message, tell the chat's holder. */
  const accept = (id: string, key: string) => async (tx: Tx) => {
    await storeMessage(tx, id, key);
    return notifyHolder(tx, key, "accepter");
  };

  it("the holder of a chat is woken when another process's storing transaction commits, not before", async () => {
    await new ChatLeases(holderStore.read, "holder").acquire("chat:1");
    const batch = await openTransaction(database.url);
    expect(await accept("m1", "chat:1")(batch.tx)).toBe(true);
    await settle(200);
    expect(woken).toEqual([]);
    await batch.commit();
    await waitFor(() => woken.length > 0, 3000, "the wake-up");
    expect(woken).toEqual(["chat:1"]);
  });

  it("sends nothing for a chat that is free, expired, released or the sender's own, and nothing from a unit undone", async () => {
    const mine = new ChatLeases(accepterStore.read, "accepter");
    const other = new ChatLeases(holderStore.read, "holder");
    await mine.acquire("chat:mine");
    await other.acquire("chat:expired");
    await accepterStore.read.run(`UPDATE chat_leases SET expires_at_ms = 0 WHERE agent_key = 'chat:expired'`);
    await other.acquire("chat:released");
    await other.release("chat:released");
    await other.acquire("chat:held");

    const results = await Promise.allSettled([
      accepterStore.submit(accept("m1", "chat:free")),
      accepterStore.submit(accept("m2", "chat:mine")),
      accepterStore.submit(accept("m3", "chat:expired")),
      accepterStore.submit(accept("m4", "chat:released")),
      accepterStore.submit(async (tx) => {
        await accept("m5", "chat:held")(tx);
        throw new Error("the unit failed after storing");
      }),
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "failed"))).toEqual([false, false, false, false, "failed"]);
    await settle(300);
    expect(woken).toEqual([]);
  });

  it("many messages for one chat in one batch wake its holder once", async () => {
    await new ChatLeases(holderStore.read, "holder").acquire("chat:1");
    await Promise.all(Array.from({ length: 20 }, (_, i) => accepterStore.submit(accept(`m${i}`, "chat:1"))));
    await waitFor(() => woken.length > 0, 3000, "the wake-up");
    await settle(200);
    expect(woken).toEqual(["chat:1"]);
  });

  it("holds the chat for its holder until the storing transaction commits: a takeover waits for it", async () => {
    await new ChatLeases(holderStore.read, "holder").acquire("chat:1");
    const batch = await openTransaction(database.url);
    expect(await accept("m1", "chat:1")(batch.tx)).toBe(true);
    await accepterStore.read.run(`UPDATE chat_leases SET expires_at_ms = 0 WHERE agent_key = 'chat:1'`);
    let taken: unknown = "waiting";
    const taking = new ChatLeases(accepterStore.read, "taker").acquire("chat:1").then((lease) => (taken = lease));
    await settle(300);
    expect(taken).toBe("waiting");
    await batch.commit();
    await taking;
    // The new holder starts after the message's commit, so it reads the message from the table.
    expect(taken).toMatchObject({ epoch: 2, fresh: true });
  });

  it("notifyWake reaches the holder outside a transaction", async () => {
    await notifyWake(accepterStore.read, "chat:9");
    await waitFor(() => woken.length > 0, 3000, "the wake-up");
    expect(woken).toEqual(["chat:9"]);
  });

  it("after its listening connection is killed, reports that wake-ups may have been missed, and hears the next ones", async () => {
    expect(await terminateSessions(accepterStore.read, "wake-holder listener")).toBe(1);
    await waitFor(() => missed === 1, 5000, "the missed wake-ups report");
    await notifyWake(accepterStore.read, "chat:2");
    await waitFor(() => woken.includes("chat:2"), 3000, "the wake-up after reconnecting");
  });
});

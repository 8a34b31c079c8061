// What only the PostgreSQL store does, beyond the shared contract (store-contract.test.ts): opening
// errors, a unit that goes on after a failed statement, a connection lost during COMMIT, int8 past
// 2^53, LISTEN/NOTIFY across a dropped connection, and the runtime's schema.
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CommitOutcomeUnknownError, StoreUnavailableError } from "../../runtime/errors.js";
import { type PostgresStore, openPostgresStore } from "../../runtime/postgres/postgres-store.js";
import { RUNTIME_MIGRATIONS } from "../../runtime/postgres/runtime-schema.js";
import { postgresUrlFor } from "../../runtime/postgres/postgres-url.js";
import { withTestDatabase } from "../support/postgres.js";
import { settle, waitFor } from "../support/wait-for.js";

const database = await withTestDatabase();

const opened: PostgresStore[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function open(url = database.url, applicationName = "postgres-store-test"): Promise<PostgresStore> {
  const store = await openPostgresStore(url, { poolSize: 3, applicationName });
  opened.push(store);
  return store;
}

async function freshItems(store: PostgresStore): Promise<void> {
  await store.submit((tx) => tx.exec("DROP TABLE IF EXISTS items; CREATE TABLE items (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT)"));
}

async function names(store: PostgresStore): Promise<string[]> {
  return (await store.read.all<{ name: string }>("SELECT name FROM items ORDER BY id")).map((row) => row.name);
}

describe("openPostgresStore, with no server there", () => {
  it("says where it looked, never the password, as StoreUnavailableError", async () => {
    const error = await openPostgresStore("postgres://bot:s3cret@127.0.0.1:1/tracker").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain("127.0.0.1:1/tracker");
    expect((error as Error).message).not.toContain("s3cret");
  });
});

database.describe("PostgresStore", () => {
  it("refuses a database that does not exist with a plain error naming it (retrying will not help)", async () => {
    const error = await openPostgresStore(postgresUrlFor(database.url, "mt_no_such_database")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/Could not connect to PostgreSQL at .*\/mt_no_such_database/);
  });

  it("undoes a unit that went on after a failed statement, says why, and commits the others", async () => {
    const store = await open();
    await freshItems(store);
    const outcomes = await Promise.allSettled([
      store.submit(async (tx) => {
        await tx.run("INSERT INTO items (name) VALUES (?)", ["a"]);
      }),
      store.submit(async (tx) => {
        await tx.run("INSERT INTO items (name) VALUES (?)", ["b"]);
        // Swallowed: PostgreSQL has aborted the transaction all the same.
        await tx.run("INSERT INTO items (name) VALUES (?)", ["a"]).catch(() => undefined);
      }),
      store.submit(async (tx) => {
        await tx.run("INSERT INTO items (name) VALUES (?)", ["c"]);
      }),
      // The batch's last unit: its savepoint is released with the COMMIT, which must still go through.
      store.submit(async (tx) => {
        await tx.run("INSERT INTO items (name) VALUES (?)", ["d"]);
        await tx.run("INSERT INTO items (name) VALUES (?)", ["c"]).catch(() => undefined);
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/tx\.savepoint/);
    expect(String((outcomes[3] as PromiseRejectedResult).reason)).toMatch(/tx\.savepoint/);
    expect(await names(store)).toEqual(["a", "c"]);
  });

  it("reports a connection lost during COMMIT as an unknown outcome: the batch may be written after all", async () => {
    const proxy = await commitCuttingProxy(database.url);
    cleanups.push(proxy.close);
    const store = await open(proxy.url);
    await freshItems(store);
    proxy.cutAfterNextCommit();
    const outcomes = await Promise.allSettled([
      store.submit(async (tx) => void (await tx.run("INSERT INTO items (name) VALUES (?)", ["a"]))),
      store.submit(async (tx) => void (await tx.run("INSERT INTO items (name) VALUES (?)", ["b"]))),
    ]);
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CommitOutcomeUnknownError);
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    }
    // The server did commit: only the answer was lost. A retry must find that and write nothing twice.
    expect(await names(store)).toEqual(["a", "b"]);
    await store.submit(async (tx) => void (await tx.run("INSERT INTO items (name) VALUES (?) ON CONFLICT (name) DO NOTHING", ["a"])));
    expect(await names(store)).toEqual(["a", "b"]);
  });

  it("turns a read whose connection the server ends into StoreUnavailableError, and reads on", async () => {
    const store = await open();
    const error = await store.read.get("SELECT pg_terminate_backend(pg_backend_pid())").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(await store.read.get("SELECT 1 AS one")).toEqual({ one: 1 });
  });

  it("survives its idle pooled connections being ended by the server", async () => {
    const store = await open(database.url, "idle-victims");
    await Promise.all([store.read.get("SELECT 1"), store.read.get("SELECT 2")]);
    const killer = await open();
    await killer.read.all("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ?", ["idle-victims"]);
    await settle(50);
    expect(await store.read.get("SELECT 3 AS three")).toEqual({ three: 3 });
  });

  it("refuses a 64-bit integer a JS number cannot hold, rather than return another number", async () => {
    const store = await open();
    await expect(store.read.get("SELECT 9007199254740993::bigint AS n")).rejects.toThrow(RangeError);
    expect(await store.read.get("SELECT 9007199254740991::bigint AS n")).toEqual({ n: 9007199254740991 });
  });

  it("delivers a notification once its unit commits, never for a unit rolled back, and stops on unlisten", async () => {
    const store = await open();
    const heard: string[] = [];
    const unlisten = await store.listen("wake", (payload) => heard.push(payload));
    await store.submit((tx) => store.notify(tx, "wake", "chat:1"));
    await store.submit(async (tx) => {
      await store.notify(tx, "wake", "rolled back");
      throw new Error("changed its mind");
    }).catch(() => undefined);
    await store.submit((tx) => store.notify(tx, "wake", "chat:2"));
    await waitFor(() => heard.length >= 2, 3000, "two notifications");
    await settle(50);
    expect(heard).toEqual(["chat:1", "chat:2"]);
    await unlisten();
    await store.submit((tx) => store.notify(tx, "wake", "chat:3"));
    await settle(100);
    expect(heard).toEqual(["chat:1", "chat:2"]);
  });

  it("listens again after its connection drops, and says notifications may have been missed", async () => {
    const store = await open(database.url, "listen-test");
    const heard: string[] = [];
    let reconnects = 0;
    await store.listen("wake", (payload) => heard.push(payload), { onReconnect: () => reconnects++ });
    await store.read.all("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ?", ["listen-test listener"]);
    await waitFor(() => reconnects === 1, 5000, "the listener's re-connection");
    await store.submit((tx) => store.notify(tx, "wake", "after the drop"));
    await waitFor(() => heard.length === 1, 3000, "a notification after the drop");
    expect(heard).toEqual(["after the drop"]);
  });

  it("creates the runtime's tables: BIGINT times, checks, partial indexes, ON CONFLICT on the keys", async () => {
    const store = await open();
    await store.submit((tx) => tx.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
    expect(RUNTIME_MIGRATIONS.map((m) => m.version)).toEqual([3]);
    for (const migration of RUNTIME_MIGRATIONS) await store.submit((tx) => tx.exec(migration.sql));

    const tables = await store.read.all<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.name)).toEqual(["agent_state", "inbox", "journal", "operator_actions", "outbox", "runtime_meta", "timers"]);
    const notBigint = await store.read.all(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name LIKE ? AND data_type <> 'bigint'",
      ["%\\_ms"],
    );
    expect(notBigint).toEqual([]);
    const partial = await store.read.all<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE '% WHERE %' ORDER BY indexname");
    expect(partial.map((i) => i.name)).toEqual(["inbox_parked", "inbox_pending", "outbox_failed", "outbox_unsent", "timers_armed"]);

    const accept = (id: string) => store.submit((tx) => tx.get<{ seq: number }>(
      `INSERT INTO inbox (id, agent_key, kind, payload_json, fingerprint, received_at_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING RETURNING seq`,
      [id, "chat:1", "update", "{}", "f1", Date.now()],
    ));
    expect(await accept("tg:1:100")).toEqual({ seq: 1 });
    expect(await accept("tg:1:100")).toBeUndefined();
    const badStatus = await store.submit((tx) => tx.run("UPDATE inbox SET status = ?", ["lost"])).catch((e: unknown) => e);
    expect(badStatus).toMatchObject({ code: "23514" });
    await store.submit(async (tx) => {
      await tx.run(
        `INSERT INTO journal (message_id, seq, step_name, output_json, error_json, completed_at_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        ["tg:1:100", 0, "run:lookup", "{\"v\":1}", null, Date.now()],
      );
      await tx.run(
        `INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms, armed_at_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        ["t1", "chat:1", "remind", "{}", 2 ** 42, 2 ** 41],
      );
      await tx.run(
        `INSERT INTO runtime_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        ["clean_stop", "1"],
      );
    });
    expect(await store.read.get("SELECT fire_at_ms AS \"fireAtMs\" FROM timers WHERE id = ?", ["t1"])).toEqual({ fireAtMs: 2 ** 42 });
  });
});

/**
 * A TCP proxy to the server that, once told, lets the next COMMIT through and cuts the connection
 * as the server answers: the client never hears that its transaction committed.
 */
async function commitCuttingProxy(url: string): Promise<{ url: string; cutAfterNextCommit(): void; close(): Promise<void> }> {
  const target = new URL(url);
  const commit = Buffer.from("COMMIT\0");
  const sockets = new Set<net.Socket>();
  let armed = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    let cutting = false;
    upstream.on("data", (chunk: Buffer) => {
      if (!cutting) {
        client.write(chunk);
        return;
      }
      // The server's answer to the COMMIT: it committed, and the client will never know.
      client.destroy();
      upstream.destroy();
    });
    client.on("data", (chunk: Buffer) => {
      if (armed && chunk.includes(commit)) {
        armed = false;
        cutting = true;
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxied = new URL(url);
  proxied.hostname = "127.0.0.1";
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    cutAfterNextCommit() {
      armed = true;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

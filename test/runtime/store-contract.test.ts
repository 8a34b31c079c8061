// The Store contract (runtime/store.ts), one suite run against both drivers: SQLite on a temp file
// and PostgreSQL on this file's own database (skipped, with a notice, when no server answers).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../runtime/errors.js";
import { openPostgresStore } from "../../runtime/postgres/postgres-store.js";
import { openSqliteFile } from "../../runtime/sqlite/sqlite-file.js";
import { openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import type { Store, Tx, Unit } from "../../runtime/store.js";
import { withTestDatabase } from "../support/postgres.js";

const database = await withTestDatabase();

/** One driver, as the contract needs it. */
interface Harness {
  /** A store on an empty `items` table, fresh for the test. */
  fresh(): Promise<Store>;
  /** Another store on the same data (a restart). */
  again(): Promise<Store>;
  /** Runs `submitBatch` while the database fails for its own reasons, not the work's. */
  duringFault<T>(store: Store, submitBatch: () => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

function sqliteHarness(): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "store-contract-"));
  const file = path.join(dir, "test.db");
  const stores: Store[] = [];
  // A short busy timeout: the fault below is another connection holding the write lock past it.
  const open = () => {
    const store = openSqliteStore(file, { busyTimeoutMs: 100 });
    stores.push(store);
    return Promise.resolve(store);
  };
  return {
    async fresh() {
      const store = await open();
      await store.submit((tx) => tx.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, n INTEGER)`));
      return store;
    },
    again: open,
    async duringFault(_store, submitBatch) {
      const other = openSqliteFile(file, { busyTimeoutMs: 0 });
      other.exec("BEGIN IMMEDIATE");
      try {
        return await submitBatch();
      } finally {
        other.exec("ROLLBACK");
        other.close();
      }
    },
    async cleanup() {
      for (const store of stores) await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresHarness(): Harness {
  const stores: Store[] = [];
  const open = async () => {
    const store = await openPostgresStore(database.url, { poolSize: 3, applicationName: "store-contract" });
    stores.push(store);
    return store;
  };
  return {
    async fresh() {
      const store = await open();
      await store.submit((tx) =>
        tx.exec(`DROP TABLE IF EXISTS items; CREATE TABLE items (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT)`),
      );
      return store;
    },
    again: open,
    async duringFault(store, submitBatch) {
      // The batch's first unit has the server end the batch's own connection.
      const killer = store.submit(async (tx) => {
        const backend = await tx.get<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        await store.read.get("SELECT pg_terminate_backend(?, 5000)", [backend!.pid]);
        await tx.get("SELECT 1");
      });
      const result = await submitBatch();
      await expect(killer).rejects.toBeInstanceOf(StoreUnavailableError);
      return result;
    },
    async cleanup() {
      for (const store of stores) await store.close();
    },
  };
}

const insert = (name: string, n: number | null = null): Unit<void> => async (tx) => {
  await tx.run("INSERT INTO items (name, n) VALUES (?, ?)", [name, n]);
};

async function names(store: Store): Promise<string[]> {
  return (await store.read.all<{ name: string }>("SELECT name FROM items ORDER BY id")).map((row) => row.name);
}

function storeContract(makeHarness: () => Harness): void {
  let harness: Harness;
  beforeEach(() => {
    harness = makeHarness();
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  it("commits every unit submitted in one turn in one transaction", async () => {
    const store = await harness.fresh();
    const before = { ...store.stats };
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.submit(async (tx) => {
      await insert(`item ${i}`)(tx);
      return i;
    })));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(store.stats.commits - before.commits).toBe(1);
    expect(store.stats.units - before.units).toBe(50);
    expect(await names(store)).toHaveLength(50);
  });

  it("undoes a failing unit alone: its own error, the others committed", async () => {
    const store = await harness.fresh();
    const outcomes = await Promise.allSettled([
      store.submit(insert("a")),
      store.submit(async (tx) => {
        await insert("b")(tx);
        throw new Error("b changed its mind");
      }),
      store.submit(insert("a")), // a unique violation: on PostgreSQL the transaction is aborted, then recovered
      store.submit(insert("d")),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toHaveProperty("message", "b changed its mind");
    expect((outcomes[2] as PromiseRejectedResult).reason).not.toBeInstanceOf(StoreUnavailableError);
    expect(await names(store)).toEqual(["a", "d"]);
  });

  it("lets a unit go on after a statement that failed inside tx.savepoint", async () => {
    const store = await harness.fresh();
    const value = await store.submit(async (tx) => {
      await insert("x")(tx);
      const duplicate = await tx.savepoint(insert("x")).then(() => "inserted", () => "refused");
      await insert("y")(tx);
      return duplicate;
    });
    expect(value).toBe("refused");
    expect(await names(store)).toEqual(["x", "y"]);
  });

  it("nests savepoints: an inner one undone, the outer ones kept, its error rethrown", async () => {
    const store = await harness.fresh();
    await store.submit(async (tx) => {
      await insert("a")(tx);
      await tx.savepoint(async (outer) => {
        await insert("b")(outer);
        await expect(outer.savepoint(async (inner) => {
          await insert("c")(inner);
          throw new Error("c undone");
        })).rejects.toThrow("c undone");
        await insert("d")(outer);
      });
    });
    expect(await names(store)).toEqual(["a", "b", "d"]);
  });

  it("refuses a unit's handle once the unit has settled", async () => {
    const store = await harness.fresh();
    let kept: Tx | undefined;
    await store.submit(async (tx) => {
      kept = tx;
    });
    await expect(kept!.run("INSERT INTO items (name) VALUES (?)", ["late"])).rejects.toThrow(/unit that has finished/);
    await expect(kept!.get("SELECT 1 AS one")).rejects.toThrow(/unit that has finished/);
    expect(await names(store)).toEqual([]);
  });

  it("shows a unit's writes to `read` only once committed", async () => {
    const store = await harness.fresh();
    const seenInside = await store.submit(async (tx) => {
      await insert("a")(tx);
      const mine = await tx.get<{ count: number }>("SELECT COUNT(*) AS count FROM items");
      const others = await store.read.get<{ count: number }>("SELECT COUNT(*) AS count FROM items");
      return { mine: mine!.count, others: others!.count };
    });
    expect(seenInside).toEqual({ mine: 1, others: 0 });
    expect(await names(store)).toEqual(["a"]);
  });

  it("commits units in the order they were submitted, across batches", async () => {
    const store = await harness.fresh();
    const settled: number[] = [];
    const pending: Array<Promise<void>> = [];
    for (let turn = 0; turn < 3; turn++) {
      for (let i = 0; i < 10; i++) {
        const index = turn * 10 + i;
        pending.push(store.submit(insert(`u${index}`)).then(() => void settled.push(index)));
      }
      // The next turn's units are submitted while this turn's batch may still be committing.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    const order = Array.from({ length: 30 }, (_, i) => i);
    expect(settled).toEqual(order);
    expect(await names(store)).toEqual(order.map((i) => `u${i}`));
  });

  it("returns 64-bit integers above 2^31 as numbers", async () => {
    const store = await harness.fresh();
    const big = 2 ** 40 + 7;
    await store.submit(insert("big", big));
    await store.submit(insert("safe", Number.MAX_SAFE_INTEGER));
    const rows = await store.read.all<{ n: number }>("SELECT n FROM items ORDER BY id");
    expect(rows.map((row) => row.n)).toEqual([big, Number.MAX_SAFE_INTEGER]);
    const count = await store.read.get<{ count: number; top: number }>("SELECT COUNT(*) AS count, MAX(n) AS top FROM items");
    expect(count).toEqual({ count: 2, top: Number.MAX_SAFE_INTEGER });
    const id = await store.read.get<{ id: unknown }>("SELECT id FROM items WHERE name = ?", ["big"]);
    expect(typeof id!.id).toBe("number");
  });

  it("passes a parameter holding ? and $1 as text, and numbers the placeholders after it", async () => {
    const store = await harness.fresh();
    const tricky = "what? $1 costs $2 -- or ?? /* not a comment */ 'quoted'";
    await store.submit(async (tx) => {
      await tx.run("INSERT INTO items (name, n) VALUES (?, ?)", [tricky, 5]);
    });
    const row = await store.read.get<{ name: string; n: number }>("SELECT name, n FROM items WHERE name = ? AND n = ?", [tricky, 5]);
    expect(row).toEqual({ name: tricky, n: 5 });
  });

  it("keeps the case of a quoted alias (camelCase aliases must be quoted)", async () => {
    const store = await harness.fresh();
    await store.submit(insert("a", 3));
    const row = await store.read.get("SELECT name AS \"itemName\", n AS \"itemCount\" FROM items");
    expect(row).toEqual({ itemName: "a", itemCount: 3 });
  });

  it("rejects a unique violation as a plain error, not a fault of the database", async () => {
    const store = await harness.fresh();
    await store.submit(insert("once"));
    const error = await store.submit(insert("once")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(await names(store)).toEqual(["once"]);
  });

  it("fails the whole batch with StoreUnavailableError on a fault, writes none of it, then works again", async () => {
    const store = await harness.fresh();
    const outcomes = await harness.duringFault(store, () => Promise.allSettled([store.submit(insert("a")), store.submit(insert("b"))]));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    }
    expect(await names(store)).toEqual([]);
    await store.submit(insert("c"));
    expect(await names(store)).toEqual(["c"]);
  });

  it("commits what is queued on close(), then refuses more work", async () => {
    const store = await harness.fresh();
    const queued = [store.submit(insert("a")), store.submit(insert("b"))];
    await store.close();
    await Promise.all(queued);
    await expect(store.submit(insert("c"))).rejects.toThrow(/closed/);
    const reopened = await harness.again();
    expect(await names(reopened)).toEqual(["a", "b"]);
  });
}

describe("Store contract: SQLite", () => storeContract(sqliteHarness));
database.describe("Store contract: PostgreSQL", () => storeContract(postgresHarness));

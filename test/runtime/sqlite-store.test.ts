// SqliteStore's group commit: the units submitted in one tick share one transaction, each in its own
// savepoint, and each settles only once that transaction is durable.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteFile } from "../../runtime/sqlite/sqlite-file.js";
import { StoreUnavailableError, type Tx, openSqliteStore } from "../../runtime/index.js";
import type { TempStore } from "../support/temp-database.js";

let temp: TempStore;
afterEach(() => temp?.close());

/**
 * A store on a new file with one table and no schema: these tests are of the group commit alone,
 * and count its commits from the first (migrations would be commits of their own).
 */
async function setup(): Promise<TempStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sqlite-store-test-"));
  const file = path.join(dir, "test.db");
  const store = openSqliteStore(file);
  store.database.exec(`CREATE TABLE items (n INTEGER NOT NULL UNIQUE)`);
  temp = {
    store, db: store.database, file, dir,
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return temp;
}

const insert = (tx: Tx, n: number) => tx.run(`INSERT INTO items (n) VALUES (?)`, [n]);

/** Counts the rows through a connection of its own: what any other reader of the file sees. */
function count(temp: TempStore): number {
  const other = openSqliteFile(temp.file, { readOnly: true });
  try {
    return other.prepare(`SELECT COUNT(*) FROM items`).pluck().get() as number;
  } finally {
    other.close();
  }
}

describe("SqliteStore", () => {
  it("commits every unit submitted in the same tick in one transaction", async () => {
    const { store } = await setup();

    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => store.submit(async (tx) => (await insert(tx, n)).changes)));

    expect(results).toEqual(Array(20).fill(1));
    expect(store.stats).toEqual({ commits: 1, units: 20 });
    expect(count(temp)).toBe(20);
  });

  it("runs no unit before the tick ends and resolves each only once its commit is visible to another connection", async () => {
    const { store, db } = await setup();
    const other = openSqliteFile(temp.file, { readOnly: true });
    try {
      let ran = 0;
      const done = [1, 2, 3].map((n) =>
        store.submit(async (tx) => {
          ran += 1;
          await insert(tx, n);
          return n;
        }).then((value) => {
          // The transaction is over and durable: a second connection already reads the rows.
          expect(db.inTransaction).toBe(false);
          expect(other.prepare(`SELECT COUNT(*) FROM items`).pluck().get()).toBe(3);
          return value;
        }),
      );
      expect(ran).toBe(0);

      await expect(Promise.all(done)).resolves.toEqual([1, 2, 3]);
      expect(ran).toBe(3);
    } finally {
      other.close();
    }
  });

  it("starts a new commit for units submitted after the previous one", async () => {
    const { store } = await setup();

    await store.submit((tx) => insert(tx, 1));
    await store.submit((tx) => insert(tx, 2));

    expect(store.stats).toEqual({ commits: 2, units: 2 });
  });

  it("rejects only the unit that throws, undoing its writes, while the others of the batch commit", async () => {
    const { store, db } = await setup();

    const [first, failing, last] = await Promise.allSettled([
      store.submit((tx) => insert(tx, 1)),
      store.submit(async (tx) => {
        await insert(tx, 100); // undone with its savepoint
        throw new Error("unit exploded");
      }),
      store.submit((tx) => insert(tx, 2)),
    ]);

    expect(first.status).toBe("fulfilled");
    expect(last.status).toBe("fulfilled");
    expect(failing.status).toBe("rejected");
    expect((failing as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(((failing as PromiseRejectedResult).reason as Error).message).toBe("unit exploded");
    expect(db.prepare(`SELECT n FROM items ORDER BY n`).pluck().all()).toEqual([1, 2]);
    expect(store.stats).toEqual({ commits: 1, units: 3 });
  });

  it("rejects a unit that breaks a constraint without affecting its batch", async () => {
    const { store } = await setup();

    const outcomes = await Promise.allSettled([
      store.submit((tx) => insert(tx, 7)),
      store.submit((tx) => insert(tx, 7)),
      store.submit((tx) => insert(tx, 8)),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(count(temp)).toBe(2);
  });

  it("fails the whole batch when SQLite ends its transaction under a unit, committing none of the unit's later statements", async () => {
    const { store, db } = await setup();

    const outcomes = await Promise.allSettled([
      store.submit((tx) => insert(tx, 1)),
      store.submit(async (tx) => {
        db.exec("ROLLBACK"); // what SQLite does on its own after some faults (disk full, an I/O error)
        // A unit that goes on regardless: outside the transaction, each insert would commit alone.
        await insert(tx, 2).catch(() => undefined);
        await tx.savepoint((inner) => insert(inner, 3)).catch(() => undefined);
      }),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    expect(count(temp)).toBe(0);
    expect(store.stats.commits).toBe(0);
  });

  it("commits queued units on flush() without waiting for the tick", async () => {
    const { store } = await setup();

    const pending = store.submit((tx) => insert(tx, 1));
    await store.flush();

    expect(count(temp)).toBe(1);
    await expect(pending).resolves.toMatchObject({ changes: 1 });
    expect(store.stats.commits).toBe(1);
  });

  it("commits what is queued on close() and refuses later work", async () => {
    const { store } = await setup();

    const queued = store.submit((tx) => insert(tx, 1));
    await store.close();

    await expect(queued).resolves.toBeDefined();
    await expect(store.submit((tx) => insert(tx, 2))).rejects.toThrow(/closed/);
    expect(count(temp)).toBe(1);
  });

  it("rejects every unit of a batch whose commit fails", async () => {
    const { store, db } = await setup();

    const batch = [store.submit((tx) => insert(tx, 1)), store.submit((tx) => insert(tx, 2))];
    db.close(); // the transaction itself cannot start: every unit of the batch must learn of it

    const outcomes = await Promise.allSettled(batch);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(store.stats.commits).toBe(0);
  });
});

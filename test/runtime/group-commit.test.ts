import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../runtime/index.js";
import { GroupCommitter } from "../../runtime/group-commit.js";
import { type TempDatabase, tempDatabase } from "../support/temp-database.js";

let temp: TempDatabase;
afterEach(() => temp?.close());

function setup(): { temp: TempDatabase; committer: GroupCommitter } {
  temp = tempDatabase();
  temp.db.exec(`CREATE TABLE items (n INTEGER NOT NULL UNIQUE)`);
  return { temp, committer: new GroupCommitter(temp.db) };
}

function count(temp: TempDatabase): number {
  return temp.db.prepare(`SELECT COUNT(*) FROM items`).pluck().get() as number;
}

describe("GroupCommitter", () => {
  it("commits every unit submitted in the same tick in one transaction", async () => {
    const { temp, committer } = setup();
    const insert = temp.db.prepare(`INSERT INTO items (n) VALUES (?)`);

    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => committer.submit(() => insert.run(n).changes)));

    expect(results).toEqual(Array(20).fill(1));
    expect(committer.stats).toEqual({ commits: 1, units: 20 });
    expect(count(temp)).toBe(20);
  });

  it("runs no unit before the tick ends and resolves each only once its commit is visible to another connection", async () => {
    const { temp, committer } = setup();
    const insert = temp.db.prepare(`INSERT INTO items (n) VALUES (?)`);
    const other = openDatabase(temp.file);
    try {
      let ran = 0;
      const done = [1, 2, 3].map((n) =>
        committer.submit(() => {
          ran += 1;
          insert.run(n);
          return n;
        }).then((value) => {
          // The transaction is over and durable: a second connection already reads the rows.
          expect(temp.db.inTransaction).toBe(false);
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
    const { temp, committer } = setup();
    const insert = temp.db.prepare(`INSERT INTO items (n) VALUES (?)`);

    await committer.submit(() => insert.run(1));
    await committer.submit(() => insert.run(2));

    expect(committer.stats).toEqual({ commits: 2, units: 2 });
  });

  it("rejects only the unit that throws, undoing its writes, while the others of the batch commit", async () => {
    const { temp, committer } = setup();
    const insert = temp.db.prepare(`INSERT INTO items (n) VALUES (?)`);

    const [first, failing, last] = await Promise.allSettled([
      committer.submit(() => insert.run(1)),
      committer.submit(() => {
        insert.run(100); // undone with its savepoint
        throw new Error("unit exploded");
      }),
      committer.submit(() => insert.run(2)),
    ]);

    expect(first.status).toBe("fulfilled");
    expect(last.status).toBe("fulfilled");
    expect(failing.status).toBe("rejected");
    expect((failing as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(((failing as PromiseRejectedResult).reason as Error).message).toBe("unit exploded");
    expect(temp.db.prepare(`SELECT n FROM items ORDER BY n`).pluck().all()).toEqual([1, 2]);
    expect(committer.stats).toEqual({ commits: 1, units: 3 });
  });

  it("rejects a unit that breaks a constraint without affecting its batch", async () => {
    const { temp, committer } = setup();
    const insert = temp.db.prepare(`INSERT INTO items (n) VALUES (?)`);

    const outcomes = await Promise.allSettled([
      committer.submit(() => insert.run(7)),
      committer.submit(() => insert.run(7)),
      committer.submit(() => insert.run(8)),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(count(temp)).toBe(2);
  });

  it("commits queued units on flush() without waiting for the tick", async () => {
    const { temp, committer } = setup();
    const insert = temp.db.prepare(`INSERT INTO items (n) VALUES (?)`);

    const pending = committer.submit(() => insert.run(1));
    committer.flush();

    expect(count(temp)).toBe(1);
    await expect(pending).resolves.toMatchObject({ changes: 1 });
    expect(committer.stats.commits).toBe(1);
  });

  it("commits what is queued on close() and refuses later work", async () => {
    const { temp, committer } = setup();
    const insert = temp.db.prepare(`INSERT INTO items (n) VALUES (?)`);

    const queued = committer.submit(() => insert.run(1));
    committer.close();

    await expect(queued).resolves.toBeDefined();
    await expect(committer.submit(() => insert.run(2))).rejects.toThrow(/closed/);
    expect(count(temp)).toBe(1);
  });

  it("rejects every unit of a batch whose commit fails", async () => {
    const { temp, committer } = setup();
    const insert = temp.db.prepare(`INSERT INTO items (n) VALUES (?)`);

    const batch = [committer.submit(() => insert.run(1)), committer.submit(() => insert.run(2))];
    temp.db.close(); // the transaction itself cannot start: every unit of the batch must learn of it

    const outcomes = await Promise.allSettled(batch);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(committer.stats.commits).toBe(0);
  });
});

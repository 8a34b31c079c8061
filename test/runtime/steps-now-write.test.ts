import { describe, it } from "vitest";
import { PermanentError, StoreUnavailableError } from "../../runtime/index.js";
import type { Database } from "../support/temp-database.js";
import { inboxRow, journalRows, runtimeFixture } from "./harness.js";
import { finished, oneMessageRunner } from "./steps-harness.js";

/** The router's delay before a failed message's first retry (virtual time, passed by `finished`). */
const FIRST_RETRY_DELAY_MS = 1000;

describe.concurrent("ctx.now and ctx.randomId", () => {
  // Observed: cheap steps (now, randomId, send, timers) are only buffered. They become durable with the
  // next commit: a run/write step or the message's completion. A failure before that commit drops
  // them, so the retry draws fresh values; values drawn before a committed step are replayed.
  it("replay the values drawn before a committed step, and draw new ones after it", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    const observed: Array<{ before: { t: number; id: string }; after: { t: number; id: string } }> = [];
    const { db, id } = await runOne(
      async (ctx) => {
        const before = { t: ctx.now(), id: ctx.randomId() };
        await ctx.run("commit-point", async () => null);
        const after = { t: ctx.now(), id: ctx.randomId() };
        observed.push({ before, after });
        if (ctx.message.attempts === 0) throw new Error("simulated crash");
      },
    );

    await fixture.waitFor(() => inboxRow(db, id)?.attempts === 1, 0, "first attempt failed");
    fixture.time.stepWall(60_000); // the wall clock moves on before the retry
    await finished(fixture, db, id);

    expect(observed).toHaveLength(2);
    const [first, retry] = [observed[0]!, observed[1]!];
    expect(retry.before).toEqual(first.before);
    expect(retry.after.t).toBe(first.after.t + 60_000 + FIRST_RETRY_DELAY_MS);
    expect(retry.after.id).not.toBe(first.after.id);
    expect(journalRows(db, id).map((r) => r.step_name)).toEqual(["now", "random-id", "run:commit-point", "now", "random-id"]);
  });

  it("draw new values on retry when nothing was committed before the failure", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    const observed: Array<{ t: number; id: string }> = [];
    const { db, id } = await runOne(
      async (ctx) => {
        observed.push({ t: ctx.now(), id: ctx.randomId() });
        if (ctx.message.attempts === 0) throw new Error("simulated crash");
      },
    );

    await fixture.waitFor(() => inboxRow(db, id)?.attempts === 1, 0, "first attempt failed");
    fixture.time.stepWall(5_000);
    await finished(fixture, db, id);

    expect(observed).toHaveLength(2);
    expect(observed[1]!.t).toBe(observed[0]!.t + 5_000 + FIRST_RETRY_DELAY_MS);
    expect(observed[1]!.id).not.toBe(observed[0]!.id);
  });
});

describe.concurrent("ctx.write", () => {
  const createNotes = (db: Database) =>
    db.exec(`CREATE TABLE notes (text TEXT NOT NULL)`);

  it("runs the write once and returns its recorded result on retry", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let writes = 0;
    const results: unknown[] = [];
    const { db, id } = await runOne(
      async (ctx) => {
        const result = await ctx.write("add-note", async (tx) => {
          writes += 1;
          await tx.run(`INSERT INTO notes (text) VALUES ('hello')`);
          return { total: (await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM notes`))!.n };
        });
        results.push(result);
        if (ctx.message.attempts === 0) throw new Error("simulated crash");
      },
      { setupDb: createNotes },
    );

    await finished(fixture, db, id);

    expect(writes).toBe(1);
    expect(results).toEqual([{ total: 1 }, { total: 1 }]);
    expect(db.prepare(`SELECT text FROM notes`).pluck().all()).toEqual(["hello"]);
    expect(inboxRow(db, id)).toMatchObject({ status: "done", attempts: 1 });
  });

  it("leaves no rows when the write throws, and rethrows its error as a PermanentError, also on replay", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let writes = 0;
    const caught: unknown[] = [];
    const { db, id } = await runOne(
      async (ctx) => {
        try {
          await ctx.write("bad-note", async (tx) => {
            writes += 1;
            await tx.run(`INSERT INTO notes (text) VALUES ('half written')`);
            throw new TypeError("the note is invalid");
          });
        } catch (error) {
          caught.push(error);
        }
        if (ctx.message.attempts === 0) throw new Error("simulated crash");
      },
      { setupDb: createNotes },
    );

    await finished(fixture, db, id);

    expect(writes).toBe(1);
    expect(db.prepare(`SELECT COUNT(*) FROM notes`).pluck().get()).toBe(0);
    expect(caught).toHaveLength(2);
    for (const error of caught) {
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as Error).message).toBe("the note is invalid");
    }
    expect(journalRows(db, id)).toEqual([
      expect.objectContaining({ step_name: "write:bad-note", output_json: null, error_json: JSON.stringify({ name: "TypeError", message: "the note is invalid" }) }),
    ]);
  });

  it("records nothing and charges nothing when the database fails under the write, and runs it again later", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let writes = 0;
    const { db, id } = await runOne(
      async (ctx) => {
        await ctx.write("add-note", async (tx) => {
          writes += 1;
          await tx.run(`INSERT INTO notes (text) VALUES ('hello')`);
          // What the driver throws for a full disk or a lost server.
          if (writes === 1) throw new StoreUnavailableError("The database failed (SQLITE_FULL)", { code: "SQLITE_FULL" });
          return "saved";
        });
      },
      { setupDb: createNotes },
    );

    await finished(fixture, db, id);

    expect(writes).toBe(2);
    expect(db.prepare(`SELECT text FROM notes`).pluck().all()).toEqual(["hello"]);
    // Not the message's fault: no attempt counted, and only the write that went through is recorded.
    expect(inboxRow(db, id)).toMatchObject({ status: "done", attempts: 0, last_error: null });
    expect(journalRows(db, id)).toEqual([expect.objectContaining({ step_name: "write:add-note", output_json: JSON.stringify({ v: "saved" }) })]);
  });

  it("leaves no rows when the write's result cannot be journaled", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    const caught: unknown[] = [];
    const { db, id } = await runOne(
      async (ctx) => {
        try {
          await ctx.write("bigint-result", async (tx) => {
            await tx.run(`INSERT INTO notes (text) VALUES ('kept?')`);
            return 1n; // JSON cannot hold a BigInt
          });
        } catch (error) {
          caught.push(error);
        }
      },
      { setupDb: createNotes },
    );

    await finished(fixture, db, id);

    expect(caught).toHaveLength(1);
    expect(caught[0]).toBeInstanceOf(PermanentError);
    expect(db.prepare(`SELECT COUNT(*) FROM notes`).pluck().get()).toBe(0);
  });
});

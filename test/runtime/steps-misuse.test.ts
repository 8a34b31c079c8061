// ctx calls out of turn, through a running runtime: a call made inside a step's function, or a step
// left running when the handler returns. Each parks the message at once (a retry would fail the same
// way), with the sentence that says what went wrong, and records nothing for the refused call.
import { describe, it } from "vitest";
import { inboxRow, journalRows, runtimeFixture } from "./harness.js";
import { finished, oneMessageRunner } from "./steps-harness.js";

describe.concurrent("ctx calls out of turn", () => {
  it("parks a message whose step's function calls ctx, naming both calls", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let tries = 0;
    const { db, id } = await runOne(async (ctx) => {
      tries += 1;
      await ctx.run("lookup", async () => ctx.now());
    });

    await finished(fixture, db, id);

    expect(tries).toBe(1);
    expect(inboxRow(db, id)).toMatchObject({
      status: "parked",
      last_error: `StepMisuseError: ctx.now() was called while ctx.run("lookup") was still running (message ${id}): await each ctx call before the next, and make none inside a step's function.`,
    });
    expect(journalRows(db, id)).toEqual([]);
  });

  it("parks a message whose handler returns with a step still running, and never records that step", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let calls = 0;
    const late: unknown[] = [];
    const { db, id } = await runOne(async (ctx) => {
      // Not awaited: the step would commit after the message is done.
      ctx.run("forgotten", async () => {
        await fixture.time.sleep(10);
        calls += 1;
        return "late";
      }).catch((error: unknown) => late.push(error));
    });

    await finished(fixture, db, id);
    await fixture.waitFor(() => late.length === 1, 1000, "the forgotten step refused");

    expect(inboxRow(db, id)).toMatchObject({
      status: "parked",
      last_error: `StepMisuseError: The handler of message ${id} returned while ctx.run("forgotten") was still running: await every ctx call.`,
    });
    expect(calls).toBe(1);
    expect((late[0] as Error).message).toBe(`ctx.run("forgotten") was called after the handler of message ${id} returned: a ctx call was not awaited, and it is not recorded.`);
    expect(journalRows(db, id)).toEqual([]);
  });
});

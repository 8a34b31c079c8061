import { describe, it } from "vitest";
import { PermanentError, RetryableError } from "../../runtime/index.js";
import { deferred, inboxRow, journalRows, outboxRows, runtimeFixture } from "./harness.js";
import { finished, oneMessageRunner } from "./steps-harness.js";

describe.concurrent("ctx.run", () => {
  it("returns the recorded value on retry and does not call fn again after the handler failed past it", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let calls = 0;
    const seen: Array<{ attempt: number; value: unknown }> = [];
    const { db, id } = await runOne(async (ctx) => {
      const value = await ctx.run("fetch", async () => {
        calls += 1;
        return { call: calls, words: ["a", "b"] };
      });
      seen.push({ attempt: ctx.message.attempts, value });
      if (ctx.message.attempts === 0) throw new Error("simulated crash after the step");
    });

    await finished(fixture, db, id);

    expect(inboxRow(db, id)).toMatchObject({ status: "done", attempts: 1, last_error: "Error: simulated crash after the step" });
    expect(calls).toBe(1);
    expect(seen).toEqual([
      { attempt: 0, value: { call: 1, words: ["a", "b"] } },
      { attempt: 1, value: { call: 1, words: ["a", "b"] } },
    ]);
    expect(journalRows(db, id).map((r) => r.step_name)).toEqual(["run:fetch"]);
  });

  it("retries a transient failure inside the step and journals only the successful result", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let calls = 0;
    let result: unknown;
    const { db, id } = await runOne(async (ctx) => {
      result = await ctx.run(
        "flaky",
        async () => {
          calls += 1;
          if (calls < 3) throw new RetryableError("try again", 1);
          return "ok";
        },
        { maxAttempts: 3, initialBackoffMs: 1 },
      );
    });

    await finished(fixture, db, id);

    expect(calls).toBe(3);
    expect(result).toBe("ok");
    expect(inboxRow(db, id)).toMatchObject({ status: "done", attempts: 0 });
    expect(journalRows(db, id)).toEqual([expect.objectContaining({ seq: 0, step_name: "run:flaky", error_json: null })]);
  });

  it("fails the message, journaling nothing, when a transient failure outlasts the step's attempts", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let calls = 0;
    const { db, id } = await runOne(
      async (ctx) => {
        await ctx.run("down", async () => {
          calls += 1;
          throw new Error("service down");
        }, { maxAttempts: 2, initialBackoffMs: 1 });
      },
      { maxAttempts: 1 },
    );

    await finished(fixture, db, id);

    expect(calls).toBe(2);
    expect(inboxRow(db, id)).toMatchObject({ status: "parked", last_error: "Error: service down" });
    expect(journalRows(db, id)).toEqual([]);
  });

  it("records a PermanentError and rethrows it on replay without calling fn again", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    let calls = 0;
    const caught: Array<{ attempt: number; error: unknown }> = [];
    const { db, id } = await runOne(async (ctx) => {
      try {
        await ctx.run("refused", async () => {
          calls += 1;
          throw new PermanentError("400 bad request");
        });
      } catch (error) {
        caught.push({ attempt: ctx.message.attempts, error });
      }
      if (ctx.message.attempts === 0) throw new Error("simulated crash");
    });

    await finished(fixture, db, id);

    expect(calls).toBe(1);
    expect(caught).toHaveLength(2);
    for (const { error } of caught) {
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as Error).message).toBe("400 bad request");
    }
    expect(journalRows(db, id)).toEqual([expect.objectContaining({ step_name: "run:refused", output_json: null })]);
  });

  it("commits sends queued before a step with the step, so a retry does not queue them again", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    const { db, id, key, delivery } = await runOne(async (ctx) => {
      ctx.send({ text: "typing" });
      await ctx.run("llm", async () => "answer");
      if (ctx.message.attempts === 0) throw new Error("simulated crash");
      ctx.send({ text: "answer" });
    });

    await finished(fixture, db, id);
    await fixture.waitFor(() => delivery.calls.length === 2);

    expect(outboxRows(db, key).map((r) => r.payload)).toEqual([{ text: "typing" }, { text: "answer" }]);
    expect(delivery.calls.map((c) => c.payload)).toEqual([{ text: "typing" }, { text: "answer" }]);
  });

  it("drops sends buffered by an attempt that failed before any commit", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    const { db, id, key, delivery } = await runOne(async (ctx) => {
      ctx.send({ text: `attempt ${ctx.message.attempts}` });
      if (ctx.message.attempts === 0) throw new Error("simulated crash");
    });

    await finished(fixture, db, id);
    await fixture.waitFor(() => delivery.calls.length === 1);

    expect(outboxRows(db, key).map((r) => r.payload)).toEqual([{ text: "attempt 1" }]);
  });
});

describe.concurrent("sends queued before a slow step", () => {
  it("are delivered while the step is still running", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const runOne = oneMessageRunner(fixture);
    const gate = deferred();
    const { db, id, delivery } = await runOne(async (ctx) => {
      ctx.send({ action: "typing" });
      await ctx.run("slow-llm", async () => {
        await gate.promise;
        return "reply";
      });
      ctx.send({ text: "reply" });
    });

    try {
      await fixture.waitFor(() => delivery.calls.length >= 1, 1500, "the typing action delivered before the slow step ends");
      expect(delivery.calls.map((c) => c.payload)).toEqual([{ action: "typing" }]);
    } finally {
      gate.resolve();
    }
    await finished(fixture, db, id);
    await fixture.waitFor(() => delivery.calls.length === 2);
  });
});

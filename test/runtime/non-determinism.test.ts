import { describe, it } from "vitest";
import { type AgentContext, type Message, defineAgent } from "../../runtime/index.js";
import {
  captureLogger,
  freshKey,
  inboxRow,
  inboxStatus,
  outboxRows,
  recordingDeliver,
  runtimeFixture,
} from "./harness.js";

interface Parking {
  key: string;
  message: Message;
  reason: string;
}

function agentWith(handle: (ctx: AgentContext<object>) => Promise<void>, onParked?: (key: string, message: Message, reason: string) => unknown[]) {
  return defineAgent<object>({ name: "nd", stateVersion: 1, initialState: () => ({}), handle, onParked });
}

describe.concurrent("non-determinism", () => {
  it("parks a message whose retry asks for a different step than the journal holds, and queues the onParked notice", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const temp = await fixture.temp();
    const parkings: Parking[] = [];
    const delivery = recordingDeliver();
    let attempts = 0;
    const agent = agentWith(
      async (ctx) => {
        attempts += 1;
        if (ctx.message.attempts === 0) {
          await ctx.run("old-step", async () => 1);
          throw new Error("simulated crash");
        }
        await ctx.run("renamed-step", async () => 2);
      },
      (key, message, reason) => {
        parkings.push({ key, message, reason });
        return [{ text: `sorry, I could not handle ${message.id}` }];
      },
    );
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: delivery.deliver, maxAttempts: 5 });
    const key = freshKey();
    const id = freshKey("m");

    await runtime.accept([{ id, agentKey: key, kind: "text", payload: null }]);
    await fixture.waitFor(() => inboxStatus(temp.db, id) === "parked", 4000, "message parked");

    // Parked at once on the mismatch, long before maxAttempts.
    expect(attempts).toBe(2);
    const row = inboxRow(temp.db, id)!;
    expect(row.attempts).toBe(2); // both tries counted, the one that parked it included
    expect(row.last_error).toMatch(/^NonDeterminismError: .*step 0 is "run:old-step" in the journal, but the code asked for "run:renamed-step"/);
    expect(parkings).toHaveLength(1);
    expect(parkings[0]).toMatchObject({ key, message: { id, attempts: 2 } });
    expect(parkings[0]!.reason).toContain("NonDeterminismError");
    expect(outboxRows(temp.db, key)).toEqual([
      expect.objectContaining({ message_id: id, payload: { text: `sorry, I could not handle ${id}` } }),
    ]);
    await fixture.waitFor(() => delivery.calls.length === 1, 2000, "notice delivered");
    expect(delivery.calls[0]).toMatchObject({ agentKey: key, payload: { text: `sorry, I could not handle ${id}` } });
    expect(await runtime.stats.parkedCount()).toBe(1);
  });

  it("does not treat new steps after the recorded ones as non-determinism", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const temp = await fixture.temp();
    const agent = agentWith(async (ctx) => {
      await ctx.run("first", async () => 1);
      if (ctx.message.attempts === 0) throw new Error("simulated crash");
      await ctx.run("second", async () => 2);
    });
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    const id = freshKey("m");

    await runtime.accept([{ id, agentKey: freshKey(), kind: "text", payload: null }]);
    await fixture.waitFor(() => inboxStatus(temp.db, id) !== "pending", 4000);

    expect(inboxRow(temp.db, id)).toMatchObject({ status: "done", attempts: 1 });
  });

  it("parks without a notice, and logs, when onParked itself throws", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const temp = await fixture.temp();
    const { logger, lines } = captureLogger();
    const agent = agentWith(
      async (ctx) => {
        await ctx.run(ctx.message.attempts === 0 ? "a" : "b", async () => null);
        if (ctx.message.attempts === 0) throw new Error("simulated crash");
      },
      () => {
        throw new Error("notice builder broke");
      },
    );
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver, logger });
    const key = freshKey();
    const id = freshKey("m");

    await runtime.accept([{ id, agentKey: key, kind: "text", payload: null }]);
    await fixture.waitFor(() => inboxStatus(temp.db, id) === "parked", 4000);

    expect(outboxRows(temp.db, key)).toEqual([]);
    expect(lines.some((l) => l.level === "error" && l.msg?.includes("onParked threw"))).toBe(true);
  });
});

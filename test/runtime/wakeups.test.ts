// Work committed by a step of a message that later fails must still reach the outbox worker and the
// timer service: the retry replays those steps from the journal and queues nothing new.
import { describe, it } from "vitest";
import { type AgentContext, defineAgent } from "../../runtime/index.js";
import { freshKey, inboxRow, inboxStatus, recordingDeliver, runtimeFixture } from "./harness.js";

function agentWith(handle: (ctx: AgentContext<object>) => Promise<void>) {
  return defineAgent<object>({ name: "wakeups", stateVersion: 1, initialState: () => ({}), handle });
}

describe.concurrent("wake-ups for work committed before a failure", () => {
  it("delivers a send committed with a write step even though the message failed and was replayed", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const temp = await fixture.temp();
    const delivery = recordingDeliver();
    const agent = agentWith(async (ctx) => {
      ctx.send({ text: "saved!" });
      await ctx.write("save", async () => 1);
      if (ctx.message.attempts === 0) throw new Error("simulated crash");
    });
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: delivery.deliver });
    const id = freshKey("m");

    await runtime.accept([{ id, agentKey: freshKey(), kind: "text", payload: null }]);
    await fixture.waitFor(() => inboxStatus(temp.db, id) === "done", 3000);
    await fixture.waitFor(() => delivery.calls.length === 1, 1000, "the committed send delivered");

    expect(delivery.calls[0]!.payload).toEqual({ text: "saved!" });
  });

  it("fires a timer committed with a run step even though the message failed and was replayed", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const temp = await fixture.temp();
    const timerMessages: unknown[] = [];
    const agent = agentWith(async (ctx) => {
      if (ctx.message.kind === "timer") {
        timerMessages.push(ctx.message.payload);
        return;
      }
      ctx.setTimer("due-now", ctx.now(), { n: 1 });
      await ctx.run("step", async () => null);
      if (ctx.message.attempts === 0) throw new Error("simulated crash");
    });
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    const id = freshKey("m");

    await runtime.accept([{ id, agentKey: freshKey(), kind: "text", payload: null }]);
    await fixture.waitFor(() => inboxStatus(temp.db, id) === "done", 3000);
    // No fireDueTimers() here: the runtime's own wake-up must fire it.
    await fixture.waitFor(() => timerMessages.length === 1, 1000, "the committed timer fired");

    expect(inboxRow(temp.db, id)!.attempts).toBe(1);
    expect(timerMessages[0]).toMatchObject({ kind: "due-now", payload: { n: 1 } });
  });
});

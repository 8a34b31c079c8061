import { describe, it } from "vitest";
import { type AgentContext, type Message, defineAgent } from "../../runtime/index.js";
import { type Fixture, freshKey, inboxRow, inboxStatus, outboxRows, recordingDeliver, runtimeFixture } from "./harness.js";

const POISON = "poison";

/** Throws on every message whose payload is "poison"; records the order of everything it finishes. */
function poisonAgent() {
  const tries = new Map<string, number>();
  const finished: string[] = [];
  const parked: Message[] = [];
  const agent = defineAgent<object>({
    name: "poison",
    stateVersion: 1,
    initialState: () => ({}),
    async handle(ctx) {
      tries.set(ctx.message.id, (tries.get(ctx.message.id) ?? 0) + 1);
      if (ctx.message.payload === POISON) throw new Error("cannot digest this");
      finished.push(ctx.message.id);
    },
    onParked(_key, message, reason) {
      parked.push(message);
      return [{ text: "that message could not be handled", reason }];
    },
  });
  return { agent, tries, finished, parked };
}

async function scenario(fixture: Fixture) {
  const temp = await fixture.temp();
  const poison = poisonAgent();
  const delivery = recordingDeliver();
  const { runtime } = await fixture.start({ store: temp.store, agent: poison.agent, deliver: delivery.deliver, maxAttempts: 2 });
  const [key, otherKey] = [freshKey("a"), freshKey("b")];
  const ids = { bad: freshKey("bad"), after: freshKey("after"), other: freshKey("other") };
  await runtime.accept([
    { id: ids.bad, agentKey: key, kind: "text", payload: POISON },
    { id: ids.after, agentKey: key, kind: "text", payload: "fine" },
    { id: ids.other, agentKey: otherKey, kind: "text", payload: "fine" },
  ]);
  return { temp, runtime, key, otherKey, ids, delivery, ...poison };
}

describe.concurrent("a poison message", () => {
  it("is retried, then parked after maxAttempts with its last error", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { temp, ids, tries, parked, key, delivery } = await scenario(fixture);

    await fixture.waitFor(() => inboxStatus(temp.db, ids.bad) === "parked", 4000, "poison parked");

    expect(tries.get(ids.bad)).toBe(2);
    expect(inboxRow(temp.db, ids.bad)).toMatchObject({ attempts: 2, last_error: "Error: cannot digest this" });
    expect(parked.map((m) => m.id)).toEqual([ids.bad]);
    expect(outboxRows(temp.db, key).map((r) => r.message_id)).toEqual([ids.bad]);
    await fixture.waitFor(() => delivery.calls.length === 1);
  });

  it("holds back the later messages of its agent until parked, then lets them proceed in order", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { temp, ids, tries, finished } = await scenario(fixture);

    await fixture.waitFor(() => inboxRow(temp.db, ids.bad)?.attempts === 1, 3000, "first failure recorded");
    expect(inboxStatus(temp.db, ids.after)).toBe("pending");
    expect(tries.has(ids.after)).toBe(false);

    await fixture.waitFor(() => inboxStatus(temp.db, ids.after) === "done", 4000, "the next message handled");
    expect(inboxStatus(temp.db, ids.bad)).toBe("parked");
    expect(finished.filter((id) => id !== ids.other)).toEqual([ids.after]);
    expect(tries.get(ids.after)).toBe(1);
  });

  it("never blocks other agents", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { temp, ids } = await scenario(fixture);

    await fixture.waitFor(() => inboxStatus(temp.db, ids.other) === "done", 2000, "the other agent's message");

    expect(inboxStatus(temp.db, ids.bad)).toBe("pending"); // still waiting for its retry
  });
});

describe.concurrent("a message whose output cannot be stored", () => {
  const cases: Array<[string, (ctx: AgentContext<Record<string, unknown>>) => void, RegExp]> = [
    ["a state JSON cannot hold (BigInt)", (ctx) => void (ctx.state.big = 1n), /TypeError: .*BigInt/],
    ["an undefined state", (ctx) => void (ctx.state = undefined as unknown as Record<string, unknown>), /TypeError: The agent state must be a JSON value/],
    ["an undefined send payload", (ctx) => ctx.send(undefined), /TypeError: ctx.send: the payload must be a JSON value/],
    ["a send payload JSON cannot hold (BigInt)", (ctx) => ctx.send({ n: 1n }), /TypeError: .*BigInt/],
  ];

  for (const [what, misbehave, error] of cases) {
    it(`is parked like any failing message when the handler leaves ${what}`, async ({ expect, onTestFinished }) => {
      const fixture = runtimeFixture(onTestFinished);
      const temp = await fixture.temp();
      const agent = defineAgent<Record<string, unknown>>({
        name: "unstorable",
        stateVersion: 1,
        initialState: () => ({}),
        async handle(ctx) {
          if (ctx.message.payload === POISON) misbehave(ctx);
        },
      });
      const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver, maxAttempts: 1 });
      const key = freshKey();
      const [bad, next] = [freshKey("bad"), freshKey("next")];

      await runtime.accept([
        { id: bad, agentKey: key, kind: "text", payload: POISON },
        { id: next, agentKey: key, kind: "text", payload: "fine" },
      ]);
      await fixture.waitFor(() => inboxStatus(temp.db, next) === "done", 3000, "the next message handled");

      expect(inboxRow(temp.db, bad)).toMatchObject({ status: "parked", attempts: 1 });
      expect(inboxRow(temp.db, bad)!.last_error).toMatch(error);
      expect(outboxRows(temp.db, key)).toEqual([]);
    });
  }
});

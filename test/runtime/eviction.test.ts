import { describe, expect, it } from "vitest";
import { defineAgent } from "../../runtime/index.js";
import { settle, waitFor } from "../support/wait-for.js";
import { type Deferred, deferred, freshKey, inboxStatus, recordingDeliver, useRuntimeFixture } from "./harness.js";

const fixture = useRuntimeFixture();

function gatedAgent(gates: Map<string, Deferred>) {
  const starts: string[] = [];
  const agent = defineAgent<{ n: number }>({
    name: "gated",
    stateVersion: 1,
    initialState: () => ({ n: 0 }),
    async handle(ctx) {
      starts.push(ctx.message.id);
      await gates.get(ctx.message.id)?.promise;
      ctx.state.n += 1;
    },
  });
  return { agent, starts };
}

describe("resident agent limit", () => {
  it("keeps one message at a time per agent when the limit is reached while other agents are busy", async () => {
    const temp = await fixture.temp();
    const gates = new Map<string, Deferred>();
    const { agent, starts } = gatedAgent(gates);
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver, maxResidentAgents: 1 });
    const [busyKey, key] = [freshKey("busy"), freshKey("b")];
    const [busy, b1, b2] = [freshKey("busy"), freshKey("b1"), freshKey("b2")];
    gates.set(busy, deferred());
    gates.set(b1, deferred());

    await runtime.accept([{ id: busy, agentKey: busyKey, kind: "text", payload: null }]);
    await waitFor(() => starts.includes(busy));
    await runtime.accept([{ id: b1, agentKey: key, kind: "text", payload: null }]);
    await waitFor(() => starts.includes(b1));
    await runtime.accept([{ id: b2, agentKey: key, kind: "text", payload: null }]);
    await settle(50);

    try {
      // b1 is still being handled: nothing else of agent `key` may have started.
      expect(starts).toEqual([busy, b1]);
    } finally {
      gates.get(busy)!.resolve();
      gates.get(b1)!.resolve();
    }
    await waitFor(() => inboxStatus(temp.db, b2) === "done");
    expect(starts.filter((id) => id === b1)).toHaveLength(1);
  });

  it("drops idle agents from memory beyond the limit and rebuilds them from storage", async () => {
    const temp = await fixture.temp();
    const { agent } = gatedAgent(new Map());
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver, maxResidentAgents: 2 });
    const keys = [freshKey(), freshKey(), freshKey(), freshKey()];

    for (const key of keys) {
      const id = freshKey("m");
      await runtime.accept([{ id, agentKey: key, kind: "text", payload: null }]);
      await waitFor(() => inboxStatus(temp.db, id) === "done");
    }
    expect(runtime.stats.residentAgents()).toBeLessThanOrEqual(2);

    const again = freshKey("m");
    await runtime.accept([{ id: again, agentKey: keys[0]!, kind: "text", payload: null }]);
    await waitFor(() => inboxStatus(temp.db, again) === "done");
    const state = temp.db.prepare(`SELECT state_json FROM agent_state WHERE agent_key = ?`).pluck().get(keys[0]!) as string;
    expect(JSON.parse(state)).toEqual({ n: 2 });
  });
});

import { describe, expect, it } from "vitest";
import { defineAgent } from "../../runtime/index.js";
import { settle, waitFor } from "../support/wait-for.js";
import { type Deferred, deferred, freshKey, inboxStatus, recordingDeliver, useRuntimeFixture } from "./harness.js";

const fixture = useRuntimeFixture();

/** Records start/end of each message; a message whose id has a gate waits on it before finishing. */
function gatedAgent(gates: Map<string, Deferred>) {
  const events: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const agent = defineAgent<{ seen: string[] }>({
    name: "gated",
    stateVersion: 1,
    initialState: () => ({ seen: [] }),
    async handle(ctx) {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      events.push(`start:${ctx.message.id}`);
      try {
        await gates.get(ctx.message.id)?.promise;
        ctx.state.seen.push(ctx.message.id);
      } finally {
        events.push(`end:${ctx.message.id}`);
        running -= 1;
      }
    },
  });
  return { agent, events, maxRunning: () => maxRunning };
}

describe("per-agent order and cross-agent concurrency", () => {
  it("does not start an agent's next message until the previous one has finished", async () => {
    const temp = await fixture.temp();
    const gates = new Map<string, Deferred>();
    const { agent, events } = gatedAgent(gates);
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    const key = freshKey();
    const [first, second] = [freshKey("m"), freshKey("m")];
    gates.set(first, deferred());

    await runtime.accept([
      { id: first, agentKey: key, kind: "text", payload: 1 },
      { id: second, agentKey: key, kind: "text", payload: 2 },
    ]);
    await waitFor(() => events.includes(`start:${first}`));
    await settle(50);
    expect(events).toEqual([`start:${first}`]);

    gates.get(first)!.resolve();
    await waitFor(() => inboxStatus(temp.db, second) === "done");
    expect(events).toEqual([`start:${first}`, `end:${first}`, `start:${second}`, `end:${second}`]);
  });

  it("completes another agent's message while one agent is blocked", async () => {
    const temp = await fixture.temp();
    const gates = new Map<string, Deferred>();
    const { agent, events } = gatedAgent(gates);
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    const [slowKey, fastKey] = [freshKey("slow"), freshKey("fast")];
    const [slow1, slow2, fast1] = [freshKey("m"), freshKey("m"), freshKey("m")];
    gates.set(slow1, deferred());

    await runtime.accept([
      { id: slow1, agentKey: slowKey, kind: "text", payload: null },
      { id: slow2, agentKey: slowKey, kind: "text", payload: null },
      { id: fast1, agentKey: fastKey, kind: "text", payload: null },
    ]);

    await waitFor(() => inboxStatus(temp.db, fast1) === "done", 3000, "the other agent's message");
    expect(events).toContain(`start:${slow1}`);
    expect(events).not.toContain(`end:${slow1}`);
    expect(events).not.toContain(`start:${slow2}`);
    expect(inboxStatus(temp.db, slow1)).toBe("pending");

    gates.get(slow1)!.resolve();
    await waitFor(() => inboxStatus(temp.db, slow2) === "done");
    expect(events.indexOf(`end:${slow1}`)).toBeLessThan(events.indexOf(`start:${slow2}`));
  });

  it("handles many messages of one agent strictly in arrival order, one at a time", async () => {
    const temp = await fixture.temp();
    const { agent, events, maxRunning } = gatedAgent(new Map());
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    const key = freshKey();
    const ids = Array.from({ length: 12 }, () => freshKey("m"));

    // Arrivals in several accept calls, some concurrent.
    await runtime.accept(ids.slice(0, 4).map((id) => ({ id, agentKey: key, kind: "text", payload: null })));
    await Promise.all([
      runtime.accept(ids.slice(4, 8).map((id) => ({ id, agentKey: key, kind: "text", payload: null }))),
      runtime.accept(ids.slice(8).map((id) => ({ id, agentKey: key, kind: "text", payload: null }))),
    ]);
    await waitFor(() => inboxStatus(temp.db, ids.at(-1)!) === "done");

    expect(events).toEqual(ids.flatMap((id) => [`start:${id}`, `end:${id}`]));
    expect(maxRunning()).toBe(1);
    const state = JSON.parse(
      temp.db.prepare(`SELECT state_json FROM agent_state WHERE agent_key = ?`).pluck().get(key) as string,
    ) as { seen: string[] };
    expect(state.seen).toEqual(ids);
  });

  it("runs different agents' messages at the same time", async () => {
    const temp = await fixture.temp();
    const gates = new Map<string, Deferred>();
    const { agent, events, maxRunning } = gatedAgent(gates);
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    const ids = [freshKey("m"), freshKey("m"), freshKey("m")];
    for (const id of ids) gates.set(id, deferred());

    await runtime.accept(ids.map((id) => ({ id, agentKey: freshKey(), kind: "text", payload: null })));
    await waitFor(() => ids.every((id) => events.includes(`start:${id}`)), 3000, "all three started");
    expect(maxRunning()).toBe(3);

    for (const id of ids) gates.get(id)!.resolve();
    await waitFor(() => ids.every((id) => inboxStatus(temp.db, id) === "done"));
  });
});

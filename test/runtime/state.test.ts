import { describe, expect, it } from "vitest";
import { type AgentDefinition, defineAgent } from "../../runtime/index.js";
import type { Database, OpenedStore } from "../support/temp-database.js";
import { waitFor } from "../support/wait-for.js";
import { freshKey, inboxStatus, recordingDeliver, shutDown, useRuntimeFixture } from "./harness.js";

const fixture = useRuntimeFixture();

interface V1 {
  count: number;
}
interface V2 {
  total: number;
  history: string[];
}

interface Seen {
  state: unknown;
  wasReset: boolean;
}

function counterV1(seen: Seen[] = []) {
  return defineAgent<V1>({
    name: "counter",
    stateVersion: 1,
    initialState: () => ({ count: 0 }),
    async handle(ctx) {
      seen.push({ state: structuredClone(ctx.state), wasReset: ctx.stateWasReset });
      ctx.state.count += 1;
      if (ctx.message.payload === "fail") throw new Error("handler failed after changing its state");
    },
  });
}

function counterV2(seen: Seen[], migrateState?: AgentDefinition<V2>["migrateState"]) {
  return defineAgent<V2>({
    name: "counter",
    stateVersion: 2,
    initialState: () => ({ total: 0, history: [] }),
    migrateState,
    async handle(ctx) {
      seen.push({ state: structuredClone(ctx.state), wasReset: ctx.stateWasReset });
      ctx.state.total += 1;
      ctx.state.history.push(ctx.message.id);
    },
  });
}

function storedState(db: Database, key: string): { version: number; state: unknown } | undefined {
  const row = db.prepare(`SELECT version, state_json FROM agent_state WHERE agent_key = ?`).get(key) as
    | { version: number; state_json: string }
    | undefined;
  return row && { version: row.version, state: JSON.parse(row.state_json) };
}

/** Handles `count` messages with a v1 counter agent on a new database, then shuts down; returns the file. */
async function v1History(count: number): Promise<{ file: string; key: string }> {
  const temp = await fixture.temp();
  const key = freshKey();
  const { runtime } = await fixture.start({ store: temp.store, agent: counterV1(), deliver: recordingDeliver().deliver });
  const ids = Array.from({ length: count }, () => freshKey("m"));
  await runtime.accept(ids.map((id) => ({ id, agentKey: key, kind: "text", payload: null })));
  await waitFor(() => inboxStatus(temp.db, ids.at(-1)!) === "done");
  await shutDown(runtime, temp.store);
  return { file: temp.file, key };
}

async function handleOne({ store, db }: OpenedStore, key: string, agent: AgentDefinition<V1> | AgentDefinition<V2>, payload: unknown = null) {
  const { runtime } = await fixture.start({ store, agent: agent as AgentDefinition<unknown>, deliver: recordingDeliver().deliver });
  const id = freshKey("m");
  await runtime.accept([{ id, agentKey: key, kind: "text", payload }]);
  await waitFor(() => inboxStatus(db, id) === "done", 4000);
  return id;
}

describe("agent state", () => {
  it("carries changes from one message to the next", async () => {
    const temp = await fixture.temp();
    const seen: Seen[] = [];
    const key = freshKey();
    const { runtime } = await fixture.start({ store: temp.store, agent: counterV1(seen), deliver: recordingDeliver().deliver });
    const ids = [freshKey("m"), freshKey("m"), freshKey("m")];

    await runtime.accept(ids.map((id) => ({ id, agentKey: key, kind: "text", payload: null })));
    await waitFor(() => inboxStatus(temp.db, ids[2]!) === "done");

    expect(seen.map((s) => s.state)).toEqual([{ count: 0 }, { count: 1 }, { count: 2 }]);
    expect(storedState(temp.db, key)).toEqual({ version: 1, state: { count: 3 } });
  });

  it("keeps each agent's state apart", async () => {
    const temp = await fixture.temp();
    const [a, b] = [freshKey("a"), freshKey("b")];
    const { runtime } = await fixture.start({ store: temp.store, agent: counterV1(), deliver: recordingDeliver().deliver });
    const ids = [freshKey("m"), freshKey("m"), freshKey("m")];

    await runtime.accept([
      { id: ids[0]!, agentKey: a, kind: "text", payload: null },
      { id: ids[1]!, agentKey: a, kind: "text", payload: null },
      { id: ids[2]!, agentKey: b, kind: "text", payload: null },
    ]);
    await waitFor(() => ids.every((id) => inboxStatus(temp.db, id) === "done"));

    expect(storedState(temp.db, a)!.state).toEqual({ count: 2 });
    expect(storedState(temp.db, b)!.state).toEqual({ count: 1 });
  });

  it("persists across a restart", async () => {
    const { file, key } = await v1History(2);
    const seen: Seen[] = [];

    const { store, db } = await fixture.reopen(file);
    await handleOne({ store, db }, key, counterV1(seen));

    expect(seen).toEqual([{ state: { count: 2 }, wasReset: false }]);
    expect(storedState(db, key)).toEqual({ version: 1, state: { count: 3 } });
  });

  it("drops the changes of a handler that throws", async () => {
    const temp = await fixture.temp();
    const seen: Seen[] = [];
    const key = freshKey();
    const { runtime } = await fixture.start({ store: temp.store, agent: counterV1(seen), deliver: recordingDeliver().deliver, maxAttempts: 1 });
    const [ok, bad, after] = [freshKey("m"), freshKey("m"), freshKey("m")];

    await runtime.accept([
      { id: ok, agentKey: key, kind: "text", payload: null },
      { id: bad, agentKey: key, kind: "text", payload: "fail" },
      { id: after, agentKey: key, kind: "text", payload: null },
    ]);
    await waitFor(() => inboxStatus(temp.db, after) === "done");

    expect(inboxStatus(temp.db, bad)).toBe("parked");
    expect(seen.map((s) => s.state)).toEqual([{ count: 0 }, { count: 1 }, { count: 1 }]);
    expect(storedState(temp.db, key)!.state).toEqual({ count: 2 });
  });

  it("carries an old state over with migrateState when stateVersion is bumped", async () => {
    const { file, key } = await v1History(2);
    const seen: Seen[] = [];
    const migrations: Array<{ old: unknown; from: number }> = [];

    const { store, db } = await fixture.reopen(file);
    await handleOne(
      { store, db },
      key,
      counterV2(seen, (old, from) => {
        migrations.push({ old, from });
        return { total: (old as V1).count, history: [] };
      }),
    );

    expect(migrations).toEqual([{ old: { count: 2 }, from: 1 }]);
    expect(seen).toEqual([{ state: { total: 2, history: [] }, wasReset: false }]);
    expect(storedState(db, key)).toMatchObject({ version: 2, state: { total: 3 } });
  });

  it("starts over with stateWasReset when migrateState returns undefined", async () => {
    const { file, key } = await v1History(2);
    const seen: Seen[] = [];

    const { store, db } = await fixture.reopen(file);
    await handleOne({ store, db }, key, counterV2(seen, () => undefined));

    expect(seen).toEqual([{ state: { total: 0, history: [] }, wasReset: true }]);
    expect(storedState(db, key)).toMatchObject({ version: 2, state: { total: 1 } });
  });

  it("starts over with stateWasReset when the agent gives no migrateState", async () => {
    const { file, key } = await v1History(1);
    const seen: Seen[] = [];

    const { store, db } = await fixture.reopen(file);
    await handleOne({ store, db }, key, counterV2(seen));

    expect(seen).toEqual([{ state: { total: 0, history: [] }, wasReset: true }]);
  });

  it("migrates once: the next message sees the saved new-version state", async () => {
    const { file, key } = await v1History(1);
    const seen: Seen[] = [];
    let migrations = 0;
    const agent = counterV2(seen, (old) => {
      migrations += 1;
      return { total: (old as V1).count, history: [] };
    });

    const { store, db } = await fixture.reopen(file);
    const { runtime } = await fixture.start({ store, agent, deliver: recordingDeliver().deliver });
    const ids = [freshKey("m"), freshKey("m")];
    await runtime.accept(ids.map((id) => ({ id, agentKey: key, kind: "text", payload: null })));
    await waitFor(() => inboxStatus(db, ids[1]!) === "done");

    expect(migrations).toBe(1);
    expect(seen.map((s) => s.state)).toEqual([{ total: 1, history: [] }, { total: 2, history: [ids[0]] }]);
  });
});

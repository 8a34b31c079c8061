import { describe, expect, it } from "vitest";
import { type NewMessage, createRuntime, defineAgent } from "../../runtime/index.js";
import { waitFor } from "../support/wait-for.js";
import { freshKey, inboxStatus, recordingDeliver, useRuntimeFixture } from "./harness.js";

const fixture = useRuntimeFixture();

/** An agent that records the id of every message it handles. */
function countingAgent() {
  const handled: string[] = [];
  const agent = defineAgent<{ n: number }>({
    name: "counter",
    stateVersion: 1,
    initialState: () => ({ n: 0 }),
    async handle(ctx) {
      handled.push(ctx.message.id);
      ctx.state.n += 1;
    },
  });
  return { agent, handled };
}

function msg(id: string, agentKey: string, payload: unknown = { text: id }): NewMessage {
  return { id, agentKey, kind: "text", payload };
}

async function setup() {
  const temp = await fixture.temp();
  const { agent, handled } = countingAgent();
  const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
  const stored = () => temp.db.prepare(`SELECT COUNT(*) FROM inbox`).pluck().get() as number;
  /** Accepts a later message for `key` and waits for it: everything before it has been handled. */
  const drain = async (key: string) => {
    const id = freshKey("sentinel");
    await runtime.accept([msg(id, key)]);
    await waitFor(() => inboxStatus(temp.db, id) === "done", 3000, "sentinel handled");
    handled.splice(handled.indexOf(id), 1);
  };
  return { temp, runtime, handled, stored, drain };
}

describe("inbox deduplication", () => {
  it("stores a message once when the same id is accepted twice in a row", async () => {
    const { runtime, handled, stored, drain } = await setup();
    const key = freshKey();
    const id = freshKey("tg");

    const first = await runtime.accept([msg(id, key)]);
    const second = await runtime.accept([msg(id, key, { text: "a resend with other content" })]);
    await drain(key);

    expect(first).toEqual([{ status: "stored", seq: expect.any(Number) }]);
    expect(second).toEqual([{ status: "duplicate" }]);
    expect(stored()).toBe(2); // the message and the sentinel
    expect(handled).toEqual([id]);
  });

  it("stores a message once when the same id appears twice in one accept batch", async () => {
    const { runtime, handled, stored, drain } = await setup();
    const key = freshKey();
    const id = freshKey("tg");

    const outcomes = await runtime.accept([msg(id, key), msg(id, key)]);
    await drain(key);

    expect(outcomes.map((o) => o.status)).toEqual(["stored", "duplicate"]);
    expect(stored()).toBe(2);
    expect(handled).toEqual([id]);
  });

  it("stores a message once when two concurrent accept calls carry the same id", async () => {
    const { runtime, handled, stored, drain } = await setup();
    const key = freshKey();
    const id = freshKey("tg");

    const [a, b] = await Promise.all([runtime.accept([msg(id, key)]), runtime.accept([msg(id, key)])]);
    await drain(key);

    expect([a[0]!.status, b[0]!.status].sort()).toEqual(["duplicate", "stored"]);
    expect(stored()).toBe(2);
    expect(handled).toEqual([id]);
  });

  it("treats an id already handled as a duplicate and does not handle it again", async () => {
    const { temp, runtime, handled, drain } = await setup();
    const key = freshKey();
    const id = freshKey("tg");
    await runtime.accept([msg(id, key)]);
    await waitFor(() => inboxStatus(temp.db, id) === "done");

    expect(await runtime.accept([msg(id, key)])).toEqual([{ status: "duplicate" }]);
    await drain(key);
    expect(handled).toEqual([id]);
  });

  it("gives outcomes in the order of the batch, with increasing arrival sequence numbers", async () => {
    const { runtime } = await setup();
    const key = freshKey();
    const ids = [freshKey("tg"), freshKey("tg"), freshKey("tg")];

    const outcomes = await runtime.accept(ids.map((id) => msg(id, key)));

    const seqs = outcomes.map((o) => (o.status === "stored" ? o.seq : -1));
    expect(seqs.every((s) => s > 0)).toBe(true);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it("stores a message that reuses a stored id with another fingerprint under its own id, once", async () => {
    const { temp, runtime, handled, drain } = await setup();
    const key = freshKey();
    const id = freshKey("tg");

    await runtime.accept([{ ...msg(id, key), fingerprint: "aaa" }]);
    const reused = await runtime.accept([{ ...msg(id, key, { text: "another" }), fingerprint: "bbb" }]);
    const again = await runtime.accept([{ ...msg(id, key, { text: "another" }), fingerprint: "bbb" }, { ...msg(id, key), fingerprint: "aaa" }]);
    await drain(key);

    expect(reused.map((o) => o.status)).toEqual(["stored"]);
    expect(again.map((o) => o.status)).toEqual(["duplicate", "duplicate"]);
    expect(handled).toEqual([id, `${id}~bbb`]);
    expect(inboxStatus(temp.db, `${id}~bbb`)).toBe("done");
  });

  it("treats a message as a duplicate when its former id was received within the given window", async () => {
    const { temp, runtime, handled, drain } = await setup();
    const key = freshKey();
    const former = freshKey("old");
    const stale = freshKey("old");
    const insert = temp.db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, status, received_at_ms) VALUES (?, ?, 'text', 'null', 'done', ?)`);
    insert.run(former, key, fixture.time.now() - 1000);
    insert.run(stale, key, fixture.time.now() - 10_000);

    const outcomes = await runtime.accept([
      { ...msg(freshKey("tg"), key), formerId: { id: former, withinMs: 5000 } },
      { ...msg("renamed-stale", key), formerId: { id: stale, withinMs: 5000 } },
    ]);
    await drain(key);

    expect(outcomes.map((o) => o.status)).toEqual(["duplicate", "stored"]);
    expect(handled).toEqual(["renamed-stale"]);
  });

  it("refuses to accept before start()", async () => {
    const temp = await fixture.temp();
    const runtime = createRuntime({ store: temp.store, agent: countingAgent().agent, deliver: recordingDeliver().deliver });

    await expect(runtime.accept([msg(freshKey("tg"), freshKey())])).rejects.toThrow(/not started/);
    await runtime.stop();
  });
});

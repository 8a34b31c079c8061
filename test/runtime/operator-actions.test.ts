// An operator unsticks work from another process while the runtime runs: a message that threw five
// times and was parked is retried (handled once more, its journaled side effect not repeated) or
// dropped (recorded; the agent's next message goes on); a failed send is resent. Every action is a
// compare-and-set: a second one on the same row changes nothing.
import { describe, it } from "vitest";
import { type Database, type Deliver, OperatorActions, defineAgent } from "../../runtime/index.js";
import { type Fixture, freshKey, inboxRow, inboxStatus, outboxRows, recordingDeliver, runtimeFixture } from "./harness.js";

const MAX_ATTEMPTS = 5; // the runtime's default
const PARKED_WITHIN_MS = 25_000; // retries wait 1 + 2 + 4 + 8 s before the fifth failure

/** Throws for every message in `poisoned`, after a journaled side effect; records what it finishes. */
function poisonAgent() {
  const poisoned = new Set<string>();
  const tries = new Map<string, number>();
  const sideEffects = new Map<string, number>();
  const finished: string[] = [];
  const agent = defineAgent<object>({
    name: "operator-test",
    stateVersion: 1,
    initialState: () => ({}),
    async handle(ctx) {
      const id = ctx.message.id;
      tries.set(id, (tries.get(id) ?? 0) + 1);
      // An external call: journaled once, never repeated by a retry.
      await ctx.run("side-effect", async () => {
        sideEffects.set(id, (sideEffects.get(id) ?? 0) + 1);
        return "called";
      });
      if (poisoned.has(id)) throw new Error("cannot digest this");
      finished.push(id);
      ctx.send({ text: `handled ${String(ctx.message.payload)}` });
    },
    onParked: () => [{ text: "that message was set aside" }],
  });
  return { agent, poisoned, tries, sideEffects, finished };
}

/** A runtime that watches for operator actions, with one message already parked after five throws. */
async function parkedScenario(fixture: Fixture, deliver: Deliver = recordingDeliver().deliver) {
  const temp = fixture.temp();
  const poison = poisonAgent();
  const { runtime } = await fixture.start({ db: temp.db, agent: poison.agent, deliver, operatorPollMs: 20 });
  const key = freshKey();
  const bad = freshKey("bad");
  poison.poisoned.add(bad);
  await runtime.accept([{ id: bad, agentKey: key, kind: "text", payload: "bad" }]);
  await fixture.waitFor(() => inboxStatus(temp.db, bad) === "parked", PARKED_WITHIN_MS, "the message parked");
  // The operator's own connection, as `npm run admin` in another process opens it.
  const operatorDb = fixture.reopen(temp.file);
  return { temp, runtime, key, bad, operator: new OperatorActions(operatorDb), operatorDb, ...poison };
}

function actionsOn(db: Database, target: string) {
  return db.prepare(`SELECT action, agent_key, actor, previous_error FROM operator_actions WHERE target_id = ? ORDER BY id`).all(target);
}

describe.concurrent("operator actions on a parked message", () => {
  it("retry: the running runtime handles it once more, without repeating its journaled side effect", { timeout: 40_000 }, async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { temp, key, bad, operator, operatorDb, poisoned, tries, sideEffects, finished } = await parkedScenario(fixture);
    expect(inboxRow(temp.db, bad)).toMatchObject({ status: "parked", attempts: MAX_ATTEMPTS, last_error: "Error: cannot digest this" });
    expect(tries.get(bad)).toBe(MAX_ATTEMPTS);
    expect(sideEffects.get(bad)).toBe(1);

    poisoned.delete(bad); // the cause is fixed (say, a provider is back)
    const outcome = operator.retry(bad, "alice", fixture.time.now());
    expect(outcome).toMatchObject({ status: "done", action: "retry", agentKey: key, actor: "alice", previousError: "Error: cannot digest this" });

    await fixture.waitFor(() => inboxStatus(temp.db, bad) === "done", 5000, "the retried message handled");
    await fixture.pass(100);
    expect(tries.get(bad)).toBe(MAX_ATTEMPTS + 1);
    expect(finished).toEqual([bad]);
    expect(sideEffects.get(bad)).toBe(1);
    expect(outboxRows(temp.db, key).map((r) => r.payload)).toEqual([{ text: "that message was set aside" }, { text: "handled bad" }]);
    expect(actionsOn(operatorDb, bad)).toEqual([{ action: "retry", agent_key: key, actor: "alice", previous_error: "Error: cannot digest this" }]);

    // A second retry (a second operator, or the same command run twice) changes nothing.
    expect(operator.retry(bad, "bob", fixture.time.now())).toEqual({ status: "refused", current: "done" });
    expect(operator.drop(bad, "bob", fixture.time.now())).toEqual({ status: "refused", current: "done" });
    expect(actionsOn(operatorDb, bad)).toHaveLength(1);
  });

  it("drop: it is recorded, never runs again, and the agent's next message goes on", { timeout: 40_000 }, async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { temp, runtime, key, bad, operator, operatorDb, tries, finished } = await parkedScenario(fixture);

    expect(operator.drop(bad, "alice", fixture.time.now())).toMatchObject({ status: "done", action: "drop", agentKey: key });
    expect(inboxRow(temp.db, bad)).toMatchObject({ status: "done", attempts: MAX_ATTEMPTS });
    expect(actionsOn(operatorDb, bad)).toEqual([{ action: "drop", agent_key: key, actor: "alice", previous_error: "Error: cannot digest this" }]);
    expect(operator.retry(bad, "bob", fixture.time.now())).toEqual({ status: "refused", current: "done" });

    const next = freshKey("next");
    await runtime.accept([{ id: next, agentKey: key, kind: "text", payload: "next" }]);
    await fixture.waitFor(() => inboxStatus(temp.db, next) === "done", 3000, "the next message handled");
    await fixture.pass(100);
    expect(finished).toEqual([next]);
    expect(tries.get(bad)).toBe(MAX_ATTEMPTS);
  });

  it("retry while the runtime is stopped: the next start handles it", { timeout: 40_000 }, async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { temp, runtime, bad, operator, poisoned, agent, finished } = await parkedScenario(fixture);
    await runtime.stop();
    poisoned.delete(bad);
    expect(operator.retry(bad, "alice", fixture.time.now())).toMatchObject({ status: "done" });

    // A restarted process: recovery finds it pending, with all its tries again.
    const db = fixture.reopen(temp.file);
    const restarted = await fixture.start({ db, agent, deliver: recordingDeliver().deliver });
    expect(restarted.report.agentsWithMessages).toHaveLength(1);
    await fixture.waitFor(() => inboxStatus(db, bad) === "done", 3000, "the retried message handled after the restart");
    expect(finished).toEqual([bad]);
  });

  it("unknown ids and rows in another state are refused and leave no record", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const temp = fixture.temp();
    const { agent } = poisonAgent();
    const { runtime } = await fixture.start({ db: temp.db, agent, deliver: recordingDeliver().deliver });
    const key = freshKey();
    const fine = freshKey("fine");
    await runtime.accept([{ id: fine, agentKey: key, kind: "text", payload: "fine" }]);
    await fixture.waitFor(() => inboxStatus(temp.db, fine) === "done");
    await fixture.waitFor(() => outboxRows(temp.db, key)[0]?.status === "sent");
    const operator = new OperatorActions(fixture.reopen(temp.file));

    expect(operator.retry("tg:does-not-exist", "alice", fixture.time.now())).toEqual({ status: "not-found" });
    expect(operator.retry(fine, "alice", fixture.time.now())).toEqual({ status: "refused", current: "done" });
    expect(operator.drop(fine, "alice", fixture.time.now())).toEqual({ status: "refused", current: "done" });
    expect(operator.resend(outboxRows(temp.db, key)[0]!.id, "alice", fixture.time.now())).toEqual({ status: "refused", current: "sent" });
    expect(operator.resend(999_999, "alice", fixture.time.now())).toEqual({ status: "not-found" });
    expect(temp.db.prepare(`SELECT COUNT(*) FROM operator_actions`).pluck().get()).toBe(0);
    expect(inboxStatus(temp.db, fine)).toBe("done");
  });
});

describe.concurrent("operator actions on a failed send", () => {
  it("resend: the running runtime sends it again, once; a second resend changes nothing", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const temp = fixture.temp();
    let refuse = true;
    const delivery = recordingDeliver(() => (refuse ? { status: "failed", error: "400: Bad Request: chat not found" } : { status: "sent", result: { messageId: 7 } }));
    const { agent } = poisonAgent();
    const { runtime } = await fixture.start({ db: temp.db, agent, deliver: delivery.deliver, operatorPollMs: 20 });
    const key = freshKey();
    await runtime.accept([{ id: freshKey("m"), agentKey: key, kind: "text", payload: "hello" }]);
    await fixture.waitFor(() => outboxRows(temp.db, key)[0]?.status === "failed", 3000, "the send failed");
    const [failed] = outboxRows(temp.db, key);
    expect(failed).toMatchObject({ status: "failed", last_error: "400: Bad Request: chat not found" });

    refuse = false; // the cause is fixed (the person unblocked the bot)
    const operatorDb = fixture.reopen(temp.file);
    const operator = new OperatorActions(operatorDb);
    expect(operator.resend(failed!.id, "alice", fixture.time.now())).toMatchObject({ status: "done", action: "resend", targetId: String(failed!.id), agentKey: key });
    await fixture.waitFor(() => outboxRows(temp.db, key)[0]?.status === "sent", 3000, "the send delivered");
    expect(delivery.calls.map((c) => c.payload)).toEqual([{ text: "handled hello" }, { text: "handled hello" }]);
    expect(operator.resend(failed!.id, "bob", fixture.time.now())).toEqual({ status: "refused", current: "sent" });
    await fixture.pass(100);
    expect(delivery.calls).toHaveLength(2);
    expect(actionsOn(operatorDb, String(failed!.id))).toEqual([{ action: "resend", agent_key: key, actor: "alice", previous_error: "400: Bad Request: chat not found" }]);
  });
});

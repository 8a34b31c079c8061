// An operator unsticks work from another process while the runtime runs: a message that threw five
// times and was parked is retried (handled once more, its journaled side effect not repeated) or
// dropped (recorded; the agent's next message goes on); a failed send is resent. Every action is a
// compare-and-set: a second one on the same row changes nothing. The operator works on a storage of
// its own, as `npm run admin` in another process opens it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "vitest";
import { type Deliver, OperatorActions, type OperatorOutcome, defineAgent } from "../../runtime/index.js";
import type { Sql, Tx } from "../../runtime/store.js";
import { type Storage, openStorage } from "../../src/storage.js";
import { type Fixture, freshKey, recordingDeliver, runtimeFixture } from "./harness.js";

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

type OnTestFinished = (fn: () => Promise<void>) => void;

/**
 * The bot's storage in a temp folder, opened (and migrated) as the bot opens it, and `open` to open
 * the same file again (the operator's process, a restart). Closed after the fixture's runtimes stop.
 */
async function botStorage(fixture: Fixture, onTestFinished: OnTestFinished) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "operator-actions-"));
  const file = path.join(dir, "bot.db");
  const opened: Storage[] = [];
  const open = async () => {
    const storage = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined });
    opened.push(storage);
    if (storage.dialect !== "sqlite") throw new Error("a SQLite file opened as another database");
    return storage;
  };
  onTestFinished(async () => {
    await fixture.cleanup();
    for (const storage of opened) await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { bot: await open(), open };
}

/** The operator's side: its actions, each in a unit of its own storage, and what it reads. */
function operatorOn(storage: Storage) {
  const actions = new OperatorActions(storage.store.read);
  const act = (action: (tx: Tx) => Promise<OperatorOutcome>) => storage.store.submit(action);
  return {
    retry: (id: string, actor: string, nowMs: number) => act((tx) => actions.retry(tx, id, actor, nowMs)),
    drop: (id: string, actor: string, nowMs: number) => act((tx) => actions.drop(tx, id, actor, nowMs)),
    resend: (id: number, actor: string, nowMs: number) => act((tx) => actions.resend(tx, id, actor, nowMs)),
    read: storage.store.read,
  };
}

function inboxRow(read: Sql, id: string) {
  return read.get<{ status: string; attempts: number; last_error: string | null }>(
    `SELECT id, agent_key, kind, status, attempts, last_error FROM inbox WHERE id = ?`, [id],
  );
}

async function inboxStatus(read: Sql, id: string): Promise<string | undefined> {
  return (await inboxRow(read, id))?.status;
}

async function outboxRows(read: Sql, agentKey: string) {
  const rows = await read.all<{ id: number; status: string; last_error: string | null; payload_json: string }>(
    `SELECT id, agent_key, message_id, payload_json, status, attempts, last_error FROM outbox WHERE agent_key = ? ORDER BY id`, [agentKey],
  );
  return rows.map(({ payload_json, ...rest }) => ({ ...rest, payload: JSON.parse(payload_json) as unknown }));
}

/** A runtime that watches for operator actions, with one message already parked after five throws. */
async function parkedScenario(fixture: Fixture, onTestFinished: OnTestFinished, deliver: Deliver = recordingDeliver().deliver) {
  const { bot, open } = await botStorage(fixture, onTestFinished);
  const poison = poisonAgent();
  const { runtime } = await fixture.start({ store: bot.store, agent: poison.agent, deliver, operatorPollMs: 20 });
  const key = freshKey();
  const bad = freshKey("bad");
  poison.poisoned.add(bad);
  await runtime.accept([{ id: bad, agentKey: key, kind: "text", payload: "bad" }]);
  await fixture.waitFor(async () => (await inboxStatus(bot.store.read, bad)) === "parked", PARKED_WITHIN_MS, "the message parked");
  const operator = operatorOn(await open());
  return { bot, open, runtime, key, bad, operator, ...poison };
}

function actionsOn(read: Sql, target: string) {
  return read.all(`SELECT action, agent_key, actor, previous_error FROM operator_actions WHERE target_id = ? ORDER BY id`, [target]);
}

describe.concurrent("operator actions on a parked message", () => {
  it("retry: the running runtime handles it once more, without repeating its journaled side effect", { timeout: 40_000 }, async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { bot, key, bad, operator, poisoned, tries, sideEffects, finished } = await parkedScenario(fixture, onTestFinished);
    const read = bot.store.read;
    expect(await inboxRow(read, bad)).toMatchObject({ status: "parked", attempts: MAX_ATTEMPTS, last_error: "Error: cannot digest this" });
    expect(tries.get(bad)).toBe(MAX_ATTEMPTS);
    expect(sideEffects.get(bad)).toBe(1);

    poisoned.delete(bad); // the cause is fixed (say, a provider is back)
    const outcome = await operator.retry(bad, "alice", fixture.time.now());
    expect(outcome).toMatchObject({ status: "done", action: "retry", agentKey: key, actor: "alice", previousError: "Error: cannot digest this" });

    await fixture.waitFor(async () => (await inboxStatus(read, bad)) === "done", 5000, "the retried message handled");
    await fixture.pass(100);
    expect(tries.get(bad)).toBe(MAX_ATTEMPTS + 1);
    expect(finished).toEqual([bad]);
    expect(sideEffects.get(bad)).toBe(1);
    expect((await outboxRows(read, key)).map((r) => r.payload)).toEqual([{ text: "that message was set aside" }, { text: "handled bad" }]);
    expect(await actionsOn(operator.read, bad)).toEqual([{ action: "retry", agent_key: key, actor: "alice", previous_error: "Error: cannot digest this" }]);

    // A second retry (a second operator, or the same command run twice) changes nothing.
    expect(await operator.retry(bad, "bob", fixture.time.now())).toEqual({ status: "refused", current: "done" });
    expect(await operator.drop(bad, "bob", fixture.time.now())).toEqual({ status: "refused", current: "done" });
    expect(await actionsOn(operator.read, bad)).toHaveLength(1);
  });

  it("drop: it is recorded, never runs again, and the agent's next message goes on", { timeout: 40_000 }, async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { bot, runtime, key, bad, operator, tries, finished } = await parkedScenario(fixture, onTestFinished);
    const read = bot.store.read;

    expect(await operator.drop(bad, "alice", fixture.time.now())).toMatchObject({ status: "done", action: "drop", agentKey: key });
    expect(await inboxRow(read, bad)).toMatchObject({ status: "done", attempts: MAX_ATTEMPTS });
    expect(await actionsOn(operator.read, bad)).toEqual([{ action: "drop", agent_key: key, actor: "alice", previous_error: "Error: cannot digest this" }]);
    expect(await operator.retry(bad, "bob", fixture.time.now())).toEqual({ status: "refused", current: "done" });

    const next = freshKey("next");
    await runtime.accept([{ id: next, agentKey: key, kind: "text", payload: "next" }]);
    await fixture.waitFor(async () => (await inboxStatus(read, next)) === "done", 3000, "the next message handled");
    await fixture.pass(100);
    expect(finished).toEqual([next]);
    expect(tries.get(bad)).toBe(MAX_ATTEMPTS);
  });

  it("retry while the runtime is stopped: the next start handles it", { timeout: 40_000 }, async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { open, runtime, bad, operator, poisoned, agent, finished } = await parkedScenario(fixture, onTestFinished);
    await runtime.stop();
    poisoned.delete(bad);
    expect(await operator.retry(bad, "alice", fixture.time.now())).toMatchObject({ status: "done" });

    // A restarted process: recovery finds it pending, with all its tries again.
    const restartedStorage = await open();
    const restarted = await fixture.start({ store: restartedStorage.store, agent, deliver: recordingDeliver().deliver });
    expect(restarted.report.agentsWithMessages).toHaveLength(1);
    await fixture.waitFor(async () => (await inboxStatus(restartedStorage.store.read, bad)) === "done", 3000, "the retried message handled after the restart");
    expect(finished).toEqual([bad]);
  });

  it("unknown ids and rows in another state are refused and leave no record", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { bot, open } = await botStorage(fixture, onTestFinished);
    const read = bot.store.read;
    const { agent } = poisonAgent();
    const { runtime } = await fixture.start({ store: bot.store, agent, deliver: recordingDeliver().deliver });
    const key = freshKey();
    const fine = freshKey("fine");
    await runtime.accept([{ id: fine, agentKey: key, kind: "text", payload: "fine" }]);
    await fixture.waitFor(async () => (await inboxStatus(read, fine)) === "done");
    await fixture.waitFor(async () => (await outboxRows(read, key))[0]?.status === "sent");
    const operator = operatorOn(await open());

    expect(await operator.retry("tg:does-not-exist", "alice", fixture.time.now())).toEqual({ status: "not-found" });
    expect(await operator.retry(fine, "alice", fixture.time.now())).toEqual({ status: "refused", current: "done" });
    expect(await operator.drop(fine, "alice", fixture.time.now())).toEqual({ status: "refused", current: "done" });
    expect(await operator.resend((await outboxRows(read, key))[0]!.id, "alice", fixture.time.now())).toEqual({ status: "refused", current: "sent" });
    expect(await operator.resend(999_999, "alice", fixture.time.now())).toEqual({ status: "not-found" });
    expect(await operator.read.get(`SELECT COUNT(*) AS n FROM operator_actions`)).toEqual({ n: 0 });
    expect(await inboxStatus(read, fine)).toBe("done");
  });
});

describe.concurrent("operator actions on a failed send", () => {
  it("resend: the running runtime sends it again, once; a second resend changes nothing", async ({ expect, onTestFinished }) => {
    const fixture = runtimeFixture(onTestFinished);
    const { bot, open } = await botStorage(fixture, onTestFinished);
    const read = bot.store.read;
    let refuse = true;
    const delivery = recordingDeliver(() => (refuse ? { status: "failed", error: "400: Bad Request: chat not found" } : { status: "sent", result: { messageId: 7 } }));
    const { agent } = poisonAgent();
    const { runtime } = await fixture.start({ store: bot.store, agent, deliver: delivery.deliver, operatorPollMs: 20 });
    const key = freshKey();
    await runtime.accept([{ id: freshKey("m"), agentKey: key, kind: "text", payload: "hello" }]);
    await fixture.waitFor(async () => (await outboxRows(read, key))[0]?.status === "failed", 3000, "the send failed");
    const [failed] = await outboxRows(read, key);
    expect(failed).toMatchObject({ status: "failed", last_error: "400: Bad Request: chat not found" });

    refuse = false; // the cause is fixed (the person unblocked the bot)
    const operator = operatorOn(await open());
    expect(await operator.resend(failed!.id, "alice", fixture.time.now())).toMatchObject({ status: "done", action: "resend", targetId: String(failed!.id), agentKey: key });
    await fixture.waitFor(async () => (await outboxRows(read, key))[0]?.status === "sent", 3000, "the send delivered");
    expect(delivery.calls.map((c) => c.payload)).toEqual([{ text: "handled hello" }, { text: "handled hello" }]);
    expect(await operator.resend(failed!.id, "bob", fixture.time.now())).toEqual({ status: "refused", current: "sent" });
    await fixture.pass(100);
    expect(delivery.calls).toHaveLength(2);
    expect(await actionsOn(operator.read, String(failed!.id))).toEqual([{ action: "resend", agent_key: key, actor: "alice", previous_error: "400: Bad Request: chat not found" }]);
  });
});

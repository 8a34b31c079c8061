import { describe, expect, it } from "vitest";
import { type AgentContext, type Message, defineAgent } from "../../runtime/index.js";
import type { Database } from "../support/temp-database.js";
import { settle, waitFor } from "../support/wait-for.js";
import {
  deferred,
  freshKey,
  inboxRow,
  inboxStatus,
  journalRows,
  outboxRows,
  recordingDeliver,
  shutDown,
  useRuntimeFixture,
} from "./harness.js";

const fixture = useRuntimeFixture();

function agentWith(handle: (ctx: AgentContext<object>) => Promise<void>, onParked?: (key: string, m: Message, reason: string) => unknown[]) {
  return defineAgent<object>({ name: "recovery", stateVersion: 1, initialState: () => ({}), handle, onParked });
}

function insertPending(db: Database, row: { id: string; agentKey: string; payload?: unknown; attempts?: number }): void {
  db.prepare(
    `INSERT INTO inbox (id, agent_key, kind, payload_json, attempts, received_at_ms) VALUES (?, ?, 'text', ?, ?, 0)`,
  ).run(row.id, row.agentKey, JSON.stringify(row.payload ?? null), row.attempts ?? 0);
}

/** What a process leaves behind when it dies while running a message that had been charged before. */
function markRunning(db: Database, id: string, agentKey: string): void {
  db.prepare("INSERT INTO runtime_meta (key, value) VALUES (?, ?)").run(`running:${id}`, agentKey);
}

function insertOutbox(db: Database, row: { agentKey: string; payload: unknown; status: "pending" | "sending"; attempts: number }): void {
  db.prepare(
    `INSERT INTO outbox (agent_key, message_id, payload_json, status, attempts, next_attempt_at_ms, created_at_ms)
     VALUES (?, 'earlier-message', ?, ?, ?, 0, ?)`,
  ).run(row.agentKey, JSON.stringify(row.payload), row.status, row.attempts, Date.now());
}

describe("restart and recovery", () => {
  it("handles at start a message left pending in the inbox by an earlier process", async () => {
    const temp = await fixture.temp();
    const key = freshKey();
    const id = freshKey("m");
    insertPending(temp.db, { id, agentKey: key, payload: { text: "left behind" } });
    const seen: Message[] = [];

    const { report } = await fixture.start({
      store: temp.store,
      agent: agentWith(async (ctx) => void seen.push(ctx.message)),
      deliver: recordingDeliver().deliver,
    });
    await waitFor(() => inboxStatus(temp.db, id) === "done");

    expect(report.agentsWithMessages).toEqual([key]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id, kind: "text", payload: { text: "left behind" } });
    // No clean stop was recorded (the row was left by a process that died), so the oldest pending
    // message of each agent is charged one attempt: it may have been running at the crash.
    expect(seen[0]!.attempts).toBe(1);
    expect(inboxRow(temp.db, id)!.last_error).toMatch(/process stopped/);
  });

  it("does not re-execute a run step already in the journal after a restart", async () => {
    const first = await fixture.temp();
    let calls = 0;
    const results: unknown[] = [];
    const handle = async (ctx: AgentContext<object>) => {
      const value = await ctx.run("expensive", async () => {
        calls += 1;
        return { answer: 42, call: calls };
      });
      results.push(value);
      if (ctx.message.attempts === 0) throw new Error("simulated crash after the step");
    };
    const key = freshKey();
    const id = freshKey("m");
    const one = await fixture.start({ store: first.store, agent: agentWith(handle), deliver: recordingDeliver().deliver });
    await one.runtime.accept([{ id, agentKey: key, kind: "text", payload: null }]);
    await waitFor(() => inboxRow(first.db, id)?.attempts === 1, 3000, "first attempt failed");
    await shutDown(one.runtime, first.store); // stops before the 1 s retry comes due

    const { store, db } = await fixture.reopen(first.file);
    expect(inboxStatus(db, id)).toBe("pending");
    expect(journalRows(db, id).map((r) => r.step_name)).toEqual(["run:expensive"]);
    const two = await fixture.start({ store, agent: agentWith(handle), deliver: recordingDeliver().deliver });
    await waitFor(() => inboxStatus(db, id) === "done");

    expect(two.report.agentsWithMessages).toEqual([key]);
    expect(calls).toBe(1);
    expect(results).toEqual([{ answer: 42, call: 1 }, { answer: 42, call: 1 }]);
  });

  it("finishes the message in progress on stop() and leaves the queued ones for the next start", async () => {
    const first = await fixture.temp();
    const gate = deferred();
    const started = deferred();
    const handled: string[] = [];
    const handle = async (ctx: AgentContext<object>) => {
      if (ctx.message.payload === "slow") {
        started.resolve();
        await gate.promise;
      }
      handled.push(ctx.message.id);
    };
    const key = freshKey();
    const [slow, queued] = [freshKey("slow"), freshKey("queued")];
    const one = await fixture.start({ store: first.store, agent: agentWith(handle), deliver: recordingDeliver().deliver });
    await one.runtime.accept([
      { id: slow, agentKey: key, kind: "text", payload: "slow" },
      { id: queued, agentKey: key, kind: "text", payload: "quick" },
    ]);
    await started.promise;

    const stopping = one.runtime.stop();
    await expect(one.runtime.accept([{ id: freshKey("late"), agentKey: key, kind: "text", payload: null }])).rejects.toThrow(/not started/);
    gate.resolve();
    await stopping;
    expect(inboxStatus(first.db, slow)).toBe("done");
    expect(inboxStatus(first.db, queued)).toBe("pending");
    await first.store.close();

    const { store, db } = await fixture.reopen(first.file);
    await fixture.start({ store, agent: agentWith(handle), deliver: recordingDeliver().deliver });
    await waitFor(() => inboxStatus(db, queued) === "done");
    expect(handled).toEqual([slow, queued]);
  });

  it("sends again, at start, outbox rows left in status 'sending', and reports them", async () => {
    const temp = await fixture.temp();
    const key = freshKey();
    insertOutbox(temp.db, { agentKey: key, payload: { text: "was in flight" }, status: "sending", attempts: 1 });
    insertOutbox(temp.db, { agentKey: key, payload: { text: "was waiting" }, status: "pending", attempts: 0 });
    const delivery = recordingDeliver();

    const { report } = await fixture.start({ store: temp.store, agent: agentWith(async () => {}), deliver: delivery.deliver });
    await waitFor(() => delivery.calls.length === 2);

    expect(report.interruptedSends).toBe(1);
    expect(report.agentsWithSends).toEqual([key]);
    expect(delivery.calls.map((c) => c.payload)).toEqual([{ text: "was in flight" }, { text: "was waiting" }]);
    await waitFor(() => outboxRows(temp.db, key).every((r) => r.status === "sent"));
    expect(outboxRows(temp.db, key).map((r) => r.attempts)).toEqual([2, 1]);
    await settle(30);
    expect(delivery.calls).toHaveLength(2);
  });

  it("parks at start a message that has crashed the process maxAttempts times, then handles the next one", async () => {
    const temp = await fixture.temp();
    const key = freshKey();
    const [crasher, next] = [freshKey("crasher"), freshKey("next")];
    insertPending(temp.db, { id: crasher, agentKey: key, attempts: 2 });
    markRunning(temp.db, crasher, key);
    insertPending(temp.db, { id: next, agentKey: key });
    const handled: string[] = [];
    const delivery = recordingDeliver();

    const { report } = await fixture.start({
      store: temp.store,
      agent: agentWith(async (ctx) => void handled.push(ctx.message.id), (_key, m) => [{ text: `gave up on ${m.id}` }]),
      deliver: delivery.deliver,
      maxAttempts: 3,
    });
    await waitFor(() => inboxStatus(temp.db, next) === "done");

    expect(report.parked).toBe(1);
    expect(inboxRow(temp.db, crasher)).toMatchObject({ status: "parked", attempts: 3 });
    expect(inboxRow(temp.db, crasher)!.last_error).toMatch(/crashed the process 3 times/);
    expect(handled).toEqual([next]);
    expect(report.agentsWithSends).toEqual([key]);
    await waitFor(() => delivery.calls.length === 1);
    expect(delivery.calls[0]!.payload).toEqual({ text: `gave up on ${crasher}` });
  });

  it("charges the restart only to each agent's oldest pending message", async () => {
    const temp = await fixture.temp();
    const key = freshKey();
    const [head, second] = [freshKey("head"), freshKey("second")];
    insertPending(temp.db, { id: head, agentKey: key });
    insertPending(temp.db, { id: second, agentKey: key });
    const seen: Message[] = [];

    await fixture.start({ store: temp.store, agent: agentWith(async (ctx) => void seen.push(ctx.message)), deliver: recordingDeliver().deliver });
    await waitFor(() => inboxStatus(temp.db, second) === "done");

    expect(seen.map((m) => [m.id, m.attempts])).toEqual([
      [head, 1],
      [second, 0],
    ]);
  });

  it("charges no attempt after a clean stop, which let the work in progress finish", async () => {
    const temp = await fixture.temp();
    const key = freshKey();
    const gate = deferred<void>();
    const seen: Message[] = [];
    const agent = agentWith(async (ctx) => {
      seen.push(ctx.message);
      if (seen.length === 1) await gate.promise;
    });
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    await runtime.accept([
      { id: `${key}-1`, agentKey: key, kind: "text", payload: 1 },
      { id: `${key}-2`, agentKey: key, kind: "text", payload: 2 },
    ]);
    await waitFor(() => seen.length === 1);
    const stopped = runtime.stop();
    gate.resolve();
    await stopped;

    await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    await waitFor(() => inboxStatus(temp.db, `${key}-2`) === "done");
    expect(seen.map((m) => [m.id, m.attempts])).toEqual([[`${key}-1`, 0], [`${key}-2`, 0]]);
  });

  it("blames only the message that ran alone when the process died during isolation", async () => {
    const temp = await fixture.temp();
    const [x, y] = [freshKey(), freshKey()];
    insertPending(temp.db, { id: `${x}-poison`, agentKey: x, attempts: 2 });
    insertPending(temp.db, { id: `${y}-innocent`, agentKey: y, attempts: 1 });
    temp.db.prepare("INSERT INTO runtime_meta (key, value) VALUES ('isolating', ?)").run(`${x}-poison`);
    const seen: Array<[string, number]> = [];
    await fixture.start({
      store: temp.store,
      agent: agentWith(async (ctx) => void seen.push([ctx.message.id, ctx.message.attempts])),
      deliver: recordingDeliver().deliver,
    });
    await waitFor(() => seen.length === 2);
    // x is charged its third crash; y, a bystander, keeps its one strike and is not isolated.
    expect(seen).toEqual([[`${x}-poison`, 3], [`${y}-innocent`, 1]]);
  });

  it("charges a crash only to the messages that were running and to those never tried", async () => {
    const temp = await fixture.temp();
    const [waited, ran, fresh] = [freshKey(), freshKey(), freshKey()];
    // All three chats had a message pending at the crash: `waited` had been charged once and waited
    // (for a retry, or for a place), `ran` had been charged once and was running, `fresh` never ran.
    insertPending(temp.db, { id: `${waited}-1`, agentKey: waited, attempts: 1 });
    insertPending(temp.db, { id: `${ran}-1`, agentKey: ran, attempts: 1 });
    markRunning(temp.db, `${ran}-1`, ran);
    insertPending(temp.db, { id: `${fresh}-1`, agentKey: fresh, attempts: 0 });
    const seen = new Map<string, number>();
    const { report } = await fixture.start({
      store: temp.store,
      agent: agentWith(async (ctx) => void seen.set(ctx.message.id, ctx.message.attempts)),
      deliver: recordingDeliver().deliver,
    });
    await waitFor(() => [waited, ran, fresh].every((key) => inboxStatus(temp.db, `${key}-1`) === "done"));

    expect(Object.fromEntries(seen)).toEqual({ [`${waited}-1`]: 1, [`${ran}-1`]: 2, [`${fresh}-1`]: 1 });
    expect(report.isolated).toBe(1);
    expect(temp.db.prepare("SELECT COUNT(*) FROM runtime_meta WHERE key LIKE 'running:%'").pluck().get()).toBe(0);
  });

  it("marks a message charged before while it runs, and clears the mark with its outcome", async () => {
    const temp = await fixture.temp();
    const key = freshKey();
    insertPending(temp.db, { id: `${key}-1`, agentKey: key, attempts: 1 });
    const gate = deferred();
    const running = deferred();
    await fixture.start({
      store: temp.store,
      agent: agentWith(async () => {
        running.resolve();
        await gate.promise;
      }),
      deliver: recordingDeliver().deliver,
    });
    await running.promise;
    const mark = () => temp.db.prepare("SELECT value FROM runtime_meta WHERE key = ?").pluck().get(`running:${key}-1`);
    expect(mark()).toBe(key);
    gate.resolve();
    await waitFor(() => inboxStatus(temp.db, `${key}-1`) === "done");
    expect(mark()).toBeUndefined();
  });

  it("starts serving before the repeat crash suspects run, then runs them one at a time beside the other chats", async () => {
    const temp = await fixture.temp();
    const [a, b, other] = [freshKey(), freshKey(), freshKey()];
    insertPending(temp.db, { id: `${a}-1`, agentKey: a, attempts: 1 });
    markRunning(temp.db, `${a}-1`, a);
    insertPending(temp.db, { id: `${b}-1`, agentKey: b, attempts: 2 });
    markRunning(temp.db, `${b}-1`, b);
    insertPending(temp.db, { id: `${other}-1`, agentKey: other, attempts: 0 });
    const release = new Map([[`${b}-1`, deferred()], [`${a}-1`, deferred()]]);
    const events: string[] = [];
    let suspectsRunning = 0;
    let overlapped = false;
    const agent = agentWith(async (ctx) => {
      const suspect = ctx.message.attempts >= 2;
      if (suspect && ++suspectsRunning > 1) overlapped = true;
      events.push(`start ${ctx.message.id}`);
      await release.get(ctx.message.id)?.promise;
      events.push(`end ${ctx.message.id}`);
      if (suspect) suspectsRunning--;
    });

    // start() resolves while the worst suspect (b, now at 3) is still running.
    const { runtime, report } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver });
    expect(report.isolated).toBe(2);
    await waitFor(() => events.includes(`start ${b}-1`));
    // The other chat is served meanwhile, and so are new messages of other chats.
    await waitFor(() => events.includes(`end ${other}-1`));
    await runtime.accept([{ id: `${other}-2`, agentKey: other, kind: "text", payload: null }]);
    await waitFor(() => events.includes(`end ${other}-2`));
    // A new message for a suspect's chat waits behind it; the next suspect waits its turn.
    await runtime.accept([{ id: `${b}-2`, agentKey: b, kind: "text", payload: null }]);
    await settle(30);
    expect(events).not.toContain(`start ${b}-2`);
    expect(events).not.toContain(`start ${a}-1`);

    release.get(`${b}-1`)!.resolve();
    await waitFor(() => events.includes(`start ${a}-1`) && events.includes(`end ${b}-2`));
    release.get(`${a}-1`)!.resolve();
    await waitFor(() => inboxStatus(temp.db, `${a}-1`) === "done");
    expect(events.indexOf(`end ${b}-1`)).toBeLessThan(events.indexOf(`start ${b}-2`));
    expect(overlapped).toBe(false);
    expect(temp.db.prepare("SELECT COUNT(*) FROM runtime_meta WHERE key LIKE 'running:%' OR key = 'isolating'").pluck().get()).toBe(0);
  });
});

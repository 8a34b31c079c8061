import { describe, expect, it } from "vitest";
import { type DeliveryResult, type Pacing, defineAgent } from "../../runtime/index.js";
import { silentLogger } from "../../runtime/observer.js";
import { Outbox } from "../../runtime/outbox.js";
import { OutboxWorker } from "../../runtime/outbox-worker.js";
import { settle, waitFor } from "../support/wait-for.js";
import { type DeliveryCall, deferred, freshKey, outboxRows, recordingDeliver, useRuntimeFixture } from "./harness.js";

const fixture = useRuntimeFixture();

/** Sends each string of the message's payload, in order. */
const senderAgent = defineAgent<object>({
  name: "sender",
  stateVersion: 1,
  initialState: () => ({}),
  async handle(ctx) {
    for (const text of ctx.message.payload as string[]) ctx.send({ text });
  },
});

const textOf = (call: DeliveryCall) => (call.payload as { text: string }).text;

async function sendAll(
  texts: string[],
  answer: (call: DeliveryCall, index: number) => DeliveryResult | Promise<DeliveryResult>,
  pacing?: Pacing,
) {
  const temp = await fixture.temp();
  const delivery = recordingDeliver(answer, fixture.time);
  const { runtime } = await fixture.start({ store: temp.store, agent: senderAgent, deliver: delivery.deliver, pacing });
  const key = freshKey();
  await runtime.accept([{ id: freshKey("m"), agentKey: key, kind: "text", payload: texts }]);
  const settled = () => outboxRows(temp.db, key).length === texts.length && outboxRows(temp.db, key).every((r) => r.status === "sent" || r.status === "failed");
  return { temp, runtime, key, delivery, settled };
}

describe("outbox worker", () => {
  it("retries a transient failure and delivers the row once, recording every attempt", async () => {
    let tries = 0;
    const { temp, key, delivery, settled } = await sendAll(["hello"], () => {
      tries += 1;
      return tries <= 2 ? { status: "retry", error: `503 #${tries}`, retryAfterMs: 5 } : { status: "sent", result: { messageId: 77 } };
    });

    await fixture.waitFor(settled, 3000, "row settled");
    await fixture.pass(30);

    expect(delivery.calls.map(textOf)).toEqual(["hello", "hello", "hello"]);
    const [row] = outboxRows(temp.db, key);
    expect(row).toMatchObject({ status: "sent", attempts: 3, last_error: null });
    const result = temp.db.prepare(`SELECT result_json FROM outbox WHERE id = ?`).pluck().get(row!.id) as string;
    expect(JSON.parse(result)).toEqual({ messageId: 77 });
  });

  it("treats a deliver function that throws as a transient failure", async () => {
    let tries = 0;
    const { temp, key, delivery, settled } = await sendAll(["hello"], () => {
      tries += 1;
      if (tries === 1) throw new Error("socket hang up");
      return { status: "sent" };
    });

    await fixture.waitFor(settled, 3000, "row settled");

    expect(delivery.calls).toHaveLength(2);
    expect(outboxRows(temp.db, key)[0]).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("does not send an agent's next row before the previous one, even while that one is retried", async () => {
    let firstTries = 0;
    const { delivery, settled } = await sendAll(["first", "second", "third"], (call) => {
      if (textOf(call) === "first" && ++firstTries <= 2) return { status: "retry", error: "429", retryAfterMs: 20 };
      return { status: "sent" };
    });

    await fixture.waitFor(settled, 3000, "rows settled");

    expect(delivery.calls.map(textOf)).toEqual(["first", "first", "first", "second", "third"]);
  });

  it("records a permanent failure and goes on with the next row", async () => {
    const { temp, key, delivery, settled } = await sendAll(["refused", "fine"], (call) =>
      textOf(call) === "refused" ? { status: "failed", error: "400: chat not found" } : { status: "sent" },
    );

    await fixture.waitFor(settled, 3000, "rows settled");

    expect(delivery.calls.map(textOf)).toEqual(["refused", "fine"]);
    expect(outboxRows(temp.db, key).map((r) => [r.status, r.attempts, r.last_error])).toEqual([
      ["failed", 1, "400: chat not found"],
      ["sent", 1, null],
    ]);
  });

  it("keeps sending to other agents while one agent's row waits for a retry", async () => {
    const temp = await fixture.temp();
    const slowKey = freshKey("slow");
    const fastKey = freshKey("fast");
    const delivery = recordingDeliver((call) =>
      call.agentKey === slowKey ? { status: "retry", error: "flood wait", retryAfterMs: 60_000 } : { status: "sent" },
    );
    const { runtime } = await fixture.start({ store: temp.store, agent: senderAgent, deliver: delivery.deliver });

    await runtime.accept([{ id: freshKey("m"), agentKey: slowKey, kind: "text", payload: ["stuck"] }]);
    await fixture.waitFor(() => delivery.calls.length === 1);
    await runtime.accept([{ id: freshKey("m"), agentKey: fastKey, kind: "text", payload: ["free"] }]);
    await fixture.waitFor(() => outboxRows(temp.db, fastKey)[0]?.status === "sent", 2000, "the other agent's row sent");

    expect(outboxRows(temp.db, slowKey)[0]).toMatchObject({ status: "pending", attempts: 1, last_error: "flood wait" });
    expect(await runtime.stats.unsentCount()).toBe(1);
  });

  it("paces two sends to one agent at least minIntervalMs apart", async () => {
    const pacing: Pacing = { globalPerSecond: 1000, minIntervalMs: () => 50 };
    const { delivery, settled } = await sendAll(["one", "two"], () => ({ status: "sent" }), pacing);

    await fixture.waitFor(settled, 3000, "rows settled");

    expect(delivery.calls.map(textOf)).toEqual(["one", "two"]);
    // On virtual time: the worker's own wait, not the machine's speed.
    const gap = delivery.calls[1]!.atMs - delivery.calls[0]!.atMs;
    expect(gap).toBeGreaterThanOrEqual(50);
  });

  it("sends a row that a clock set back before a restart put hours ahead after the longest back-off at most", async () => {
    const temp = await fixture.temp();
    const outbox = new Outbox(temp.store.read);
    const key = freshKey();
    // Stored by the last process: a retry due in a few seconds, then the clock was set back two hours.
    const now = fixture.time.now();
    await temp.store.submit(async (tx) => outbox.markRetry(tx, await outbox.enqueue(tx, key, "m", { text: "late" }, now), now + 2 * 3600_000, "429"));
    const delivery = recordingDeliver();
    const worker = new OutboxWorker(outbox, temp.store, fixture.time, { deliver: delivery.deliver, maxBackoffMs: 200 }, silentLogger, {});
    try {
      worker.wake(key);
      await fixture.waitFor(() => outboxRows(temp.db, key)[0]?.status === "sent", 3000, "the row sent after the longest back-off");
      expect(delivery.calls.map(textOf)).toEqual(["late"]);
    } finally {
      await worker.stop();
    }
  });

  it("writes a reply already claimed with the completion, so sending it costs no claim commit of its own", async () => {
    const temp = await fixture.temp();
    const gate = deferred();
    const delivery = recordingDeliver(async () => {
      await gate.promise;
      return { status: "sent" };
    });
    const { runtime } = await fixture.start({ store: temp.store, agent: senderAgent, deliver: delivery.deliver });
    const key = freshKey();
    const before = runtime.stats.commits().commits;
    await runtime.accept([{ id: freshKey("m"), agentKey: key, kind: "text", payload: ["one", "two"] }]);
    await waitFor(() => delivery.calls.length === 1, 3000, "the first reply on its way");

    // Both rows were born 'sending' in the completion's commit: the accept and the completion are
    // the only commits so far, though the first reply is out.
    expect(runtime.stats.commits().commits - before).toBe(2);
    expect(outboxRows(temp.db, key).map((r) => [r.status, r.attempts])).toEqual([["sending", 1], ["sending", 1]]);
    gate.resolve();
    await waitFor(() => outboxRows(temp.db, key).every((r) => r.status === "sent"), 3000, "both recorded");
    expect(delivery.calls.map(textOf)).toEqual(["one", "two"]);
    expect(outboxRows(temp.db, key).map((r) => r.attempts)).toEqual([1, 1]);
  });

  it("claims a new reply at birth only when nothing older of the agent is still unsent", async () => {
    const temp = await fixture.temp();
    const first = deferred<DeliveryResult>();
    let calls = 0;
    const delivery = recordingDeliver(() => (++calls === 1 ? first.promise : { status: "sent" }));
    const { runtime } = await fixture.start({ store: temp.store, agent: senderAgent, deliver: delivery.deliver });
    const key = freshKey();
    await runtime.accept([{ id: freshKey("m"), agentKey: key, kind: "text", payload: ["one"] }]);
    await waitFor(() => delivery.calls.length === 1, 3000, "the first reply on its way");
    await runtime.accept([{ id: freshKey("m"), agentKey: key, kind: "text", payload: ["two"] }]);
    await waitFor(() => outboxRows(temp.db, key).length === 2, 3000, "the second reply written");

    // "one" is still being sent: "two" waits as 'pending' for the worker's own claim, after it.
    expect(outboxRows(temp.db, key).map((r) => r.status)).toEqual(["sending", "pending"]);
    first.resolve({ status: "sent" });
    await waitFor(() => outboxRows(temp.db, key).every((r) => r.status === "sent"), 3000, "both recorded");
    expect(delivery.calls.map(textOf)).toEqual(["one", "two"]);
  });

  it("gives a reply claimed at birth but never sent back to 'pending' at a clean stop, so the next start does not count it as interrupted", async () => {
    const temp = await fixture.temp();
    // One send per minute to the agent: the second reply waits in its lane, claimed.
    const pacing: Pacing = { globalPerSecond: 1000, minIntervalMs: () => 60_000 };
    const delivery = recordingDeliver();
    const { runtime } = await fixture.start({ store: temp.store, agent: senderAgent, deliver: delivery.deliver, pacing });
    const key = freshKey();
    await runtime.accept([{ id: freshKey("m"), agentKey: key, kind: "text", payload: ["one"] }]);
    await waitFor(() => outboxRows(temp.db, key)[0]?.status === "sent", 3000, "the first reply recorded");
    await runtime.accept([{ id: freshKey("m"), agentKey: key, kind: "text", payload: ["two"] }]);
    await waitFor(() => outboxRows(temp.db, key)[1]?.status === "sending", 3000, "the second reply claimed at birth");
    await runtime.stop();

    expect(outboxRows(temp.db, key).map((r) => [r.status, r.attempts])).toEqual([["sent", 1], ["pending", 0]]);
    const { store, db } = await fixture.reopen(temp.file);
    const restarted = await fixture.start({ store, agent: senderAgent, deliver: delivery.deliver });
    expect(restarted.report.interruptedSends).toBe(0);
    await waitFor(() => outboxRows(db, key)[1]?.status === "sent", 3000, "the second reply sent after the restart");
    expect(delivery.calls.map(textOf)).toEqual(["one", "two"]);
  });
});

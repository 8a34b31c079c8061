import { describe, expect, it } from "vitest";
import { type Message, type TimerMessage, defineAgent } from "../../runtime/index.js";
import type { Database } from "../support/temp-database.js";
import { settle, waitFor } from "../support/wait-for.js";
import { FakeClock, freshKey, inboxRow, inboxStatus, recordingDeliver, shutDown, useRuntimeFixture } from "./harness.js";

const fixture = useRuntimeFixture();

const HOUR = 3_600_000;

interface ReminderState {
  timerId?: string;
}

/** "remind" arms a timer an hour ahead; "cancel" disarms it; timer messages are recorded. */
function reminderAgent(received: Message[]) {
  return defineAgent<ReminderState>({
    name: "reminders",
    stateVersion: 1,
    initialState: () => ({}),
    async handle(ctx) {
      const payload = ctx.message.payload as { op?: string } | null;
      if (ctx.message.kind === "timer") {
        received.push(ctx.message);
        return;
      }
      if (payload?.op === "remind") {
        ctx.state.timerId = ctx.setTimer("reminder", ctx.now() + HOUR, { text: "drink water", n: 3 });
      }
      if (payload?.op === "cancel" && ctx.state.timerId) ctx.cancelTimer(ctx.state.timerId);
    },
  });
}

function timerRow(db: Database, id: string) {
  return db.prepare(`SELECT agent_key, kind, fire_at_ms, fired_at_ms, canceled_at_ms FROM timers WHERE id = ?`).get(id) as
    | { agent_key: string; kind: string; fire_at_ms: number; fired_at_ms: number | null; canceled_at_ms: number | null }
    | undefined;
}

/** A runtime on a fake clock whose one agent has armed its hour's reminder. */
async function startWithReminder() {
  const clock = new FakeClock();
  const temp = await fixture.temp();
  const received: Message[] = [];
  const armId = freshKey("m");
  const { runtime } = await fixture.start({ store: temp.store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
  await runtime.accept([{ id: armId, agentKey: freshKey(), kind: "text", payload: { op: "remind" } }]);
  await waitFor(() => inboxStatus(temp.db, armId) === "done");
  return { clock, temp, received, runtime };
}

describe("durable timers", () => {
  it("delivers a timer armed before a restart once, as a message of kind 'timer' with its payload", async () => {
    const clock = new FakeClock();
    const first = await fixture.temp();
    const received: Message[] = [];
    const key = freshKey();
    const armId = freshKey("m");
    const one = await fixture.start({ store: first.store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
    await one.runtime.accept([{ id: armId, agentKey: key, kind: "text", payload: { op: "remind" } }]);
    await waitFor(() => inboxStatus(first.db, armId) === "done");
    const state = JSON.parse(first.db.prepare(`SELECT state_json FROM agent_state WHERE agent_key = ?`).pluck().get(key) as string) as ReminderState;
    const timerId = state.timerId!;
    expect(timerRow(first.db, timerId)).toMatchObject({ agent_key: key, kind: "reminder", fire_at_ms: clock.now() + HOUR, fired_at_ms: null });
    await shutDown(one.runtime, first.store);

    const { store, db } = await fixture.reopen(first.file);
    const two = await fixture.start({ store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
    clock.advance(HOUR + 1);
    await two.runtime.fireDueTimers();
    await two.runtime.fireDueTimers();
    await waitFor(() => inboxStatus(db, `timer:${timerId}`) === "done");
    await settle(30);

    expect(received).toHaveLength(1);
    expect(received[0]!.id).toBe(`timer:${timerId}`);
    expect(received[0]!.kind).toBe("timer");
    expect(received[0]!.payload).toEqual({ timerId, kind: "reminder", payload: { text: "drink water", n: 3 } } satisfies TimerMessage);
    expect(timerRow(db, timerId)!.fired_at_ms).toBe(clock.now());
    expect(db.prepare(`SELECT COUNT(*) FROM inbox WHERE kind = 'timer'`).pluck().get()).toBe(1);
  });

  it("fires on its own, without fireDueTimers, a timer that fell due while the process was down", async () => {
    const clock = new FakeClock();
    const first = await fixture.temp();
    const received: Message[] = [];
    const key = freshKey();
    const armId = freshKey("m");
    const one = await fixture.start({ store: first.store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
    await one.runtime.accept([{ id: armId, agentKey: key, kind: "text", payload: { op: "remind" } }]);
    await waitFor(() => inboxStatus(first.db, armId) === "done");
    await shutDown(one.runtime, first.store);

    clock.advance(2 * HOUR);
    const { store, db } = await fixture.reopen(first.file);
    await fixture.start({ store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
    await waitFor(() => received.length === 1, 2000, "the overdue timer fired by the runtime's wake-up");

    expect(received[0]!.kind).toBe("timer");
    expect((received[0]!.payload as TimerMessage).payload).toEqual({ text: "drink water", n: 3 });
  });

  it("does not fire a timer before its time", async () => {
    const { clock, temp, received, runtime } = await startWithReminder();

    clock.advance(HOUR - 1);
    await runtime.fireDueTimers();
    await settle(30);

    expect(received).toEqual([]);
    expect(temp.db.prepare(`SELECT COUNT(*) FROM inbox WHERE kind = 'timer'`).pluck().get()).toBe(0);
  });

  it("fires what is due at the time of the call, even while an earlier firing is under way", async () => {
    const { clock, temp, received, runtime } = await startWithReminder();

    // The first firing reads the clock before it moves; the second must not just join it.
    const early = runtime.fireDueTimers();
    clock.advance(HOUR + 1);
    const late = runtime.fireDueTimers();
    await Promise.all([early, late]);
    // Fired by the call itself, not by the background wake-up that comes after.
    expect(temp.db.prepare(`SELECT COUNT(*) FROM inbox WHERE kind = 'timer'`).pluck().get()).toBe(1);
    await waitFor(() => received.length === 1);
  });

  it("never fires a canceled timer", async () => {
    const clock = new FakeClock();
    const temp = await fixture.temp();
    const received: Message[] = [];
    const key = freshKey();
    const [armId, cancelId] = [freshKey("m"), freshKey("m")];
    const { runtime } = await fixture.start({ store: temp.store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
    await runtime.accept([
      { id: armId, agentKey: key, kind: "text", payload: { op: "remind" } },
      { id: cancelId, agentKey: key, kind: "text", payload: { op: "cancel" } },
    ]);
    await waitFor(() => inboxStatus(temp.db, cancelId) === "done");

    clock.advance(2 * HOUR);
    await runtime.fireDueTimers();
    await settle(30);

    expect(received).toEqual([]);
    const [timer] = temp.db.prepare(`SELECT fired_at_ms, canceled_at_ms FROM timers WHERE agent_key = ?`).all(key) as Array<{
      fired_at_ms: number | null;
      canceled_at_ms: number | null;
    }>;
    expect(timer).toEqual({ fired_at_ms: null, canceled_at_ms: expect.any(Number) });
  });

  it("does not let one agent cancel another agent's timer", async () => {
    const clock = new FakeClock();
    const temp = await fixture.temp();
    const received: Message[] = [];
    const [owner, intruder] = [freshKey("owner"), freshKey("intruder")];
    const armId = freshKey("m");
    const { runtime } = await fixture.start({ store: temp.store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
    await runtime.accept([{ id: armId, agentKey: owner, kind: "text", payload: { op: "remind" } }]);
    await waitFor(() => inboxStatus(temp.db, armId) === "done");
    const timerId = (temp.db.prepare(`SELECT id FROM timers WHERE agent_key = ?`).pluck().get(owner) as string);

    // The intruder's state names the owner's timer.
    temp.db.prepare(`INSERT INTO agent_state (agent_key, version, state_json, updated_at_ms) VALUES (?, 1, ?, 0)`)
      .run(intruder, JSON.stringify({ timerId }));
    const cancelId = freshKey("m");
    await runtime.accept([{ id: cancelId, agentKey: intruder, kind: "text", payload: { op: "cancel" } }]);
    await waitFor(() => inboxStatus(temp.db, cancelId) === "done");
    clock.advance(HOUR);
    await runtime.fireDueTimers();
    await waitFor(() => inboxStatus(temp.db, `timer:${timerId}`) === "done");

    expect(received.map((m) => m.id)).toEqual([`timer:${timerId}`]);
    expect(inboxRow(temp.db, `timer:${timerId}`)!.agent_key).toBe(owner);
  });

  describe("with the wall clock set back two hours", () => {
    const STEP = 2 * HOUR;

    it("fires an hour's timer an hour after the step at the latest, not three hours (the process running)", async () => {
      const { clock, temp, received, runtime } = await startWithReminder();

      clock.advance(-STEP);
      await runtime.fireDueTimers();
      clock.advance(HOUR - 1);
      await runtime.fireDueTimers();
      await settle(30);
      expect(received).toEqual([]);
      clock.advance(1);
      await runtime.fireDueTimers();
      await waitFor(() => received.length === 1, 2000, "the timer fired an hour after the step");
    });

    it("does the same for a timer armed before a restart, once the clock reads earlier than its arming", async () => {
      const clock = new FakeClock();
      const first = await fixture.temp();
      const received: Message[] = [];
      const key = freshKey();
      const armId = freshKey("m");
      const one = await fixture.start({ store: first.store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
      await one.runtime.accept([{ id: armId, agentKey: key, kind: "text", payload: { op: "remind" } }]);
      await waitFor(() => inboxStatus(first.db, armId) === "done");
      await shutDown(one.runtime, first.store);

      clock.advance(-STEP);
      const { store, db } = await fixture.reopen(first.file);
      const two = await fixture.start({ store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
      await two.runtime.fireDueTimers();
      const timer = db.prepare(`SELECT fire_at_ms, armed_at_ms FROM timers WHERE agent_key = ?`).get(key);
      expect(timer).toEqual({ fire_at_ms: clock.now() + HOUR, armed_at_ms: clock.now() });
      clock.advance(HOUR);
      await two.runtime.fireDueTimers();
      await waitFor(() => received.length === 1, 2000, "the timer fired an hour after the start");
    });

    it("leaves timers armed after the step alone", async () => {
      const clock = new FakeClock();
      const temp = await fixture.temp();
      const received: Message[] = [];
      const key = freshKey();
      const armId = freshKey("m");
      const { runtime } = await fixture.start({ store: temp.store, agent: reminderAgent(received), deliver: recordingDeliver().deliver, clock });
      clock.advance(-STEP);
      await runtime.fireDueTimers();
      await runtime.accept([{ id: armId, agentKey: key, kind: "text", payload: { op: "remind" } }]);
      await waitFor(() => inboxStatus(temp.db, armId) === "done");
      await runtime.fireDueTimers();

      expect(temp.db.prepare(`SELECT fire_at_ms - armed_at_ms FROM timers WHERE agent_key = ?`).pluck().get(key)).toBe(HOUR);
      clock.advance(HOUR - 1);
      await runtime.fireDueTimers();
      await settle(30);
      expect(received).toEqual([]);
    });
  });
});

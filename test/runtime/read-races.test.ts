// Reads of the store are asynchronous: between a read and the decision taken on it, a wake may
// arrive for work committed after the read began. Each place that decides on a read keeps that wake:
// a mailbox, an outbox lane, the timer wake-up and the full runtime's view of the leases. Each test
// holds one read open, brings the wake during it, then lets the read finish with what it saw.
import { describe, expect, it } from "vitest";
import type { AgentLeases } from "../../runtime/agent-lease.js";
import type { Inbox, InboxMessage } from "../../runtime/inbox.js";
import type { MessageRunner, RunOutcome } from "../../runtime/message-runner.js";
import { silentLogger } from "../../runtime/observer.js";
import type { Outbox, OutboxRow } from "../../runtime/outbox.js";
import { OutboxWorker } from "../../runtime/outbox-worker.js";
import { Router } from "../../runtime/router.js";
import { ServedElsewhere } from "../../runtime/served-elsewhere.js";
import type { Store, Tx } from "../../runtime/store.js";
import type { TimerRow, TimerStore } from "../../runtime/timer-store.js";
import { TimerService } from "../../runtime/timers.js";
import { WorkGate } from "../../runtime/work-gate.js";
import { type Deferred, deferred } from "./harness.js";
import { VirtualScheduler } from "../support/virtual-time.js";

/** Answers reads from `table`, except the first, which waits for the test to settle it. */
function heldFirstRead<T>(table: () => T) {
  const first = deferred<T>();
  let reads = 0;
  return {
    first,
    get reads() {
      return reads;
    },
    read(): Promise<T> {
      reads++;
      return reads === 1 ? first.promise : Promise.resolve(table());
    },
  };
}

/** Runs each unit at once on a handle nothing reads: the fakes below keep their rows in memory. */
const immediateStore = { submit: <T>(unit: (tx: Tx) => Promise<T>) => unit({} as Tx) } as unknown as Store;

describe("a mailbox reading the inbox", () => {
  it("handles a message whose wake came while its read of the table was under way", async () => {
    const time = new VirtualScheduler();
    const table: InboxMessage[] = [];
    const next = heldFirstRead(() => table[0]);
    const handled: string[] = [];
    const inbox = { next: () => next.read() } as unknown as Inbox;
    const runner = {
      async run(row: InboxMessage): Promise<RunOutcome> {
        handled.push(row.id);
        table.splice(table.indexOf(row), 1);
        return { status: "done", sent: false, timersChanged: false };
      },
    } as unknown as MessageRunner<unknown>;
    const router = new Router(inbox, runner, { sent() {}, timersChanged() {} }, { maxResidentAgents: 10 }, silentLogger, new WorkGate(4), time);

    router.wake("chat");
    await time.settle();
    expect(next.reads).toBe(1);
    // Committed by a timer's firing after the read began, which then wakes the agent.
    table.push({ seq: 1, id: "timer:1", agentKey: "chat", kind: "timer", payload: null, attempts: 0, receivedAtMs: 0 });
    router.wake("chat");
    // The read's snapshot predates the row.
    next.first.resolve(undefined);
    await time.settle();

    expect(handled).toEqual(["timer:1"]);
    await router.stop();
  });
});

describe("an outbox lane reading its next row", () => {
  it("sends a row whose wake came while the lane's read found nothing", async () => {
    const time = new VirtualScheduler();
    const table: OutboxRow[] = [];
    const head = heldFirstRead(() => table[0]);
    const outbox = {
      head: () => head.read(),
      takeClaimedAtBirth: () => false,
      claim: async () => true,
      markSent: async (_tx: Tx, id: number) => void table.splice(table.findIndex((row) => row.id === id), 1),
      releaseUntakenClaims: async () => 0,
    } as unknown as Outbox;
    const sent: unknown[] = [];
    const worker = new OutboxWorker(outbox, immediateStore, time, {
      deliver: async (_key, payload) => {
        sent.push(payload);
        return { status: "sent" };
      },
    }, silentLogger, {});

    worker.wake("chat");
    await time.settle();
    expect(head.reads).toBe(1);
    // A reply committed after the read began; its commit wakes the lane, which is still running.
    table.push({ id: 1, agentKey: "chat", payload: { text: "reply" }, status: "pending", attempts: 0, nextAttemptAtMs: 0, createdAtMs: 0 });
    worker.wake("chat");
    head.first.resolve(undefined);
    await time.settle();

    expect(sent).toEqual([{ text: "reply" }]);
    expect(worker.activeLanes).toBe(0);
    await worker.stop();
  });
});

describe("the timer wake-up", () => {
  it("follows the latest read of the earliest timer, not an older one that finishes last", async () => {
    const time = new VirtualScheduler();
    const reads: Array<Deferred<number | null>> = [];
    const armed: TimerRow[] = [];
    const timers = {
      // The test settles the first two reads; later ones answer from `armed`.
      earliest: () => {
        if (reads.length >= 2) return Promise.resolve(armed.length === 0 ? null : Math.min(...armed.map((t) => t.fireAtMs)));
        const read = deferred<number | null>();
        reads.push(read);
        return read.promise;
      },
      due: async (now: number) => armed.filter((t) => t.fireAtMs <= now),
      rebaseSteppedBack: async () => 0,
      markFired: async (_tx: Tx, id: string) => void armed.splice(armed.findIndex((t) => t.id === id), 1),
    } as unknown as TimerStore;
    const inbox = { accept: async () => ({ status: "stored", seq: 1, id: "x" }) } as unknown as Inbox;
    const delivered: string[] = [];
    const service = new TimerService(timers, inbox, immediateStore, time, (key) => delivered.push(key), silentLogger);

    // A reschedule reads before a timer is armed; the arming's commit reschedules again.
    service.reschedule();
    const fireAtMs = time.now() + 1000;
    armed.push({ id: "t1", agentKey: "chat", kind: "remind", payloadJson: "null", fireAtMs });
    service.reschedule();
    reads[1]!.resolve(fireAtMs);
    await time.settle();
    reads[0]!.resolve(null);
    await time.settle();
    expect(time.pending()).toBe(1);

    await time.advance(1000);
    expect(delivered).toEqual(["chat"]);
    service.stop();
  });
});

describe("the full runtime's look at the leases", () => {
  it("does not hand an agent back to a console that left, when an older look finishes last", async () => {
    const time = new VirtualScheduler();
    const reads: Array<Deferred<Set<string>>> = [];
    const leases = {
      heldKeys: () => {
        const read = deferred<Set<string>>();
        reads.push(read);
        return read.promise;
      },
    } as unknown as AgentLeases;
    const served = new ServedElsewhere(leases, time);
    const first = served.refresh();
    reads[0]!.resolve(new Set(["console"]));
    await first;
    expect([...served.keys]).toEqual(["console"]);

    // A slow look began while the console still held its lease; a later one, after it quit.
    const slow = served.refresh();
    const later = served.refresh();
    reads[2]!.resolve(new Set());
    expect(await later).toEqual(["console"]);
    reads[1]!.resolve(new Set(["console"]));
    expect(await slow).toEqual([]);

    expect([...served.keys]).toEqual([]);
  });
});

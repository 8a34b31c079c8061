// Routes work to agents by key. Each key has a mailbox: one message at a time, in arrival order.
// The inbox table is the truth; a message just committed by `accept` is also handed to its mailbox
// in memory, so the common case (a new message for an idle agent) needs no read back. Anything else
// (start-up, timers, a retry) marks the mailbox to read the table until it is empty. Different keys
// run concurrently. Idle agents are dropped from memory (least recently used first).
//
// Reading the table is asynchronous: a wake may arrive while a mailbox waits for its read. Such a
// wake is never lost: a read that finds nothing clears `readTable` only if no wake asked for the
// table meanwhile (`tableWakes`), and a drain ends only in the same synchronous turn as a check that
// nothing is waiting.
//
// Replicas (a ChatServing given): a mailbox drains only while this process serves its chat; before
// each message it asks `serve` for the epoch, and when that differs from the one it drained under
// before, whatever it knew of the chat is void (cached state, messages handed over in memory): it
// reads the table. Its units are guarded with that epoch; a LeaseLostError stops the mailbox, uncharged.
import type { ChatGuard, ChatServing } from "./chat-serving.js";
import type { Scheduled, Scheduler } from "./clock.js";
import { LeaseLostError } from "./errors.js";
import type { Inbox, InboxMessage } from "./inbox.js";
import type { CachedState, MessageRunner } from "./message-runner.js";
import type { Logger } from "./observer.js";
import type { WorkGate } from "./work-gate.js";

interface Mailbox {
  running: Promise<void> | undefined;
  cache: { state?: CachedState };
  retryTimer: Scheduled | undefined;
  /** Messages committed by this process's accept, not yet taken, in seq order. */
  fresh: InboxMessage[];
  /** The table may hold pending messages the mailbox has not been handed: read it until empty. */
  readTable: boolean;
  /** Counts the wakes that set `readTable`: one during a read means the read may predate its message. */
  tableWakes: number;
  /** The highest seq taken so far: a message handed over again (read and handed in the same turn) is skipped. */
  lastSeq: number;
  /** Replicas: the epoch of the chat's lease the mailbox last drained under. */
  epoch: number | undefined;
}

/** Beyond this many messages handed over in memory, new ones are read back from the table instead. */
const MAX_FRESH_HELD = 1_000;

export interface RouterOptions {
  /** Agents kept in memory when idle; the least recently used beyond this are dropped. Default 10,000. */
  maxResidentAgents: number;
}

export interface RouterHooks {
  /** Called after a message's commit queued outgoing messages for the agent. */
  sent(agentKey: string): void;
  timersChanged(): void;
}

export class Router {
  private readonly mailboxes = new Map<string, Mailbox>();
  /** Agents whose head message waits for crash isolation: their mailboxes take nothing until released. */
  private readonly held = new Set<string>();
  private readonly releaseTimers = new Set<Scheduled>();
  private stopping = false;
  /** Messages held in mailboxes' `fresh` lists, all agents together. */
  private freshHeld = 0;

  constructor(
    private readonly inbox: Inbox,
    private readonly runner: MessageRunner<unknown>,
    private readonly hooks: RouterHooks,
    private readonly options: RouterOptions,
    private readonly log: Logger,
    private readonly gate: WorkGate,
    /** Retry delays and delayed releases wait on it. */
    private readonly scheduler: Scheduler,
    /** Replicas: which chats this process serves (see the top of this file). */
    private readonly serving?: ChatServing,
  ) {}

  /**
   * Tells the agent at `key` that it may have new messages; starts its mailbox if idle. `committed` is
   * the message when the caller has just stored it: then the table need not be read for it.
   * Replicas: `servedAt` is the epoch this process served the chat at both before and after that
   * commit (so no other process can have run the message); without it the table is read.
   */
  wake(key: string, committed?: InboxMessage, servedAt?: number): void {
    // A held agent's messages wait in the table; `release` wakes it to read them.
    if (this.stopping || this.held.has(key)) return;
    if (committed && this.serving && (servedAt === undefined || servedAt !== this.serving.epochOf(key))) committed = undefined;
    let mailbox = this.mailboxes.get(key);
    if (mailbox) {
      // Re-insert: Map order is our least-recently-used order.
      this.mailboxes.delete(key);
      this.mailboxes.set(key, mailbox);
    } else {
      // A key without a mailbox has no pending message this process does not know of: recovery,
      // timers and retries all wake with `readTable`, and only idle, drained mailboxes are evicted.
      mailbox = {
        running: undefined, cache: {}, retryTimer: undefined, fresh: [], readTable: false, tableWakes: 0, lastSeq: 0, epoch: undefined,
      };
      this.mailboxes.set(key, mailbox);
      this.evictIdle(key);
    }
    if (committed && this.freshHeld < MAX_FRESH_HELD) {
      if (committed.seq > mailbox.lastSeq) {
        mailbox.fresh.push(committed);
        this.freshHeld++;
      }
    } else {
      // Under a burst, the backlog waits in the table, not in memory.
      mailbox.readTable = true;
      mailbox.tableWakes++;
    }
    if (mailbox.running || mailbox.retryTimer) return;
    const box = mailbox;
    box.running = this.drain(key, box).catch((error: unknown) => {
      box.running = undefined;
      box.readTable = true;
      box.tableWakes++;
      this.dropFresh(box);
      if (error instanceof LeaseLostError) {
        // Another process serves the chat now and runs the message (uncharged here): no retry.
        this.serving?.lost(key, error.epoch);
        box.cache = {};
        this.log.info({ agentKey: key }, "another process serves this chat now; its messages are left to it");
        return;
      }
      // Most likely the database refused a write: the message is still pending, so try again soon.
      this.log.error({ err: error, agentKey: key }, "mailbox stopped by an error; retrying in 1 s");
      box.retryTimer = this.scheduler.setTimeout(() => {
        box.retryTimer = undefined;
        this.wake(key);
      }, 1000);
    });
  }

  /** Keeps the agent's mailbox from taking messages (its head is run apart, by crash isolation). */
  hold(key: string): void {
    this.held.add(key);
  }

  /** Hands a held agent back to its mailbox, now or after `delayMs` (a retry's delay). */
  release(key: string, delayMs = 0): void {
    if (delayMs > 0) {
      const timer = this.scheduler.setTimeout(() => {
        this.releaseTimers.delete(timer);
        this.release(key);
      }, delayMs);
      this.releaseTimers.add(timer);
      return;
    }
    this.held.delete(key);
    this.wake(key);
  }

  /** Stops taking new messages and waits for the ones being handled to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.releaseTimers) timer.cancel();
    for (const mailbox of this.mailboxes.values()) mailbox.retryTimer?.cancel();
    await Promise.allSettled([...this.mailboxes.values()].map((m) => m.running));
  }

  /** Agents currently in memory. */
  get residentAgents(): number {
    return this.mailboxes.size;
  }

  /** Agents handling a message right now. */
  get busyAgents(): number {
    let busy = 0;
    for (const m of this.mailboxes.values()) if (m.running) busy++;
    return busy;
  }

  private async drain(key: string, mailbox: Mailbox): Promise<void> {
    // Yield once: the caller (an HTTP handler) finishes answering before the agent starts work.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      let guard: ChatGuard | undefined;
      if (this.serving) {
        const epoch = this.stopping ? undefined : await this.serving.serve(key);
        if (epoch === undefined) {
          // Another live process serves the chat (and was told to look), or the router stops.
          this.dropFresh(mailbox);
          mailbox.running = undefined;
          return;
        }
        if (epoch !== mailbox.epoch) {
          // New to this process, or taken back from another: what the mailbox knew is void.
          mailbox.epoch = epoch;
          mailbox.cache = {};
          this.dropFresh(mailbox);
          mailbox.readTable = true;
          mailbox.tableWakes++;
        }
        guard = this.serving.guard(key, epoch);
      }
      const message = this.stopping ? undefined : await this.take(key, mailbox);
      if (!message) {
        // A wake that came while `take` awaited found this drain running and left its message to it.
        if (!this.stopping && (mailbox.readTable || mailbox.fresh.length > 0)) continue;
        // Cleared in the same synchronous turn as that check, so a later wake starts a new drain.
        mailbox.running = undefined;
        return;
      }
      await this.gate.enter();
      let outcome;
      try {
        outcome = await this.runner.run(message.row, mailbox.cache, message.neverRun, guard);
      } finally {
        this.gate.leave();
      }
      if (outcome.status === "retry") {
        mailbox.running = undefined;
        // The table has its new attempt count.
        mailbox.readTable = true;
        mailbox.tableWakes++;
        this.dropFresh(mailbox);
        mailbox.retryTimer = this.scheduler.setTimeout(() => {
          mailbox.retryTimer = undefined;
          this.wake(key);
        }, outcome.delayMs);
        return;
      }
      if (outcome.status === "parked") {
        this.hooks.sent(key);
        continue;
      }
      if (outcome.sent) this.hooks.sent(key);
      if (outcome.timersChanged) this.hooks.timersChanged();
    }
  }

  /** The mailbox's next message: from the table while it must be read, else the oldest handed-over one. */
  private async take(key: string, mailbox: Mailbox): Promise<{ row: InboxMessage; neverRun: boolean } | undefined> {
    while (mailbox.readTable) {
      const wakes = mailbox.tableWakes;
      const row = await this.inbox.next(key);
      if (row) {
        mailbox.lastSeq = Math.max(mailbox.lastSeq, row.seq);
        return { row, neverRun: false };
      }
      // Empty, unless a wake during the read was for a row committed after the read began: read again.
      if (mailbox.tableWakes === wakes) mailbox.readTable = false;
    }
    for (;;) {
      const row = mailbox.fresh.shift();
      if (!row) return undefined;
      this.freshHeld--;
      if (row.seq <= mailbox.lastSeq) continue; // already read from the table
      mailbox.lastSeq = row.seq;
      return { row, neverRun: true };
    }
  }

  private dropFresh(mailbox: Mailbox): void {
    this.freshHeld -= mailbox.fresh.length;
    mailbox.fresh = [];
  }

  /** Never evicts `keep`: the mailbox being woken is about to start, though it still looks idle. */
  private evictIdle(keep: string): void {
    const excess = this.mailboxes.size - this.options.maxResidentAgents;
    if (excess <= 0) return;
    let evicted = 0;
    for (const [key, mailbox] of this.mailboxes) {
      if (evicted >= excess) break;
      if (key === keep || mailbox.running || mailbox.retryTimer) continue;
      this.mailboxes.delete(key);
      evicted++;
    }
  }
}

// Delivers outbox rows: one lane per agent keeps that agent's order; lanes run concurrently within a
// global rate and concurrency limit. Each send is claimed durably before it starts (at birth, in the
// completion's commit, or by the worker's own claim) and settled after, so a crash in between is
// visible at start (status 'sending') and the row is sent again.
//
// A chat's next send waits for the last one's record to commit (a lane keeps one row in the window
// between Telegram accepting it and the record): a crash re-sends at most that one row, so a
// duplicate always arrives right after its original, never after a later reply (X, Y, X, Y).
// Pipelining the records instead would save little: a dialog step sends one reply.
//
// A lane reads its next row asynchronously: a wake that arrives meanwhile (a reply committed after the
// read began) marks the lane, and a lane ends only when a read found nothing and no wake came during it.
//
// Time: every wait is measured on the monotonic clock (pacing, back-off, the rate window), so a wall
// clock stepped back cannot stall sends. A row's stored next_attempt_at_ms is wall-clock time; see
// `dueAt` for how it becomes a wait.
import type { ChatGuard, ChatServing } from "./chat-serving.js";
import type { Scheduled, Scheduler } from "./clock.js";
import { crashPoint } from "./crash-points.js";
import { LeaseLostError } from "./errors.js";
import type { Logger, RuntimeEvents } from "./observer.js";
import type { Outbox, OutboxRow } from "./outbox.js";
import type { Store, Tx } from "./store.js";
import { WorkGate } from "./work-gate.js";

/** What the application's delivery function says happened to one send. */
export type DeliveryResult =
  | { status: "sent"; result?: unknown }
  /** A transient failure (network, 5xx, 429): try again, not before `retryAfterMs` when given. */
  | { status: "retry"; error: string; retryAfterMs?: number }
  /** The receiver refused it for good (e.g. a 400): record it and move on to the next row. */
  | { status: "failed"; error: string };

export type Deliver = (agentKey: string, payload: unknown) => Promise<DeliveryResult>;

/** Send limits. Leave `pacing` undefined to send as fast as the receiver answers. */
export interface Pacing {
  /** Sends per second across all agents. */
  globalPerSecond: number;
  /** Least time between two sends to one agent. */
  minIntervalMs(agentKey: string): number;
}

export interface OutboxWorkerOptions {
  deliver: Deliver;
  pacing?: Pacing;
  /** Sends in flight at once. Default 64. */
  concurrency?: number;
  /** A row still failing transiently after this long since it was written is given up. Default 24 h. */
  maxAgeMs?: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. Defaults 500 ms and 60 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Replicas: lanes run only for the chats this process serves, and their claims and records are
   * guarded (a lost chat's lane stops; its new holder sends what is left).
   */
  serving?: ChatServing;
  /**
   * Replicas with pacing on: the global limit shared by every process (SharedSendRate), instead of
   * this process's own spacing and window. The per-chat pacing stays here: one process sends a chat's rows.
   */
  sharedRate?: { take(signal?: AbortSignal): Promise<boolean> };
}

/** A row sent (or tried): what to record. `row.attempts` counts the attempts before this one. */
interface Sent {
  row: OutboxRow;
  outcome: DeliveryResult;
  now: number;
}

/** One agent's delivery loop. */
interface Lane {
  done: Promise<void>;
  /** Set by a wake while the lane runs: its next empty read may predate the rows the wake is for. */
  woken: boolean;
}

/** Telegram's per-second limits, measured over a slightly longer window to allow for network jitter. */
const RATE_WINDOW_MS = 1050;

export class OutboxWorker {
  private readonly lanes = new Map<string, Lane>();
  /** Monotonic time of each agent's last send. */
  private readonly lastSentAt = new Map<string, number>();
  /** Rows waiting for a retry: their stored due time and the same moment on the monotonic clock. */
  private readonly retryDue = new Map<number, { wallMs: number; monoMs: number }>();
  private readonly sleepers = new Set<() => void>();
  /** Sends in flight, handed over in arrival order: a lane that just woke never loses its turn to a newcomer. */
  private readonly sendSlots: WorkGate;
  /** Monotonic. */
  private nextGlobalSlotMs = 0;
  /** When pacing is on: the sends dispatched (or about to be) within the last window, at most globalPerSecond (monotonic times). */
  private readonly recentDispatches: Array<{ at: number }> = [];
  private stopping = false;
  /** Cuts a wait for the shared rate short at stop. */
  private readonly stopSignal = new AbortController();

  constructor(
    private readonly outbox: Outbox,
    private readonly store: Store,
    private readonly clock: Scheduler,
    private readonly options: OutboxWorkerOptions,
    private readonly log: Logger,
    private readonly events: RuntimeEvents,
  ) {
    this.sendSlots = new WorkGate(options.concurrency ?? 64);
  }

  /** Makes sure the agent's lane is delivering; call after committing rows for it. */
  wake(agentKey: string): void {
    if (this.stopping) return;
    // Replicas: another process serves the chat, and sends its rows.
    if (this.options.serving && this.options.serving.epochOf(agentKey) === undefined) return;
    const running = this.lanes.get(agentKey);
    if (running) {
      running.woken = true;
      return;
    }
    const lane: Lane = { done: Promise.resolve(), woken: false };
    // The lane starts on the next microtask, so it is registered before it can look for rows.
    lane.done = Promise.resolve()
      .then(() => this.runLane(agentKey, lane))
      .catch((error: unknown) => {
        if (this.lanes.get(agentKey) === lane) this.lanes.delete(agentKey);
        if (error instanceof LeaseLostError) {
          // The chat's new holder sends what is left (a send whose record was refused, again).
          this.options.serving?.lost(agentKey, error.epoch);
          this.log.info({ agentKey }, "another process serves this chat now; its sends are left to it");
          return;
        }
        // Most likely the database refused a write (disk full, locked): try the lane again later.
        this.log.error({ err: error, agentKey }, "outbox lane stopped by an error; retrying in 5 s");
        this.clock.setTimeout(() => this.wake(agentKey), 5000, { unref: true });
      });
    this.lanes.set(agentKey, lane);
  }

  /** Stops taking rows, cuts sleeps short and waits for the sends in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    for (const wakeUp of this.sleepers) wakeUp();
    await Promise.allSettled([...this.lanes.values()].map((lane) => lane.done));
    try {
      await this.releaseUntakenClaims();
    } catch (error) {
      // They stay 'sending': the next start (or the chat's next holder) sends them (counted as interrupted, though never sent).
      this.log.warn({ err: error }, "could not release the replies claimed for sending; the next start sends them");
    }
  }

  /** Rows claimed at birth and never taken go back to 'pending'; with replicas, only for chats still served here. */
  private async releaseUntakenClaims(): Promise<void> {
    const serving = this.options.serving;
    if (!serving) {
      await this.store.submit((tx) => this.outbox.releaseUntakenClaims(tx));
      return;
    }
    const units: Promise<unknown>[] = [];
    for (const key of this.outbox.keysWithUntakenClaims()) {
      const epoch = serving.epochOf(key);
      // A chat lost meanwhile: its new holder set those rows back to 'pending' as it took it.
      if (epoch === undefined) {
        this.outbox.forgetClaimsOf(key);
        continue;
      }
      const guard = serving.guard(key, epoch);
      units.push(this.store.submit(async (tx) => {
        await guard(tx);
        await this.outbox.releaseUntakenClaims(tx, key);
      }));
    }
    // Submitted together: one commit. A refused guard leaves that chat's rows to its new holder.
    const failed = (await Promise.allSettled(units)).find((r) => r.status === "rejected" && !(r.reason instanceof LeaseLostError));
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  get activeLanes(): number {
    return this.lanes.size;
  }

  private async runLane(agentKey: string, lane: Lane): Promise<void> {
    const serving = this.options.serving;
    // Replicas: the lane sends under the epoch the chat was served at as it started.
    const epoch = serving?.epochOf(agentKey);
    const guard = serving && epoch !== undefined ? serving.guard(agentKey, epoch) : undefined;
    while (!this.stopping) {
      if (serving && serving.epochOf(agentKey) !== epoch) {
        // Lost, or taken again at a new epoch: then a lane of that epoch goes on.
        if (this.lanes.get(agentKey) === lane) this.lanes.delete(agentKey);
        if (serving.epochOf(agentKey) !== undefined) this.wake(agentKey);
        return;
      }
      lane.woken = false;
      const row = await this.outbox.head(agentKey);
      if (!row) {
        // Woken during the read: the rows it was woken for may have been committed after the read began.
        if (lane.woken) continue;
        // Leaves the map in the same synchronous turn as that check: a wake after it starts a new lane.
        this.lanes.delete(agentKey);
        return;
      }
      const waitMs = Math.max(this.dueAt(row), this.nextAllowedFor(agentKey)) - this.clock.monotonicNow();
      if (waitMs > 0) {
        await this.sleep(waitMs);
        continue;
      }
      await this.acquireSlot();
      let sent: Sent | "held-elsewhere" | undefined;
      try {
        if (this.stopping) return;
        // The wait for a slot may have outlasted the chat's lease: look again before sending.
        if (serving && serving.epochOf(agentKey) !== epoch) continue;
        sent = await this.deliverRow(row, guard);
      } finally {
        this.releaseSlot();
      }
      if (sent === "held-elsewhere" && guard) {
        // Replicas: this process serves the chat, so no other process sends its rows. A row left
        // 'sending' was claimed by a holder that lost the chat, or by a claim whose commit answer
        // was lost: it goes again (the crash window). A claim refused on a row read as 'pending'
        // means the read was stale: read the head again.
        if (row.status === "sending") await this.store.submit(async (tx) => {
          await guard(tx);
          await this.outbox.requeue(tx, row.id);
        });
        continue;
      }
      if (sent === "held-elsewhere") {
        // Another process on the database is delivering this agent's rows, in order: leave them to it.
        this.log.debug({ agentKey, outboxId: row.id }, "another process is sending this row; leaving the agent's sends to it");
        this.lanes.delete(agentKey);
        return;
      }
      if (!sent) continue;
      // Outside the send slot: other chats' sends go on while this one's record commits.
      await this.record(sent.row, sent.outcome, sent.now, guard);
      crashPoint("outbox.after-record");
    }
  }

  /** Claims (unless it was claimed at birth) and sends one row; undefined when stopped first. */
  private async deliverRow(row: OutboxRow, guard: ChatGuard | undefined): Promise<Sent | "held-elsewhere" | undefined> {
    const dispatch = await this.reserveDispatch();
    if (dispatch === "stopped") return; // still pending (or claimed at birth): the stop or the next start handles it
    if (row.status === "sending") {
      if (!this.outbox.takeClaimedAtBirth(row.id)) {
        if (dispatch) this.recentDispatches.splice(this.recentDispatches.indexOf(dispatch), 1);
        return "held-elsewhere";
      }
      // Its claim counted the attempt already; the back-off counts the attempts before this one.
      row = { ...row, attempts: row.attempts - 1 };
    } else {
      // Pending after all (a crash's or a lease's requeue): whatever this process knew of it is void.
      this.outbox.takeClaimedAtBirth(row.id);
      const claimed = await this.store.submit(async (tx) => {
        await guard?.(tx);
        return this.outbox.claim(tx, row.id);
      });
      if (!claimed) {
        if (dispatch) this.recentDispatches.splice(this.recentDispatches.indexOf(dispatch), 1);
        return "held-elsewhere";
      }
    }
    // The real dispatch time, after the claim's commit, is what the rate window counts.
    if (dispatch) dispatch.at = this.clock.monotonicNow();
    crashPoint("outbox.before-send");
    let outcome: DeliveryResult;
    try {
      outcome = await this.options.deliver(row.agentKey, row.payload);
    } catch (error) {
      outcome = { status: "retry", error: error instanceof Error ? error.message : String(error) };
    }
    crashPoint("outbox.after-send");
    // The window counts the send from its answer, not its start: the request reached Telegram by
    // then, so a send held up on its way out (a stalled event loop) cannot bunch with later ones.
    if (dispatch) dispatch.at = this.clock.monotonicNow();
    this.lastSentAt.set(row.agentKey, this.clock.monotonicNow());
    return { row, outcome, now: this.clock.now() };
  }

  /**
   * Records what the send did, retrying while the database refuses (locked, disk full): giving up
   * would leave the row 'sending', and the lane would send an accepted message a second time.
   */
  private async record(row: OutboxRow, outcome: DeliveryResult, now: number, guard: ChatGuard | undefined): Promise<void> {
    for (;;) {
      try {
        await this.store.submit(async (tx) => {
          await guard?.(tx);
          await this.settle(tx, row, outcome, now);
        });
        return;
      } catch (error) {
        // Replicas: the chat is another process's now, which sends this row again (the crash window).
        if (error instanceof LeaseLostError) throw error;
        // Stopping: the row stays 'sending' and the next start sends it again (the documented crash window).
        if (this.stopping) throw error;
        this.log.error({ err: error, agentKey: row.agentKey, outboxId: row.id }, "could not record a send; retrying in 1 s");
        await this.sleep(1000);
      }
    }
  }

  private async settle(tx: Tx, row: OutboxRow, outcome: DeliveryResult, now: number): Promise<void> {
    this.retryDue.delete(row.id);
    if (outcome.status === "sent") {
      await this.outbox.markSent(tx, row.id, outcome.result, now);
      this.events.sendSucceeded?.();
      return;
    }
    const tooOld = now - row.createdAtMs > (this.options.maxAgeMs ?? 24 * 3600_000);
    if (outcome.status === "failed" || tooOld) {
      await this.outbox.markFailed(tx, row.id, outcome.error);
      this.events.sendFailed?.();
      this.log.warn({ agentKey: row.agentKey, outboxId: row.id, error: outcome.error }, "outgoing message given up");
      return;
    }
    const backoff = Math.min(
      (this.options.initialBackoffMs ?? 500) * 2 ** Math.max(0, row.attempts),
      this.options.maxBackoffMs ?? 60_000,
    );
    const delay = outcome.retryAfterMs ?? backoff * (0.8 + Math.random() * 0.4);
    const wallMs = Math.round(now + delay);
    await this.outbox.markRetry(tx, row.id, wallMs, outcome.error);
    // Should this unit not commit, the row keeps its old due time, which no longer matches this entry.
    this.retryDue.set(row.id, { wallMs, monoMs: this.clock.monotonicNow() + delay });
    this.events.sendRetried?.();
    this.log.info({ agentKey: row.agentKey, outboxId: row.id, error: outcome.error, delayMs: Math.round(delay) }, "send will be retried");
  }

  /**
   * When the row may be tried, on the monotonic clock. A retry this process scheduled keeps the
   * monotonic deadline it was given, so stepping the wall clock back or forward changes nothing. A
   * stored due time it did not schedule (written before a restart) is read against the wall clock,
   * but trusted only up to the longest back-off: a clock stepped back since cannot make it wait
   * longer than that (a 429 answered early just tells us its retry_after again).
   */
  private dueAt(row: OutboxRow): number {
    const known = this.retryDue.get(row.id);
    if (known && known.wallMs === row.nextAttemptAtMs) return known.monoMs;
    const remaining = row.nextAttemptAtMs - this.clock.now();
    if (remaining <= 0) return 0;
    const monoMs = this.clock.monotonicNow() + Math.min(remaining, this.options.maxBackoffMs ?? 60_000);
    this.retryDue.set(row.id, { wallMs: row.nextAttemptAtMs, monoMs });
    return monoMs;
  }

  private nextAllowedFor(agentKey: string): number {
    const pacing = this.options.pacing;
    const last = this.lastSentAt.get(agentKey);
    if (!pacing || last === undefined) return 0;
    return last + pacing.minIntervalMs(agentKey);
  }

  /** Waits for a free send slot and, when pacing is on, for the next global rate slot. */
  private async acquireSlot(): Promise<void> {
    await this.sendSlots.enter();
    const pacing = this.options.pacing;
    if (!pacing) return;
    if (this.options.sharedRate) {
      // False only when stopping cut the wait short: the caller sees `stopping` and sends nothing.
      await this.options.sharedRate.take(this.stopSignal.signal);
      return;
    }
    const now = this.clock.monotonicNow();
    const slot = Math.max(now, this.nextGlobalSlotMs);
    this.nextGlobalSlotMs = slot + 1000 / pacing.globalPerSecond;
    if (slot > now) await this.sleep(slot - now);
  }

  /**
   * The hard limit behind the even spacing of acquireSlot: a late timer or a slow commit can bunch
   * sends up, so no send starts while globalPerSecond others started within the last window. The
   * window is a little over a second, since Telegram sees arrivals, not our clock.
   */
  private async reserveDispatch(): Promise<{ at: number } | "stopped" | undefined> {
    const pacing = this.options.pacing;
    // The shared rate's slots are the limit across processes; a window of this process's own adds nothing.
    if (!pacing || this.options.sharedRate) return undefined;
    for (;;) {
      const now = this.clock.monotonicNow();
      for (let i = this.recentDispatches.length - 1; i >= 0; i--) {
        if (now - this.recentDispatches[i]!.at >= RATE_WINDOW_MS) this.recentDispatches.splice(i, 1);
      }
      if (this.recentDispatches.length < pacing.globalPerSecond) {
        const reserved = { at: now };
        this.recentDispatches.push(reserved);
        return reserved;
      }
      const oldest = Math.min(...this.recentDispatches.map((d) => d.at));
      await this.sleep(Math.max(1, oldest + RATE_WINDOW_MS - now));
      if (this.stopping) return "stopped";
    }
  }

  private releaseSlot(): void {
    this.sendSlots.leave();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        handle.cancel();
        this.sleepers.delete(done);
        resolve();
      };
      const handle: Scheduled = this.clock.setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

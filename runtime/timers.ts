// Fires durable timers: one wake-up for the earliest armed timer; a due timer becomes an inbox
// message "timer:<id>" for its agent, stored once (so a crash while firing cannot fire it twice).
//
// What a durable timer does when the wall clock is stepped: its due time is stored as wall-clock
// time (it must outlive the process, and no monotonic clock does), and the wake-up is a monotonic
// timeout re-checked at least every minute. Stepped forward, timers fire early: the time is taken as
// passed. Stepped back, a timer would wait the step's length on top of its delay (an hour's step, an
// hour without the model's retry or a dialog's time-out); instead, a timer whose arming time is now
// in the future is moved back with the clock (TimerStore.rebaseSteppedBack), so it fires at most its
// own delay after the step is noticed. The step is noticed when the wall clock falls behind the
// monotonic one, and at every start (a restart may follow a step).
//
// Reading the earliest timer is asynchronous: when reschedules overlap (timers armed by two commits
// in a row), only the latest one's read sets the wake-up, since an older read may predate a timer
// armed since.
//
// Replicas (PostgreSQL): every process fires due timers, and each timer fires once: the firing unit
// claims the due rows (claimDueTimers: marked fired in the same statement, rows another process is
// firing skipped), stores their messages, and tells each chat's holder (`notifyHolder`); the chats
// nobody else serves are woken here. Due times are the processes' wall clocks: replicas need NTP.
import type { Scheduled, Scheduler } from "./clock.js";
import { crashPoint } from "./crash-points.js";
import type { Inbox } from "./inbox.js";
import type { TimerMessage } from "./agent.js";
import type { Logger } from "./observer.js";
import { claimDueTimers } from "./replicas/timer-claim.js";
import type { Store, Tx } from "./store.js";
import type { TimerRow, TimerStore } from "./timer-store.js";

/** Timers are re-checked at least this often, so a clock jump or a long sleep cannot strand one. */
const MAX_SLEEP_MS = 60_000;
/** After a failed firing (the database refused the write), wait this long before trying again. */
const RETRY_AFTER_ERROR_MS = 5_000;
/** The wall clock falling this much further behind the monotonic one counts as a step back (drift does not). */
const STEP_TOLERANCE_MS = 1_000;

export class TimerService {
  private handle: Scheduled | undefined;
  private firing: Promise<void> | undefined;
  /** One more firing, queued behind the one under way. */
  private queued: Promise<void> | undefined;
  private stopped = false;
  /** Wall-clock minus monotonic time at the last look: it drops when the wall clock is stepped back. */
  private skewMs: number | undefined;
  /** Armed timers may have to follow a stepped-back clock: true at start, and when a step is noticed. */
  private rebasePending = true;
  /** Counts reschedules: only the latest one's read may set the wake-up. */
  private reschedules = 0;

  constructor(
    private readonly timers: TimerStore,
    private readonly inbox: Inbox,
    private readonly store: Store,
    /** Wall time for due times, and the monotonic clock and the wake-up timeout. */
    private readonly clock: Scheduler,
    private readonly deliver: (agentKey: string) => void,
    private readonly log: Logger,
    /** Fire this agent's timers only (a runtime serving one agent); undefined: every agent's. */
    private readonly onlyAgentKey?: string,
    /**
     * Replicas: in the firing unit, tells the chat's holder; true when another process serves the
     * chat (it reads its table), false when it is to be woken here.
     */
    private readonly notifyHolder?: (tx: Tx, agentKey: string) => Promise<boolean>,
  ) {}

  /** Re-reads the earliest armed timer and sets the one wake-up for it. */
  reschedule(minDelayMs = 0): void {
    if (this.stopped) return;
    const reschedule = ++this.reschedules;
    const latest = () => !this.stopped && reschedule === this.reschedules;
    this.timers.earliest(this.onlyAgentKey).then(
      (earliest) => {
        if (!latest()) return;
        this.handle?.cancel();
        this.handle = undefined;
        if (earliest === null) return;
        this.noticeClockStep();
        // A step back: fire now, which moves the timers back first.
        const untilDue = this.rebasePending ? 0 : earliest - this.clock.now();
        const delay = Math.min(Math.max(minDelayMs, untilDue), MAX_SLEEP_MS);
        this.wakeUpIn(delay, () => this.fireDue().catch(() => undefined));
      },
      (error: unknown) => {
        if (!latest()) return;
        this.log.error({ err: error }, `could not read the armed timers; trying again in ${RETRY_AFTER_ERROR_MS / 1000} s`);
        this.wakeUpIn(RETRY_AFTER_ERROR_MS, () => this.reschedule(minDelayMs));
      },
    );
  }

  /**
   * Turns every due timer into an inbox message. Safe to call at any time (tests move a fake clock).
   * Rejects when the database refused the write; the timers stay armed and are tried again later.
   */
  fireDue(): Promise<void> {
    // A firing already under way read the clock before this call: queue one more after it, so the
    // caller's firing sees the time of the call (a test that moves a fake clock and fires relies on it).
    if (this.firing) {
      this.queued ??= this.firing.catch(() => undefined).then(() => {
        this.queued = undefined;
        return this.stopped ? undefined : this.fireDue();
      });
      return this.queued;
    }
    let failed = false;
    this.firing = this.fire()
      .catch((error: unknown) => {
        failed = true;
        this.log.error({ err: error }, `could not fire due timers; trying again in ${RETRY_AFTER_ERROR_MS / 1000} s`);
        throw error;
      })
      .finally(() => {
        this.firing = undefined;
        this.reschedule(failed ? RETRY_AFTER_ERROR_MS : 0);
      });
    return this.firing;
  }

  stop(): void {
    this.stopped = true;
    this.handle?.cancel();
  }

  /** The one wake-up: replaces the one set before. */
  private wakeUpIn(delayMs: number, fn: () => void): void {
    this.handle?.cancel();
    this.handle = this.clock.setTimeout(fn, delayMs);
  }

  private async fire(): Promise<void> {
    this.noticeClockStep();
    const now = this.clock.now();
    if (this.rebasePending) {
      const moved = await this.store.submit((tx) => this.timers.rebaseSteppedBack(tx, now));
      this.rebasePending = false;
      if (moved > 0) this.log.warn({ timers: moved }, "the clock was set back; moved the armed timers back with it");
    }
    const due = await this.timers.due(now, this.onlyAgentKey);
    if (due.length === 0) return;
    crashPoint("timer.before-fire");
    if (this.notifyHolder) return this.fireClaimed(now, this.notifyHolder);
    await this.store.submit(async (tx) => {
      for (const timer of due) {
        await this.storeMessage(tx, timer, now);
        await this.timers.markFired(tx, timer.id, now);
      }
    });
    for (const key of new Set(due.map((t) => t.agentKey))) this.deliver(key);
  }

  /** Replicas: the due timers this unit claims (none another process fires), their messages, their chats' holders told. */
  private async fireClaimed(now: number, notifyHolder: (tx: Tx, agentKey: string) => Promise<boolean>): Promise<void> {
    const wakeHere = await this.store.submit(async (tx) => {
      const claimed = await claimDueTimers(tx, now, 500, this.onlyAgentKey);
      for (const timer of claimed) await this.storeMessage(tx, timer, now);
      const keys: string[] = [];
      for (const key of new Set(claimed.map((t) => t.agentKey))) if (!(await notifyHolder(tx, key))) keys.push(key);
      return keys;
    });
    for (const key of wakeHere) this.deliver(key);
  }

  /** The timer's inbox message, stored once by its id. */
  private async storeMessage(tx: Tx, timer: TimerRow, now: number): Promise<void> {
    // Payloads are written by JSON.stringify; a row edited by hand into bad JSON fires with null.
    const payload: TimerMessage = { timerId: timer.id, kind: timer.kind, payload: parseOrNull(timer.payloadJson) };
    await this.inbox.accept(tx, { id: `timer:${timer.id}`, agentKey: timer.agentKey, kind: "timer", payload }, now);
  }

  private noticeClockStep(): void {
    const skew = this.clock.now() - this.clock.monotonicNow();
    if (this.skewMs !== undefined && skew < this.skewMs - STEP_TOLERANCE_MS) this.rebasePending = true;
    this.skewMs = skew;
  }
}

function parseOrNull(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

// Virtual time for tests: a Scheduler whose clocks move only when the test says so. Due timeouts fire
// in order (due time, then the order they were set), and between two firings the process is let run
// until it is quiet (group commits, promise chains), as on an infinitely fast machine. It never reads
// the real clock, so nothing in a test waits for real back-offs, retry delays or pacing.
import type { Scheduled, Scheduler } from "./clock.js";

interface Task {
  at: number;
  order: number;
  fn: () => void;
  unref: boolean;
}

export interface VirtualSchedulerOptions {
  /** The wall clock's start. Default 2023-11-14T22:13:20Z (1_700_000_000_000). */
  wallMs?: number;
}

export interface VirtualWaitOptions {
  /** Virtual time the condition may take, timeouts fired on the way. Default 60 s. */
  withinMs?: number;
  /** Real time allowed for work outside the scheduler (a socket, a child process). Default 5 s. */
  realMs?: number;
  what?: string;
}

/**
 * Event-loop turns without a call on the scheduler after which the process counts as quiet. Runtime
 * work reads the clock in nearly every commit (one turn each), so a few turns of silence mean it is
 * done or waiting on something outside (a socket), which `waitFor` polls for in real time.
 */
const QUIET_TURNS = 8;
/** A settle gives up after this many turns: something keeps the loop busy without end. */
const MAX_SETTLE_TURNS = 100_000;

export class VirtualScheduler implements Scheduler {
  private wall: number;
  private mono = 0;
  /** Sorted by (at, order). */
  private tasks: Task[] = [];
  private order = 0;
  /** Counts calls on the scheduler: while it changes, the process is still at work. */
  private activity = 0;
  /** Every sleep asked for, in milliseconds, in order. */
  readonly sleeps: number[] = [];

  constructor(options: VirtualSchedulerOptions = {}) {
    this.wall = options.wallMs ?? 1_700_000_000_000;
  }

  now(): number {
    this.activity++;
    return this.wall;
  }

  monotonicNow(): number {
    this.activity++;
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): Scheduled {
    this.activity++;
    // Whole milliseconds, as real timers keep them: the wall clock stays an integer, as Date.now() is.
    const task: Task = { at: this.mono + Math.max(0, Math.ceil(ms)), order: this.order++, fn, unref: options?.unref ?? false };
    let i = this.tasks.length;
    while (i > 0 && this.tasks[i - 1]!.at > task.at) i--;
    this.tasks.splice(i, 0, task);
    return {
      cancel: () => {
        this.activity++;
        const at = this.tasks.indexOf(task);
        if (at >= 0) this.tasks.splice(at, 1);
      },
    };
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Steps the wall clock alone (an operator or NTP setting it); the monotonic clock does not move. */
  stepWall(deltaMs: number): void {
    this.activity++;
    this.wall += deltaMs;
  }

  /** Timeouts set and not yet fired; `unref` ones count only with `{ all: true }`. */
  pending(options: { all?: boolean } = {}): number {
    return options.all ? this.tasks.length : this.tasks.filter((t) => !t.unref).length;
  }

  /** Lets the process run without moving time, until it makes no call on the scheduler for a few turns. */
  async settle(): Promise<void> {
    let quiet = 0;
    for (let turn = 0; quiet < QUIET_TURNS; turn++) {
      if (turn >= MAX_SETTLE_TURNS) throw new Error(`VirtualScheduler.settle: still busy after ${MAX_SETTLE_TURNS} turns.`);
      const before = this.activity;
      await new Promise<void>((resolve) => setImmediate(resolve));
      quiet = this.activity === before ? quiet + 1 : 0;
    }
  }

  /**
   * Moves both clocks forward by `ms`, firing every timeout due on the way in order and settling
   * after each. A timeout that throws fails the advance (as it would crash a real process).
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isInteger(ms)) throw new Error(`VirtualScheduler.advance: ms must be a whole number, zero or more, got ${ms}.`);
    const target = this.mono + ms;
    await this.settle();
    for (;;) {
      const next = this.tasks[0];
      if (!next || next.at > target) break;
      this.tasks.shift();
      this.moveTo(next.at);
      next.fn();
      await this.settle();
    }
    this.moveTo(target);
    await this.settle();
  }

  /**
   * Fires timeouts until none is left but `unref` ones (those fire on the way when due first).
   * Throws after `maxFirings`: something keeps re-arming itself; use `advance` there.
   */
  async runUntilIdle(options: { maxFirings?: number } = {}): Promise<void> {
    const max = options.maxFirings ?? 10_000;
    for (let fired = 0; ; fired++) {
      await this.settle();
      const next = this.tasks.find((t) => !t.unref);
      if (!next) return;
      if (fired >= max) throw new Error(`VirtualScheduler.runUntilIdle: still busy after ${max} timeouts; something re-arms itself.`);
      await this.advance(next.at - this.mono);
    }
  }

  /**
   * Waits until `predicate` holds: settles, then moves time to the next timeout while the condition
   * is false, up to `withinMs` of virtual time; past that, polls in real time for work outside the
   * scheduler. Throws with `what` when neither brings it about.
   */
  async waitFor(predicate: () => boolean | Promise<boolean>, options: VirtualWaitOptions = {}): Promise<void> {
    const deadline = this.mono + (options.withinMs ?? 60_000);
    const realDeadline = Date.now() + (options.realMs ?? 5_000);
    for (;;) {
      await this.settle();
      if (await predicate()) return;
      const next = this.tasks[0];
      if (next && next.at <= deadline) {
        await this.advance(next.at - this.mono);
        continue;
      }
      if (Date.now() > realDeadline) {
        throw new Error(`VirtualScheduler.waitFor: ${options.what ?? "condition"} not met within ${options.withinMs ?? 60_000} ms of virtual time.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private moveTo(at: number): void {
    if (at <= this.mono) return;
    this.wall += at - this.mono;
    this.mono = at;
  }
}

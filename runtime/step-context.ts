// The AgentContext implementation over a ReplayCursor (positions, replay, misuse checks): buffers
// cheap records (time, ids, sends, timers) until the next commit, so that what is committed is always
// a prefix of what the handler did. It never commits on its own except for run/write.
import { randomUUID } from "node:crypto";
import type { AgentContext, Message, RunOptions } from "./agent.js";
import type { ChatGuard } from "./chat-serving.js";
import type { Scheduler } from "./clock.js";
import { crashPoint } from "./crash-points.js";
import { LeaseLostError, PermanentError, RetryableError, StepMisuseError, StoreUnavailableError, describeError } from "./errors.js";
import type { Journal, JournalEntry } from "./journal.js";
import type { AgentHistory } from "./agent-history.js";
import type { Outbox } from "./outbox.js";
import { ReplayCursor, replayResult } from "./replay-cursor.js";
import type { Store, Tx } from "./store.js";
import type { TimerStore } from "./timer-store.js";

export interface StepContextDeps {
  /** Every write goes through it, as a unit of the next group commit. */
  store: Store;
  journal: Journal;
  outbox: Outbox;
  timers: TimerStore;
  history: AgentHistory;
  /** Wall time for what is recorded; the monotonic clock and sleeps for a run's back-offs. */
  scheduler: Scheduler;
  /**
   * Called when a run/write step committed buffered sends or timer changes before the message's
   * completion: they are durable now and must go out (or be scheduled) even if the handler then
   * fails, since its retry replays them from the journal and queues nothing new.
   */
  sendsCommitted?(agentKey: string): void;
  timersCommitted?(): void;
  /** Runs a wait on the outside world (a `run` step's call, its back-off) without holding a handler's place. */
  outside?<T>(work: () => Promise<T>): Promise<T>;
  /** Replicas: called first in every unit this message commits (see chat-serving.ts). */
  guard?: ChatGuard;
}

/** A buffered write; runs inside the next unit this message commits. */
export type PendingWrite = (tx: Tx) => Promise<void>;

export class StepContext<S> implements AgentContext<S> {
  private readonly cursor: ReplayCursor;
  private pending: PendingWrite[] = [];
  private pendingSends = 0;
  private pendingTimerChanges = 0;
  /** Set when the handler queued sends or changed timers, so the runtime wakes the right workers. */
  sent = false;
  timersChanged = false;

  constructor(
    private readonly deps: StepContextDeps,
    readonly key: string,
    readonly message: Message,
    public state: S,
    readonly stateWasReset: boolean,
    recorded: ReadonlyMap<number, JournalEntry>,
    /** Verification mode: every step must be in the journal; nothing is executed or written. */
    replayOnly = false,
  ) {
    this.cursor = new ReplayCursor(message.id, recorded, replayOnly);
  }

  now(): number {
    return this.cheapStep("now", "ctx.now()", () => this.deps.scheduler.now());
  }

  randomId(): string {
    return this.cheapStep("random-id", "ctx.randomId()", () => randomUUID());
  }

  send(payload: unknown): void {
    const seq = this.cursor.take("send", "ctx.send()");
    if (seq.recorded) return;
    // Checked now, in the handler, so that a payload the outbox cannot store fails this message
    // (counted, then parked) instead of failing its commit on every retry.
    if ((JSON.stringify(payload) as string | undefined) === undefined) {
      throw new TypeError("ctx.send: the payload must be a JSON value (it was undefined or a function).");
    }
    this.sent = true;
    this.pendingSends += 1;
    this.buffer(seq.seq, "send", undefined, async (tx) => {
      await this.deps.outbox.enqueue(tx, this.key, this.message.id, payload, this.deps.scheduler.now());
    });
  }

  setTimer(kind: string, fireAtMs: number, payload: unknown): string {
    const seq = this.cursor.take("set-timer", `ctx.setTimer("${kind}")`);
    const id = `${this.message.id}#${seq.seq}`;
    if (seq.recorded) return id;
    this.timersChanged = true;
    this.pendingTimerChanges += 1;
    const payloadJson = JSON.stringify(payload ?? null);
    this.buffer(seq.seq, "set-timer", id, async (tx) => {
      await this.deps.timers.arm(tx, { id, agentKey: this.key, kind, payloadJson, fireAtMs }, this.deps.scheduler.now());
    });
    return id;
  }

  cancelTimer(timerId: string): void {
    const seq = this.cursor.take("cancel-timer", "ctx.cancelTimer()");
    if (seq.recorded) return;
    this.timersChanged = true;
    this.pendingTimerChanges += 1;
    this.buffer(seq.seq, "cancel-timer", undefined, async (tx) => {
      await this.deps.timers.cancel(tx, timerId, this.key, this.deps.scheduler.now());
    });
  }

  async run<T>(name: string, fn: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const call = `ctx.run("${name}")`;
    const step = this.cursor.begin(`run:${name}`, call);
    try {
      if (step.recorded) return replayResult<T>(step.recorded);
      return await this.runFirst(name, call, step.seq, fn, options);
    } finally {
      step.done();
    }
  }

  private async runFirst<T>(name: string, call: string, seq: number, fn: () => Promise<T>, options: RunOptions): Promise<T> {
    crashPoint("step.before");
    // Outgoing messages queued before a slow call (a "typing…" action) go out before it.
    if (this.pendingSends > 0) await this.commit(async () => undefined);

    const maxAttempts = options.maxAttempts ?? 3;
    let backoffMs = options.initialBackoffMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await this.outside(fn).then((v) => roundTripOrPermanent(name, v));
        this.cursor.checkOpen(call);
        await this.commit((tx) => this.record(tx, seq, `run:${name}`, { v: value }, null));
        crashPoint("step.after-commit");
        return value;
      } catch (error) {
        // The handler returned meanwhile: nothing may be recorded, and trying again changes nothing.
        // Or the chat is another process's now: nothing may be recorded here either.
        if (error instanceof StepMisuseError || error instanceof LeaseLostError) throw error;
        if (error instanceof PermanentError) {
          this.cursor.checkOpen(call);
          await this.commit((tx) => this.record(tx, seq, `run:${name}`, null, describeError(error)));
          throw error;
        }
        if (attempt >= maxAttempts) throw error;
        const wait = error instanceof RetryableError && error.retryAfterMs !== undefined ? error.retryAfterMs : backoffMs;
        await this.outside(() => this.deps.scheduler.sleep(wait));
        backoffMs *= 2;
      }
    }
  }

  async write<T>(name: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const step = this.cursor.begin(`write:${name}`, `ctx.write("${name}")`);
    try {
      if (step.recorded) return replayResult<T>(step.recorded);
      return await this.writeFirst(name, step.seq, fn);
    } finally {
      step.done();
    }
  }

  private async writeFirst<T>(name: string, seq: number, fn: (tx: Tx) => Promise<T>): Promise<T> {
    crashPoint("step.before");
    const outcome = await this.commit(async (tx) => {
      try {
        // Its own savepoint: a throwing write leaves nothing behind but its recorded error.
        const value = await tx.savepoint(async (inner) => roundTrip(await fn(inner)));
        await this.record(tx, seq, `write:${name}`, { v: value }, null);
        return { ok: true as const, value };
      } catch (error) {
        // A failing database is not the write's outcome: fail the unit, record nothing, retry later.
        if (error instanceof StoreUnavailableError) throw error;
        await this.record(tx, seq, `write:${name}`, null, describeError(error));
        return { ok: false as const, error };
      }
    });
    crashPoint("step.after-commit");
    if (!outcome.ok) throw toPermanent(outcome.error);
    return outcome.value;
  }

  eraseHistory(): Promise<number> {
    return this.write("erase-history", (tx) => this.deps.history.erase(tx, this.key, this.message.id));
  }

  /** Hands the buffered writes to the runtime, which commits them with the message's completion. */
  drainPending(): PendingWrite[] {
    const writes = this.pending;
    this.pending = [];
    this.pendingSends = 0;
    this.pendingTimerChanges = 0;
    return writes;
  }

  /** The handler returned: later ctx calls are refused. Throws when one of its steps is still running. */
  close(): void {
    this.cursor.close();
  }

  /** How many steps the handler took; the replay check compares it. */
  get steps(): number {
    return this.cursor.steps;
  }

  // === internals

  private outside<T>(work: () => Promise<T>): Promise<T> {
    return this.deps.outside ? this.deps.outside(work) : work();
  }

  private cheapStep<T>(name: string, call: string, produce: () => T): T {
    const step = this.cursor.take(name, call);
    if (step.recorded) return replayResult<T>(step.recorded);
    const value = produce();
    this.buffer(step.seq, name, value);
    return value;
  }

  private buffer(seq: number, name: string, value: unknown, write?: PendingWrite): void {
    this.pending.push(async (tx) => {
      if (write) await write(tx);
      await this.record(tx, seq, name, { v: value }, null);
    });
  }

  private record(tx: Tx, seq: number, name: string, output: { v: unknown } | null, error: object | null): Promise<void> {
    const entry: JournalEntry = {
      seq,
      stepName: name,
      outputJson: output === null ? null : JSON.stringify(output),
      errorJson: error === null ? null : JSON.stringify(error),
    };
    return this.deps.journal.write(tx, this.message.id, entry, this.deps.scheduler.now());
  }

  /** Commits the buffered writes, then `last`, in one unit of the shared transaction. */
  private async commit<T>(last: (tx: Tx) => Promise<T>): Promise<T> {
    const sends = this.pendingSends > 0;
    const timerChanges = this.pendingTimerChanges > 0;
    const writes = this.drainPending();
    const guard = this.deps.guard;
    const value = await this.deps.store.submit(async (tx) => {
      // Before anything else, outside any savepoint of `last`: a lost lease rejects the whole unit.
      if (guard) await guard(tx);
      for (const write of writes) await write(tx);
      return last(tx);
    });
    if (sends) this.deps.sendsCommitted?.(this.key);
    if (timerChanges) this.deps.timersCommitted?.();
    return value;
  }
}

/** The first run returns what a replay would: the value as the journal's JSON gives it back. */
function roundTrip<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** A result the journal cannot hold is a bug in the step, not a passing fault: never re-run it. */
function roundTripOrPermanent<T>(name: string, value: T): T {
  try {
    return roundTrip(value);
  } catch (error) {
    throw new PermanentError(`The result of step "${name}" cannot be stored as JSON: ${describeError(error).message}`);
  }
}

function toPermanent(error: unknown): PermanentError {
  return error instanceof PermanentError ? error : new PermanentError(describeError(error).message, { cause: error });
}

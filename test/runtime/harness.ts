// Shared pieces for the runtime tests: a per-test fixture that stops runtimes and closes stores
// and runs them on virtual time, a fake clock, deferred promises, a recording deliver function and
// small database readers.
import { randomUUID } from "node:crypto";
import { afterEach } from "vitest";
import {
  type Clock,
  type Deliver,
  type DeliveryResult,
  type Logger,
  type Runtime,
  type RuntimeOptions,
  type RecoveryReport,
  type SqliteStore,
  createRuntime,
} from "../../runtime/index.js";
import { type Database, type OpenedStore, type TempStore, reopenStore, tempStore } from "../support/temp-database.js";
import { VirtualScheduler } from "../support/virtual-time.js";

let keyCounter = 0;
/** A key no other test uses. */
export function freshKey(prefix = "chat"): string {
  keyCounter += 1;
  // Not Math.random: some tests stub it.
  return `${prefix}-${process.pid}-${keyCounter}-${randomUUID().slice(0, 8)}`;
}

export class FakeClock implements Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface DeliveryCall {
  agentKey: string;
  payload: unknown;
  atMs: number;
}

/**
 * A deliver function that records every call and answers with `answer` (default: sent). `atMs` is
 * read from `clock` (give the fixture's scheduler to see virtual times), else from the real clock.
 */
export function recordingDeliver(
  answer: (call: DeliveryCall, index: number) => DeliveryResult | Promise<DeliveryResult> = () => ({ status: "sent" }),
  clock: { now(): number } = { now: () => Date.now() },
): { deliver: Deliver; calls: DeliveryCall[] } {
  const calls: DeliveryCall[] = [];
  const deliver: Deliver = async (agentKey, payload) => {
    const call = { agentKey, payload, atMs: clock.now() };
    calls.push(call);
    return answer(call, calls.length - 1);
  };
  return { deliver, calls };
}

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  obj: Record<string, unknown>;
  msg: string | undefined;
}

export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine["level"]) => (obj: object, msg?: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

export interface InboxRowView {
  id: string;
  agent_key: string;
  kind: string;
  status: "pending" | "done" | "parked";
  attempts: number;
  last_error: string | null;
}

export function inboxRow(db: Database, id: string): InboxRowView | undefined {
  return db.prepare(`SELECT id, agent_key, kind, status, attempts, last_error FROM inbox WHERE id = ?`).get(id) as
    | InboxRowView
    | undefined;
}

export interface OutboxRowView {
  id: number;
  agent_key: string;
  message_id: string;
  payload: unknown;
  status: "pending" | "sending" | "sent" | "failed";
  attempts: number;
  last_error: string | null;
}

export function outboxRows(db: Database, agentKey: string): OutboxRowView[] {
  const rows = db
    .prepare(
      `SELECT id, agent_key, message_id, payload_json, status, attempts, last_error FROM outbox WHERE agent_key = ? ORDER BY id`,
    )
    .all(agentKey) as Array<Omit<OutboxRowView, "payload"> & { payload_json: string }>;
  return rows.map(({ payload_json, ...rest }) => ({ ...rest, payload: JSON.parse(payload_json) as unknown }));
}

export function journalRows(db: Database, messageId: string): Array<{ seq: number; step_name: string; output_json: string | null; error_json: string | null }> {
  return db
    .prepare(`SELECT seq, step_name, output_json, error_json FROM journal WHERE message_id = ? ORDER BY seq`)
    .all(messageId) as Array<{ seq: number; step_name: string; output_json: string | null; error_json: string | null }>;
}

export function inboxStatus(db: Database, id: string): InboxRowView["status"] | undefined {
  return inboxRow(db, id)?.status;
}

/**
 * Temp databases and started runtimes for one test; `cleanup` stops the runtimes, then removes the files.
 * Runtimes run on the fixture's virtual time (`time`) unless given a scheduler or a wall clock of their own:
 * retry delays, back-offs, lease looks and timers pass when the test moves it (`waitFor`, `pass`).
 */
export function createFixture() {
  let runtimes: Runtime[] = [];
  let extraStores: SqliteStore[] = [];
  let temps: TempStore[] = [];
  let time = new VirtualScheduler();

  return {
    /** The virtual time of this test's runtimes. */
    get time(): VirtualScheduler {
      return time;
    },
    /**
     * Waits until `predicate` holds, letting up to `withinMs` of virtual time pass (retry delays and
     * other timeouts fire on the way); for background work, never for timing checks.
     */
    waitFor(predicate: () => boolean | Promise<boolean>, withinMs = 60_000, what = "condition"): Promise<void> {
      return time.waitFor(predicate, { withinMs, what });
    },
    /** Lets `ms` of virtual time pass with the background work it brings (to show that something did NOT happen). */
    pass(ms = 50): Promise<void> {
      return time.advance(ms);
    },
    async temp(): Promise<TempStore> {
      const temp = await tempStore();
      temps.push(temp);
      return temp;
    },
    /** Opens the file again (a restarted process); closed after the test. */
    async reopen(file: string): Promise<OpenedStore> {
      const opened = await reopenStore(file);
      extraStores.push(opened.store);
      return opened;
    },
    /** Creates a runtime, registers it for stopping after the test, and starts it. */
    async start<S>(options: RuntimeOptions<S>): Promise<{ runtime: Runtime; report: RecoveryReport }> {
      const runtime = createRuntime({ ...options, scheduler: options.scheduler ?? (options.clock ? undefined : time) });
      runtimes.push(runtime);
      const report = await runtime.start();
      return { runtime, report };
    },
    async cleanup(): Promise<void> {
      for (const runtime of runtimes) await runtime.stop();
      for (const store of extraStores) await store.close();
      for (const temp of temps) await temp.close();
      runtimes = [];
      extraStores = [];
      temps = [];
      time = new VirtualScheduler();
    },
  };
}

export type Fixture = ReturnType<typeof createFixture>;

/** One per test file of sequential tests: cleans up after each test. */
export function useRuntimeFixture(): Fixture {
  const fixture = createFixture();
  afterEach(() => fixture.cleanup());
  return fixture;
}

/** For concurrent tests: a fixture owned by one test and cleaned up by that test's own onTestFinished. */
export function runtimeFixture(onTestFinished: (fn: () => Promise<void>) => void): Fixture {
  const fixture = createFixture();
  onTestFinished(() => fixture.cleanup());
  return fixture;
}

/** Stops a runtime and closes its store: what a process exit leaves behind is the file. */
export async function shutDown(runtime: Runtime, store: SqliteStore): Promise<void> {
  await runtime.stop();
  await store.close();
}

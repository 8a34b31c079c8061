// Wires the runtime's parts together around one database: accept → inbox → router → agent →
// outbox worker and timers. The application gives it an agent and a delivery function.
import type { AgentDefinition } from "./agent.js";
import { AgentHistory } from "./agent-history.js";
import { AgentStateStore } from "./agent-state.js";
import { type Clock, systemClock } from "./clock.js";
import { crashPoint } from "./crash-points.js";
import type { Database } from "./database.js";
import { GroupCommitter } from "./group-commit.js";
import { type AcceptOutcome, Inbox, type NewMessage } from "./inbox.js";
import { Journal } from "./journal.js";
import { MessageRunner } from "./message-runner.js";
import { type Logger, type RuntimeEvents, silentLogger } from "./observer.js";
import { OperatorActions, OperatorWatch } from "./operator-actions.js";
import { Outbox } from "./outbox.js";
import { type Deliver, OutboxWorker, type Pacing } from "./outbox-worker.js";
import { type RecoveryReport, recover } from "./recovery.js";
import { type PruneReport, Retention } from "./retention.js";
import { CLEAN_STOP, RuntimeMeta } from "./runtime-meta.js";
import { Router } from "./router.js";
import { TimerStore } from "./timer-store.js";
import { TimerService } from "./timers.js";
import { WorkGate } from "./work-gate.js";

export interface RuntimeOptions<S> {
  db: Database;
  agent: AgentDefinition<S>;
  /** Sends one outbox payload to the outside world. */
  deliver: Deliver;
  /** Send limits; undefined sends without pacing. */
  pacing?: Pacing;
  clock?: Clock;
  logger?: Logger;
  events?: RuntimeEvents;
  /** Tries before a failing or crashing message is parked. Default 5. */
  maxAttempts?: number;
  /** Test aid: replay every handled message against its journal and fail on any difference. */
  verifyReplay?: boolean;
  maxResidentAgents?: number;
  /** Messages handled at once across all agents (a model call in `ctx.run` does not count while it waits). Default 64. */
  maxConcurrentMessages?: number;
  /** Sends in flight at once. Default 64. */
  sendConcurrency?: number;
  /** Finished messages, sends and timers older than this are deleted (hourly). Default 30 days. */
  retentionMs?: number;
  /**
   * How often to look for what an operator did from another process (`admin retry`, `resend`), so
   * that it is picked up without a restart. Undefined: never (a process that serves every agent
   * should set it; see operator-actions.ts).
   */
  operatorPollMs?: number;
}

export interface Runtime {
  /**
   * Stores messages durably (deduplicated by id) and hands the new ones to their agents.
   * Resolves after the commit: only then may the sender be told they were received.
   */
  accept(messages: NewMessage[]): Promise<AcceptOutcome[]>;
  /** Recovers unfinished work and starts the workers. Call once, before accepting. */
  start(): Promise<RecoveryReport>;
  /** Stops taking work, lets the messages and sends in progress finish, and commits. */
  stop(): Promise<void>;
  /** Commits queued writes now (for shutdown paths that cannot wait). */
  flush(): void;
  readonly stats: {
    unsentCount(): number;
    pendingCount(): number;
    parkedCount(): number;
    residentAgents(): number;
    commits(): { commits: number; units: number };
  };
  /** Fires due timers now instead of at their wake-up (for tests with a fake clock). */
  fireDueTimers(): Promise<void>;
  /** Deletes finished work older than the retention period now (it also runs hourly). */
  prune(): Promise<PruneReport>;
}

export function createRuntime<S>(options: RuntimeOptions<S>): Runtime {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? silentLogger;
  const events = options.events ?? {};
  const maxAttempts = options.maxAttempts ?? 5;

  const committer = new GroupCommitter(db);
  const inbox = new Inbox(db);
  const journal = new Journal(db);
  const outbox = new Outbox(db);
  const timerStore = new TimerStore(db);
  const states = new AgentStateStore(db);
  const meta = new RuntimeMeta(db);
  const history = new AgentHistory(db);
  const gate = new WorkGate(options.maxConcurrentMessages ?? 64);
  const deps = {
    db, committer, journal, outbox, timers: timerStore, history, clock,
    outside: <T>(work: () => Promise<T>) => gate.outside(work),
    sendsCommitted: (key: string) => worker.wake(key),
    timersCommitted: () => timers.reschedule(),
  };

  const runner = new MessageRunner(
    options.agent as AgentDefinition<unknown>, deps, inbox, states,
    { maxAttempts, verifyReplay: options.verifyReplay ?? false }, log, events,
  );
  const worker = new OutboxWorker(outbox, committer, clock, {
    deliver: options.deliver,
    pacing: options.pacing,
    concurrency: options.sendConcurrency,
  }, log, events);
  let router: Router;
  const timers = new TimerService(timerStore, inbox, committer, clock, (key) => router.wake(key), log);
  router = new Router(
    inbox, runner,
    { sent: (key) => worker.wake(key), timersChanged: () => timers.reschedule() },
    { maxResidentAgents: options.maxResidentAgents ?? 10_000 },
    log,
    gate,
  );

  const operatorWatch = new OperatorWatch(new OperatorActions(db), {
    retried: (key) => router.wake(key),
    resent: (key) => worker.wake(key),
  }, log);

  const retention = new Retention(db, committer, clock);
  const retentionMs = options.retentionMs ?? 30 * 24 * 3600_000;
  const prune = () => {
    retention.prune(retentionMs).then(
      (report) => log.debug({ ...report }, "pruned finished work"),
      (error: unknown) => log.warn({ err: error }, "pruning finished work failed; will try again"),
    );
  };
  let pruneTimer: NodeJS.Timeout | undefined;

  let started = false;
  let stopping: Promise<void> | undefined;
  return {
    async accept(messages) {
      if (!started) throw new Error("The runtime is not started: call start() first.");
      const now = clock.now();
      const outcomes = await committer.submit(() => messages.map((m) => inbox.accept(m, now)));
      crashPoint("inbox.after-commit");
      messages.forEach((m, i) => {
        const outcome = outcomes[i]!;
        events.accepted?.(m.kind, outcome.status);
        if (outcome.status === "stored") {
          router.wake(m.agentKey, {
            seq: outcome.seq, id: m.id, agentKey: m.agentKey, kind: m.kind, payload: m.payload, attempts: 0, receivedAtMs: now,
          });
        }
      });
      return outcomes;
    },

    async start() {
      operatorWatch.mark();
      const report = await recover(meta, inbox, outbox, committer, runner, maxAttempts, log, events);
      started = true;
      for (const key of report.agentsWithSends) worker.wake(key);
      for (const key of report.agentsWithMessages) router.wake(key);
      timers.reschedule();
      pruneTimer = setInterval(prune, 3600_000);
      pruneTimer.unref();
      if (options.operatorPollMs !== undefined) operatorWatch.start(options.operatorPollMs);
      return report;
    },

    stop() {
      stopping ??= (async () => {
        started = false;
        clearInterval(pruneTimer);
        operatorWatch.stop();
        timers.stop();
        await router.stop();
        await worker.stop();
        // Every message in progress finished: the next start need not charge a crash to any of them.
        await committer.submit(() => meta.set(CLEAN_STOP, String(clock.now())));
        committer.close();
      })();
      return stopping;
    },

    flush: () => committer.flush(),

    stats: {
      unsentCount: () => outbox.unsentCount(),
      pendingCount: () => inbox.count("pending"),
      parkedCount: () => inbox.count("parked"),
      residentAgents: () => router.residentAgents,
      commits: () => ({ ...committer.stats }),
    },

    fireDueTimers: () => timers.fireDue(),
    prune: () => retention.prune(retentionMs),
  };
}

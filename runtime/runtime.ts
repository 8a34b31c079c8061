// Wires the runtime's parts together around one store: accept → inbox → router → agent →
// outbox worker and timers. The application gives it an agent and a delivery function.
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { AgentDefinition } from "./agent.js";
import { AgentHistory } from "./agent-history.js";
import { AgentLeases, LEASE_RENEW_MS } from "./agent-lease.js";
import { type AgentScope, inScope } from "./agent-scope.js";
import { AgentStateStore } from "./agent-state.js";
import { type Clock, type Scheduled, type Scheduler, every, realScheduler } from "./clock.js";
import { crashPoint } from "./crash-points.js";
import { AgentBusyError, CommitOutcomeUnknownError } from "./errors.js";
import { type AcceptOutcome, Inbox, type NewMessage, type StoreOutcome } from "./inbox.js";
import { Journal } from "./journal.js";
import { MessageRunner } from "./message-runner.js";
import { type Logger, type RuntimeEvents, silentLogger } from "./observer.js";
import { OperatorActions, OperatorWatch } from "./operator-actions.js";
import { SqliteSql } from "./sqlite/sqlite-sql.js";
import { Outbox } from "./outbox.js";
import { type Deliver, OutboxWorker, type Pacing } from "./outbox-worker.js";
import { type RecoveryReport, isolate, recover } from "./recovery.js";
import { type PruneReport, Retention } from "./retention.js";
import { CLEAN_STOP, RuntimeMeta } from "./runtime-meta.js";
import { newHolderId } from "./replicas/chat-leases.js";
import { ReplicaCoordinator, type ReplicaParts } from "./replicas/replica-coordinator.js";
import { SharedSendRate } from "./replicas/send-rate.js";
import { Router } from "./router.js";
import { ServedElsewhere } from "./served-elsewhere.js";
import type { Store, Tx } from "./store.js";
import { TimerStore } from "./timer-store.js";
import { TimerService } from "./timers.js";
import { WorkGate } from "./work-gate.js";

export interface RuntimeOptions<S> {
  /**
   * Where everything is kept. The runtime commits through it and reads committed data from it; it
   * flushes it on stop but never closes it (the caller opened it, and closes it after stop).
   */
  store: Store;
  agent: AgentDefinition<S>;
  /** Sends one outbox payload to the outside world. */
  deliver: Deliver;
  /** Send limits; undefined sends without pacing. */
  pacing?: Pacing;
  /**
   * Time: wall and monotonic clocks, timeouts, sleeps (retry delays, back-offs, pacing, timers).
   * Default: real time. Tests pass a VirtualScheduler to run on virtual time.
   */
  scheduler?: Scheduler;
  /** Replaces the wall clock only, waits stay real (older form of `scheduler`; ignored when that is given). */
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
   * Serve this one agent only, beside a process that serves the others (the console chat beside the
   * bot): recovery, timers, sends and counts touch no other agent, and a lease on the key makes the
   * other runtime leave this agent alone until this one stops. start() rejects with AgentBusyError
   * while another live process serves the agent this way.
   */
  onlyAgentKey?: string;
  /**
   * How often to look for what an operator did from another process (`admin retry`, `resend`), so
   * that it is picked up without a restart. Undefined: never (a process that serves every agent
   * should set it; see operator-actions.ts).
   */
  operatorPollMs?: number;
  /**
   * PostgreSQL only, where any number of processes may share the database (replicas): each chat is
   * served by the holder of its lease (runtime/replicas/). This tunes it; SQLite ignores it.
   */
  replicas?: {
    /** This process instance's id in the leases. Default: host, pid and a random part. */
    holder?: string;
    /** Heartbeat and orphan scan period. Default 2 s. */
    heartbeatMs?: number;
    /** A lease not renewed for this long is free to take. Default 6 s. */
    ttlMs?: number;
  };
}

/** A message stored by `Inbox.accept` on some connection, and what that did. */
export interface CommittedMessage {
  message: Pick<NewMessage, "agentKey" | "kind" | "payload">;
  outcome: StoreOutcome;
  receivedAtMs: number;
  /**
   * Replicas: the storing unit told the chat's holder, another process (notifyHolder in
   * runtime/replicas/wake-ups.ts, with this runtime's `replicaHolder`): it is not woken here.
   */
  holderNotified?: boolean;
}

export interface Runtime {
  /**
   * Stores messages durably (deduplicated by id and fingerprint, see inbox.ts) and hands the new ones to their agents.
   * Resolves after the commit: only then may the sender be told they were received.
   */
  accept(messages: NewMessage[]): Promise<AcceptOutcome[]>;
  /**
   * Hands over messages that another connection of this process (the ingest thread) has already
   * stored and committed with `Inbox.accept`: counts them and wakes their agents, as `accept` does
   * after its commit. Ignored before start and after stop: the rows wait in the table for recovery.
   */
  committedElsewhere(stored: CommittedMessage[]): void;
  /**
   * Recovers unfinished work and starts the workers. Call once, before accepting. Resolves quickly:
   * repeat crash suspects are then run one at a time in the background.
   */
  start(): Promise<RecoveryReport>;
  /** Stops taking work, lets the messages and sends in progress finish, and commits. */
  stop(): Promise<void>;
  /** Commits queued writes now (for shutdown paths that cannot wait for the work in progress). */
  flush(): Promise<void>;
  /** Counts for the agents this runtime serves (all of them, or its one agent); the first three read committed rows. */
  readonly stats: {
    unsentCount(): Promise<number>;
    pendingCount(): Promise<number>;
    parkedCount(): Promise<number>;
    residentAgents(): number;
    commits(): { commits: number; units: number };
  };
  /** Fires due timers now instead of at their wake-up (for tests with a fake clock). */
  fireDueTimers(): Promise<void>;
  /** Deletes finished work older than the retention period now (it also runs hourly). */
  prune(): Promise<PruneReport>;
  /**
   * PostgreSQL: this process's id in the chat leases, for a unit that stores messages on another
   * connection (the ingest thread) to call notifyHolder with. Undefined on SQLite.
   */
  readonly replicaHolder: string | undefined;
}

export function createRuntime<S>(options: RuntimeOptions<S>): Runtime {
  const { store } = options;
  const clock = options.scheduler ?? realScheduler(options.clock);
  const log = options.logger ?? silentLogger;
  const events = options.events ?? {};
  const maxAttempts = options.maxAttempts ?? 5;
  const only = options.onlyAgentKey;
  const leases = new AgentLeases(store.read);
  // The agents served here: the one given, or all but those other processes serve alone (their
  // leases are re-read every few seconds).
  const servedElsewhere = new ServedElsewhere(leases, clock);
  const scope: AgentScope = only !== undefined ? { only } : { except: servedElsewhere.keys };
  const holder = randomUUID();
  // Replicas: on PostgreSQL any number of processes may serve the database, each chat by one of them.
  const replicated = store.dialect === "postgres";

  const inbox = new Inbox(store.read);
  const journal = new Journal(store.read);
  const outbox = new Outbox(store.read);
  const timerStore = new TimerStore(store.read);
  const states = new AgentStateStore(store.read);
  const meta = new RuntimeMeta(store.read);
  const history = new AgentHistory(store.read);
  const gate = new WorkGate(options.maxConcurrentMessages ?? 64);
  const deps = {
    store, journal, outbox, timers: timerStore, history, scheduler: clock,
    outside: <T>(work: () => Promise<T>) => gate.outside(work),
    sendsCommitted: (key: string) => worker.wake(key),
    timersCommitted: () => timers.reschedule(),
  };

  const runner = new MessageRunner(
    options.agent as AgentDefinition<unknown>, deps, inbox, states, meta,
    { maxAttempts, verifyReplay: options.verifyReplay ?? false }, log, events,
  );
  let router: Router;
  let timers: TimerService;
  const coordinator: ReplicaCoordinator | undefined = replicated
    ? new ReplicaCoordinator(
      { store: store as ReplicaParts["store"], inbox, outbox, meta, runner },
      {
        holder: options.replicas?.holder ?? newHolderId(os.hostname(), process.pid),
        maxAttempts,
        ...(only !== undefined ? { onlyAgentKey: only } : {}),
        ...(options.replicas?.heartbeatMs !== undefined ? { heartbeatMs: options.replicas.heartbeatMs } : {}),
        ...(options.replicas?.ttlMs !== undefined ? { ttlMs: options.replicas.ttlMs } : {}),
      },
      {
        wakeMessages: (key) => router.wake(key),
        wakeSends: (key) => worker.wake(key),
        timersMayBeDue: () => void timers.fireDue().catch(() => undefined),
        busy: (key): boolean => router.isBusy(key) || worker.isDelivering(key),
      },
      log,
      events,
    )
    : undefined;
  const worker: OutboxWorker = new OutboxWorker(outbox, store, clock, {
    deliver: options.deliver,
    pacing: options.pacing,
    concurrency: options.sendConcurrency,
    ...(coordinator ? { serving: coordinator } : {}),
    // Telegram's global limit is the bot's, whichever process sends: shared through the database.
    // A slot's send leaves after its process's own wait; three processes sharing two busy cores were
    // measured up to ~150 ms late (4-9 windows over the limit with the 50 ms default), so the slots
    // are spaced for that: 40 ms apart, 26 a second at most across all processes.
    ...(coordinator && options.pacing
      ? { sharedRate: new SharedSendRate((store as ReplicaParts["store"]).coordination, { perWindow: options.pacing.globalPerSecond, latenessMarginMs: 150 }) }
      : {}),
  }, log, events);
  timers = new TimerService(timerStore, inbox, store, clock, (key) => {
    if (inScope(scope, key)) router.wake(key);
  }, log, only, coordinator ? (tx, key) => coordinator.notifyHolder(tx, key) : undefined);
  router = new Router(
    inbox, runner,
    { sent: (key) => worker.wake(key), timersChanged: () => timers.reschedule() },
    { maxResidentAgents: options.maxResidentAgents ?? 10_000 },
    log,
    gate,
    clock,
    coordinator,
  );

  // Only the process that serves every agent picks up what an operator did (admin retry, resend).
  const operatorWatch = only === undefined && options.operatorPollMs !== undefined
    ? new OperatorWatch(new OperatorActions(store.read), {
      retried: (key) => { if (inScope(scope, key)) router.wake(key); },
      resent: (key) => { if (inScope(scope, key)) worker.wake(key); },
    }, log)
    : undefined;

  const retention = new Retention(store, clock);
  const retentionMs = options.retentionMs ?? 30 * 24 * 3600_000;
  const prune = () => {
    retention.prune(retentionMs).then(
      (report) => log.debug({ ...report }, "pruned finished work"),
      (error: unknown) => log.warn({ err: error }, "pruning finished work failed; will try again"),
    );
  };
  let pruneTimer: Scheduled | undefined;

  /** The one-agent runtime's lease, taken in recovery's first unit: whether its last holder stopped cleanly. */
  const takeLease = async (tx: Tx, agentKey: string): Promise<boolean> => {
    const outcome = await leases.take(tx, agentKey, holder, clock.now());
    if (outcome.status === "held") throw new AgentBusyError(agentKey, outcome.pid);
    return !outcome.crashed;
  };
  const renewLease = (agentKey: string) => {
    store.submit((tx) => leases.renew(tx, agentKey, holder, clock.now())).then(
      (kept) => {
        if (!kept) log.error({ agentKey }, "another process took over this agent; stop this one");
        // Messages stored for the agent by another process (its timers, say) are handled here.
        router.wake(agentKey);
      },
      (error: unknown) => log.warn({ err: error, agentKey }, "could not renew the agent's lease; will try again"),
    );
  };
  /**
   * The full runtime: agents whose lease ended are served here again, from what the table holds. A
   * send its holder left 'sending' (it died during the send) goes out again, as after a crash here.
   */
  const refreshLeases = async () => {
    const returned = await servedElsewhere.refresh();
    // Before start, recovery finds their work in the tables.
    if (!started) return;
    for (const key of returned) {
      router.wake(key);
      store.submit((tx) => outbox.requeueInterrupted(tx, { only: key })).then(
        () => worker.wake(key),
        (error: unknown) => log.warn({ err: error, agentKey: key }, "could not take back an agent's sends; the next start will"),
      );
    }
  };
  const refreshLeasesLater = () => {
    refreshLeases().catch((error: unknown) => log.warn({ err: error }, "could not read the agents' leases; will try again"));
  };
  let leaseTimer: Scheduled | undefined;
  let isolation: Promise<void> | undefined;
  let isolationStopping = false;

  /**
   * Counts and wakes for messages whose inbox rows are committed. Replicas: `servedBefore` holds the
   * epoch each chat was served at here before the commit; the same epoch after it means no other
   * process can have taken the message, so it is handed over in memory (else the table is read).
   */
  const handOver = (stored: CommittedMessage[], servedBefore?: ReadonlyMap<string, number | undefined>): AcceptOutcome[] =>
    stored.map(({ message: m, outcome, receivedAtMs, holderNotified }): AcceptOutcome => {
      events.accepted?.(m.kind, outcome.status);
      if (outcome.status === "duplicate") return outcome;
      // An agent served by another process finds the message in the table (replicas: its holder was
      // told in the storing unit). The stored id differs from m.id when m reused the id of another message.
      if (inScope(scope, m.agentKey) && !holderNotified) {
        router.wake(m.agentKey, {
          seq: outcome.seq, id: outcome.id, agentKey: m.agentKey, kind: m.kind, payload: m.payload, attempts: 0, receivedAtMs,
        }, servedBefore?.get(m.agentKey));
      }
      return { status: "stored", seq: outcome.seq };
    });

  let started = false;
  let recovered = false;
  let stopping: Promise<void> | undefined;
  return {
    async accept(messages) {
      if (!started) throw new Error("The runtime is not started: call start() first.");
      const now = clock.now();
      const servedBefore = coordinator ? new Map(messages.map((m) => [m.agentKey, coordinator.epochOf(m.agentKey)])) : undefined;
      let outcomes: Array<{ outcome: StoreOutcome; holderNotified: boolean }>;
      try {
        outcomes = await store.submit(async (tx) => {
          const stored: Array<{ outcome: StoreOutcome; holderNotified: boolean }> = [];
          const told = new Map<string, boolean>();
          for (const m of messages) {
            const outcome = await inbox.accept(tx, m, now);
            let holderNotified = false;
            if (coordinator && outcome.status === "stored") {
              if (!told.has(m.agentKey)) told.set(m.agentKey, await coordinator.notifyHolder(tx, m.agentKey));
              holderNotified = told.get(m.agentKey)!;
            }
            stored.push({ outcome, holderNotified });
          }
          return stored;
        });
      } catch (error) {
        // The commit may have landed all the same (PostgreSQL's lost COMMIT answer): a redelivery
        // is then a duplicate that wakes nobody, so the chats look at their tables now.
        if (error instanceof CommitOutcomeUnknownError) for (const key of new Set(messages.map((m) => m.agentKey))) if (inScope(scope, key)) router.wake(key);
        throw error;
      }
      crashPoint("inbox.after-commit");
      return handOver(messages.map((message, i) => ({ message, receivedAtMs: now, ...outcomes[i]! })), servedBefore);
    },

    committedElsewhere(stored) {
      // Before start, recovery reads these from the table; after stop, the next start does.
      if (started) handOver(stored);
    },

    async start() {
      await operatorWatch?.mark();
      if (coordinator) return startReplica(coordinator);
      // Before recovery: it must leave alone the agents other processes serve.
      if (only === undefined) await refreshLeases();
      const { report, suspects } = await recover(
        { meta, inbox, outbox, store, runner },
        scope,
        {
          maxAttempts,
          // The full runtime's clean stop is a fact in the table; a one-agent runtime's is a released lease.
          lastStopWasClean: only === undefined
            ? async (tx) => (await meta.take(tx, CLEAN_STOP)) !== undefined
            : (tx) => takeLease(tx, only),
        },
        log,
        events,
      );
      started = true;
      recovered = true;
      for (const suspect of suspects) router.hold(suspect.agentKey);
      for (const key of report.agentsWithSends) worker.wake(key);
      for (const key of report.agentsWithMessages) router.wake(key);
      timers.reschedule();
      isolation = isolate(suspects, runner, gate, {
        stopping: () => isolationStopping,
        // As the router does after a message: deliver what it queued, then give the agent its mailbox back.
        done(key, outcome) {
          if (outcome?.status === "parked" || (outcome?.status === "done" && outcome.sent)) worker.wake(key);
          if (outcome?.status === "done" && outcome.timersChanged) timers.reschedule();
          const retryInMs = outcome === undefined ? 1000 : outcome.status === "retry" ? outcome.delayMs : 0;
          router.release(key, retryInMs);
        },
      }, log);
      if (only === undefined) {
        pruneTimer = every(clock, 3600_000, prune, { unref: true });
      }
      leaseTimer = every(clock, LEASE_RENEW_MS, only === undefined ? refreshLeasesLater : () => renewLease(only), { unref: true });
      if (operatorWatch && options.operatorPollMs !== undefined) operatorWatch.start(options.operatorPollMs, clock);
      return report;
    },

    stop() {
      stopping ??= (async () => {
        started = false;
        pruneTimer?.cancel();
        leaseTimer?.cancel();
        operatorWatch?.stop();
        timers.stop();
        isolationStopping = true;
        await isolation;
        await router.stop();
        await worker.stop();
        // Replicas: nothing of this process writes any more; its chats go to the others at once.
        // (No clean-stop fact: on PostgreSQL a released lease says it, see replica-coordinator.ts.)
        if (coordinator) {
          await coordinator.stop();
        } else if (recovered) {
          // Every message in progress finished: the next start need not charge a crash to any of them.
          // A runtime that never recovered says nothing: the last crash is still to be charged.
          await store.submit(async (tx) => {
            if (only === undefined) await meta.set(tx, CLEAN_STOP, String(clock.now()));
            else await leases.release(tx, only, holder);
          });
        }
        await store.flush();
      })();
      return stopping;
    },

    flush: () => store.flush(),

    stats: {
      unsentCount: () => outbox.unsentCount(only),
      pendingCount: () => inbox.count("pending", only),
      parkedCount: () => inbox.count("parked", only),
      residentAgents: () => router.residentAgents,
      commits: () => ({ ...store.stats }),
    },

    fireDueTimers: () => timers.fireDue(),
    prune: () => retention.prune(retentionMs),
    replicaHolder: coordinator?.holder,
  };

  /**
   * Replicas: no recovery of every chat at start, since other live processes serve theirs. The
   * chats without a live lease are taken (the orphan scan), each treated as after a crash as it is
   * taken; the rest come as their work does (see replica-coordinator.ts).
   */
  async function startReplica(coordinator: ReplicaCoordinator): Promise<RecoveryReport> {
    const taken = await coordinator.start();
    // A one-agent runtime (the console) serves its chat alone, or does not start.
    if (only !== undefined) {
      await coordinator.claimAlone(only);
      router.wake(only);
      worker.wake(only);
    }
    started = true;
    recovered = true;
    timers.reschedule();
    if (only === undefined) pruneTimer = every(clock, 3600_000, prune, { unref: true });
    if (operatorWatch && options.operatorPollMs !== undefined) operatorWatch.start(options.operatorPollMs, clock);
    return {
      agentsWithMessages: taken.map((t) => t.agentKey),
      agentsWithSends: [],
      interruptedSends: taken.reduce((n, t) => n + t.report.requeued, 0),
      parked: taken.reduce((n, t) => n + t.report.parked, 0),
      isolated: 0,
    };
  }
}

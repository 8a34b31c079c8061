// The runtime's side of replicas on PostgreSQL: which chats this process serves (ChatServing, for the
// router, the runner and the outbox worker), the heartbeat and the orphan scan, the wake-ups other
// processes send, and the takeover of a chat. The leases themselves are chat-leases.ts; its notes
// say what each guarantee means with N processes.
//
// Taking a chat: a chat is served here from the moment its lease is acquired (on a wake: a message
// accepted here, a timer fired here, an operator's retry) or found orphaned by the scan, and once its
// takeover unit has committed. That unit (guarded with the new epoch) is what a start after a crash
// does on one process, for this chat only: its 'sending' outbox rows go back to 'pending' (they may
// have been cut off mid-send; they go again, the crash window), and, when the chat was taken from a
// holder that had not released it (it died or stalled), the messages that may have been running
// there are charged one attempt: those it had marked running, and the head when never tried. A
// message charged maxAttempts times is parked, so that a message that kills every process it runs
// on cannot go round the replicas for ever. A chat taken after a release is charged nothing.
//
// Nothing of this runs at start for chats other processes hold: a starting process charges no crash
// and requeues no send except for the chats it takes. There is no per-process "clean stop" fact on
// PostgreSQL: a clean stop releases its leases (releaseAll), a crash leaves them to expire, and
// that is what `takenFrom` tells the next holder.
//
// Letting go: a chat idle here for IDLE_RELEASE_MS is released, so that a process holds only the
// chats it is serving (the heartbeat renews them all) and the next update of an idle chat goes to
// whichever process receives it. A console (`npm run chat`, one chat alone: `onlyAgentKey`) asks
// the chat's holder to let go of it at once (a YIELD_CHANNEL notice): the holder releases it as soon
// as it is idle, and the console takes it; the processes serving everyone else then leave it to the
// console until it stops, as they would any chat another live process holds.
import type { ChatGuard, ChatServing } from "../chat-serving.js";
import { LeaseLostError } from "../errors.js";
import type { Inbox } from "../inbox.js";
import type { MessageRunner } from "../message-runner.js";
import type { Logger, RuntimeEvents } from "../observer.js";
import type { Outbox } from "../outbox.js";
import type { RuntimeMeta } from "../runtime-meta.js";
import type { Store, Tx } from "../store.js";
import { ChatLeases, LEASE_HEARTBEAT_MS, type Lease } from "./chat-leases.js";
import { listenForWakeUps, notifyHolder, notifyWake } from "./wake-ups.js";
import type { PostgresStore } from "../postgres/postgres-store.js";
import { AgentBusyError } from "../errors.js";

const CRASH_REASON = "the process serving this chat stopped before this message was finished";
/** Chats taken per orphan scan: the rest follow at the next scans (or as their next update arrives). */
const ORPHANS_PER_SCAN = 200;
/** A chat with nothing to do here for this long is released (see the top of this file). */
export const IDLE_RELEASE_MS = 60_000;
/** A console asks the chat's holder, on this channel, to let go of the chat (payload: the agent key). */
export const YIELD_CHANNEL = "mt_yield";
/** How long a console waits for the chat's holder to let go before it gives up. */
const CLAIM_ALONE_MS = 10_000;

export interface ReplicaParts {
  store: Store & Pick<PostgresStore, "listen" | "coordination">;
  inbox: Inbox;
  outbox: Outbox;
  meta: RuntimeMeta;
  runner: MessageRunner<unknown>;
}

export interface ReplicaHooks {
  /** Look at the chat's inbox (a wake-up from another process, or a chat just taken). */
  wakeMessages(agentKey: string): void;
  /** Deliver the chat's outbox rows (a chat just taken). */
  wakeSends(agentKey: string): void;
  /** Chats with due timers may have been taken: fire the due timers now. */
  timersMayBeDue(): void;
  /** Whether the chat has work in progress here (a message, a retry, a send): then it is not let go. */
  busy(agentKey: string): boolean;
  /** Messages charged or parked by a takeover, and sends set to go again. */
  takenOver?(agentKey: string, report: TakeoverReport): void;
}

export interface ReplicaOptions {
  /** This process instance (newHolderId). */
  holder: string;
  maxAttempts: number;
  /** Serve this chat only (the console chat): the scan takes no other chat. */
  onlyAgentKey?: string;
  /** Heartbeat and orphan scan period. Default LEASE_HEARTBEAT_MS. */
  heartbeatMs?: number;
  /** Lease lifetime without a heartbeat. Default LEASE_TTL_MS. */
  ttlMs?: number;
  /** A chat idle this long is released. Default IDLE_RELEASE_MS. */
  idleReleaseMs?: number;
}

export interface TakeoverReport {
  /** Sends cut off at the previous holder, to go again (they may arrive twice). */
  requeued: number;
  charged: number;
  parked: number;
}

export class ReplicaCoordinator implements ChatServing {
  readonly leases: ChatLeases;
  /** The chats whose takeover committed, at the epoch it ran for: those this process serves. */
  private readonly served = new Map<string, number>();
  /** Chats being acquired or taken over: one at a time per chat. */
  private readonly entering = new Map<string, Promise<number | undefined>>();
  /** What each takeover did, until the scan that caused it reads it. */
  private readonly takeovers = new Map<string, TakeoverReport>();
  /** When each chat served here last had work (monotonic ms). */
  private readonly lastActive = new Map<string, number>();
  /** Chats a console asked for: let go of as soon as they are idle. */
  private readonly yieldAsked = new Set<string>();
  /** Releases under way: taking the chat again waits for them. */
  private readonly releasing = new Map<string, Promise<void>>();
  private unlistenYield: (() => Promise<void>) | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private stopped = false;

  constructor(
    private readonly parts: ReplicaParts,
    private readonly options: ReplicaOptions,
    private readonly hooks: ReplicaHooks,
    private readonly log: Logger,
    private readonly events: RuntimeEvents,
  ) {
    this.leases = new ChatLeases(parts.store.coordination, options.holder, options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {});
  }

  get holder(): string {
    return this.options.holder;
  }

  epochOf(agentKey: string): number | undefined {
    const epoch = this.leases.epochOf(agentKey);
    return epoch !== undefined && this.served.get(agentKey) === epoch ? epoch : undefined;
  }

  serve(agentKey: string): Promise<number | undefined> {
    this.lastActive.set(agentKey, performance.now());
    const epoch = this.epochOf(agentKey);
    if (epoch !== undefined) return Promise.resolve(epoch);
    return this.enter(agentKey);
  }

  guard(agentKey: string, epoch: number): ChatGuard {
    return (tx) => this.leases.guard(tx, agentKey, epoch);
  }

  lost(agentKey: string, epoch: number): void {
    this.leases.markLost(agentKey, epoch);
    if (this.served.get(agentKey) === epoch) this.served.delete(agentKey);
  }

  /**
   * In a unit that stored work for the chat (an accepted message): tells the chat's holder when that
   * is another live process (true); false means wake it here once the unit has committed.
   */
  notifyHolder(tx: Tx, agentKey: string): Promise<boolean> {
    return notifyHolder(tx, agentKey, this.options.holder);
  }

  /**
   * Listens for wake-ups, takes the orphaned chats once (returned, so that the start can report
   * them), then renews and scans every heartbeat. Rejects when the database cannot be reached.
   */
  async start(): Promise<Array<{ agentKey: string; report: TakeoverReport }>> {
    this.unlisten = await listenForWakeUps(this.parts.store, {
      onWake: (agentKey) => {
        // Every process hears every wake-up: only the chat's holder (or one taking it) acts on it.
        if (this.epochOf(agentKey) !== undefined || this.entering.has(agentKey)) this.hooks.wakeMessages(agentKey);
      },
      onMissedWakeUps: () => {
        this.log.warn({}, "the wake-up connection was down; looking at every chat held here");
        for (const key of this.served.keys()) this.hooks.wakeMessages(key);
        this.tickSoon();
      },
    });
    // A console, which holds its one chat as long as it runs, asks no one else to let go.
    if (this.options.onlyAgentKey === undefined) {
      this.unlistenYield = await this.parts.store.listen(YIELD_CHANNEL, (agentKey) => {
        if (this.epochOf(agentKey) === undefined) return;
        this.yieldAsked.add(agentKey);
        this.letGoIfIdle(agentKey, "a console asked for it");
      });
    }
    const taken = await this.scan();
    this.scheduleTick();
    return taken;
  }

  /**
   * A console's start: takes its one chat, asking the process that holds it to let go, and waiting
   * a little for that. Throws AgentBusyError when another process keeps it (it is busy with the
   * chat, or another console has it open).
   */
  async claimAlone(agentKey: string): Promise<void> {
    const deadline = performance.now() + CLAIM_ALONE_MS;
    for (;;) {
      if ((await this.enter(agentKey)) !== undefined) return;
      if (performance.now() > deadline) {
        const row = await this.parts.store.read.get<{ holder: string }>(`SELECT holder FROM chat_leases WHERE agent_key = ?`, [agentKey]);
        throw new AgentBusyError(agentKey, 0, row?.holder ?? "another process");
      }
      await this.parts.store.read.run(`SELECT pg_notify('${YIELD_CHANNEL}', ?)`, [agentKey]);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * Once the router and the outbox worker have stopped: stops the heartbeat and gives every chat up,
   * so that other processes take them at their next scan instead of after the TTL.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.tickTimer);
    await this.ticking;
    await Promise.allSettled(this.entering.values());
    await Promise.allSettled(this.releasing.values());
    await this.unlisten?.().catch(() => undefined);
    await this.unlistenYield?.().catch(() => undefined);
    this.served.clear();
    await this.leases.releaseAll().catch((error: unknown) => {
      this.log.warn({ err: error }, "could not release this process's chats; other processes take them once their leases expire");
    });
  }

  private enter(agentKey: string, known?: Lease): Promise<number | undefined> {
    const entering = this.entering.get(agentKey);
    if (entering) return entering;
    const entry = this.take(agentKey, known).finally(() => this.entering.delete(agentKey));
    this.entering.set(agentKey, entry);
    return entry;
  }

  /** `known`: a lease the scan took (its report is kept for the scan). */
  private async take(agentKey: string, known: Lease | undefined): Promise<number | undefined> {
    if (this.stopped) return undefined;
    // Let go of a moment ago: taken again at a new epoch once that release has landed.
    await this.releasing.get(agentKey);
    const lease = known ?? (await this.leases.acquire(agentKey));
    if (!lease) {
      // Another live process holds it: it may not know of the work that woke this process.
      await notifyWake(this.parts.store.read, agentKey);
      return undefined;
    }
    if (this.served.get(agentKey) === lease.epoch) return lease.epoch;
    try {
      const report = await this.takeOver(lease);
      if (known) this.takeovers.set(agentKey, report);
      if (report.requeued > 0 || report.charged > 0 || report.parked > 0) {
        if (report.requeued > 0) this.events.sendsResentAfterCrash?.(report.requeued);
        this.log.warn({ agentKey, takenFrom: lease.takenFrom, ...report }, "took over a chat another process left unfinished");
        this.hooks.takenOver?.(agentKey, report);
      }
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.lost(agentKey, lease.epoch);
        return undefined;
      }
      throw error;
    }
    this.served.set(agentKey, lease.epoch);
    return lease.epoch;
  }

  /** What a start after a crash does, for this one chat (see the top of this file). */
  private async takeOver(lease: Lease): Promise<TakeoverReport> {
    const { agentKey, epoch } = lease;
    const { store, inbox, outbox, meta, runner } = this.parts;
    const guard = this.guard(agentKey, epoch);
    const { requeued, charged } = await store.submit(async (tx) => {
      await guard(tx);
      const requeued = await outbox.requeueInterrupted(tx, { only: agentKey });
      const ids = new Set<string>();
      if (lease.takenFrom !== undefined) {
        for (const id of await meta.takeRunning(tx, { only: agentKey })) ids.add(id);
        for (const head of await inbox.headsIn(tx, { only: agentKey })) if (head.attempts === 0) ids.add(head.id);
        for (const id of ids) await inbox.recordFailure(tx, id, CRASH_REASON);
      }
      return { requeued, charged: ids.size };
    });
    // Whatever this process claimed for the chat before is void: those rows are 'pending' again.
    outbox.forgetClaimsOf(agentKey);
    let parked = 0;
    if (charged > 0) {
      const head = await inbox.next(agentKey);
      if (head && head.attempts >= this.options.maxAttempts) {
        await runner.park(head, `the processes serving its chat stopped ${head.attempts} times while it ran`, guard);
        parked = 1;
      }
    }
    return { requeued, charged, parked };
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.tickTimer = setTimeout(() => this.tickSoon(), this.options.heartbeatMs ?? LEASE_HEARTBEAT_MS);
    this.tickTimer.unref();
  }

  /** A heartbeat and an orphan scan now, unless one is under way. */
  private tickSoon(): void {
    if (this.ticking || this.stopped) return;
    clearTimeout(this.tickTimer);
    this.ticking = this.tick().finally(() => {
      this.ticking = undefined;
      this.scheduleTick();
    });
  }

  private async tick(): Promise<void> {
    try {
      this.letGoOfIdleChats();
      const { lost } = await this.leases.renewAll();
      for (const key of lost) {
        this.served.delete(key);
        this.log.warn({ agentKey: key }, "another process took this chat over (this one missed its heartbeat); leaving it");
      }
      await this.scan();
    } catch (error) {
      // The leases live on for their TTL: the next heartbeat, 2 s on, is in time.
      this.log.warn({ err: error }, "could not renew this process's leases or scan for orphaned chats; trying again");
    }
  }

  /** Releases the chats idle here for idleReleaseMs, and those a console asked for once idle. */
  private letGoOfIdleChats(): void {
    // A console holds its one chat for as long as it runs.
    if (this.options.onlyAgentKey !== undefined) return;
    const idleSince = performance.now() - (this.options.idleReleaseMs ?? IDLE_RELEASE_MS);
    for (const key of this.yieldAsked) this.letGoIfIdle(key, "a console asked for it");
    for (const key of [...this.served.keys()]) {
      if ((this.lastActive.get(key) ?? 0) <= idleSince) this.letGoIfIdle(key, "idle");
    }
  }

  /**
   * Releases a chat served here unless it has work in progress. Its units, should one start
   * meanwhile, fail their guard (LeaseLostError) and leave the work to the next holder.
   */
  private letGoIfIdle(agentKey: string, why: string): void {
    const epoch = this.epochOf(agentKey);
    if (epoch === undefined) {
      this.yieldAsked.delete(agentKey);
      return;
    }
    if (this.entering.has(agentKey) || this.hooks.busy(agentKey)) return;
    this.yieldAsked.delete(agentKey);
    this.served.delete(agentKey);
    this.lastActive.delete(agentKey);
    this.log.debug({ agentKey, why }, "letting go of a chat");
    const release = this.leases.release(agentKey).catch((error: unknown) => {
      // It expires after the TTL instead.
      this.log.warn({ err: error, agentKey }, "could not release a chat; it is free once its lease expires");
    }).finally(() => {
      if (this.releasing.get(agentKey) === release) this.releasing.delete(agentKey);
    });
    this.releasing.set(agentKey, release);
  }

  /** Takes the orphaned chats (work, no live lease) and wakes them. */
  private async scan(): Promise<Array<{ agentKey: string; report: TakeoverReport }>> {
    const only = this.options.onlyAgentKey;
    const found = only === undefined ? await this.leases.orphans(ORPHANS_PER_SCAN) : await this.orphanedOnly(only);
    const taken: Array<{ agentKey: string; report: TakeoverReport }> = [];
    let timersMayBeDue = false;
    await Promise.all(found.map(async (lease) => {
      try {
        const epoch = await this.enter(lease.agentKey, lease);
        const report = this.takeovers.get(lease.agentKey) ?? { requeued: 0, charged: 0, parked: 0 };
        this.takeovers.delete(lease.agentKey);
        if (epoch === undefined) return;
        taken.push({ agentKey: lease.agentKey, report });
        timersMayBeDue = true;
        this.hooks.wakeMessages(lease.agentKey);
        this.hooks.wakeSends(lease.agentKey);
      } catch (error) {
        this.lost(lease.agentKey, lease.epoch);
        this.log.warn({ err: error, agentKey: lease.agentKey }, "could not take over an orphaned chat; the next scan tries again");
      }
    }));
    if (timersMayBeDue) this.hooks.timersMayBeDue();
    return taken;
  }

  /** The console's scan: its one chat, taken when free (its work then waits for no one). */
  private async orphanedOnly(agentKey: string): Promise<Lease[]> {
    if (this.epochOf(agentKey) !== undefined) return [];
    const lease = await this.leases.acquire(agentKey);
    return lease ? [lease] : [];
  }
}

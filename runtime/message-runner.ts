// Handles one inbox message for one agent: load state, run the handler through a StepContext,
// then commit the buffered records, the new state and the message's completion in one unit.
// A failure is counted and retried later; too many failures, or a replay mismatch, park it.
import type { AgentDefinition, Message } from "./agent.js";
import type { AgentStateStore } from "./agent-state.js";
import type { ChatGuard } from "./chat-serving.js";
import { crashPoint } from "./crash-points.js";
import {
  LeaseLostError, NonDeterminismError, PermanentError, StepMisuseError, StoreUnavailableError, describeError,
} from "./errors.js";
import type { Tx } from "./store.js";
import type { InboxMessage } from "./inbox.js";
import type { Inbox } from "./inbox.js";
import type { Logger, RuntimeEvents } from "./observer.js";
import type { RuntimeMeta } from "./runtime-meta.js";
import { StepContext, type StepContextDeps } from "./step-context.js";

export interface MessageRunnerOptions {
  /** Tries (failures or crashes) before a message is parked. Default 5. */
  maxAttempts: number;
  /** Re-run each handled message against its journal and fail loudly if it takes other steps. */
  verifyReplay: boolean;
}

/** The agent's state as the runner keeps it between messages: current-version JSON. */
export interface CachedState {
  json: string;
}

export type RunOutcome =
  | { status: "done"; sent: boolean; timersChanged: boolean }
  | { status: "retry"; delayMs: number }
  | { status: "parked" };

export class MessageRunner<S> {
  constructor(
    private readonly agent: AgentDefinition<S>,
    private readonly deps: StepContextDeps,
    private readonly inbox: Inbox,
    private readonly states: AgentStateStore,
    private readonly meta: RuntimeMeta,
    private readonly options: MessageRunnerOptions,
    private readonly log: Logger,
    private readonly events: RuntimeEvents,
  ) {}

  /**
   * `neverRun`: the message was stored by this process and not taken before, so it has no journal yet.
   * `guard` (replicas): called first in each of its units. A LeaseLostError it throws rejects the
   * run: the message is left, uncharged, to the chat's new holder.
   */
  async run(row: InboxMessage, cache: { state?: CachedState }, neverRun = false, guard?: ChatGuard): Promise<RunOutcome> {
    const started = this.deps.scheduler.monotonicNow();
    const message: Message = { id: row.id, kind: row.kind, payload: row.payload, attempts: row.attempts };
    const submit = guarded(this.deps.store, guard);
    // A message charged before (a crash or a failure) notes durably that it runs: a crash now is
    // charged to it, and not to the messages that merely waited. First runs skip this extra commit.
    const marked = row.attempts > 0;
    if (marked) await submit((tx) => this.meta.markRunning(tx, row.id, row.agentKey));
    crashPoint("message.before-handle");
    let ctx: StepContext<S> | undefined;
    let startJson = "";
    let baseJson: string | undefined;
    let stateJson: string;
    try {
      const { state, wasReset, storedJson } = await this.loadState(row.agentKey, cache);
      baseJson = storedJson;
      if (this.options.verifyReplay) startJson = JSON.stringify(state);
      const deps = guard ? { ...this.deps, guard } : this.deps;
      ctx = new StepContext(deps, row.agentKey, message, state, wasReset, neverRun ? new Map() : await this.deps.journal.read(row.id));
      await runHandler(this.agent, ctx);
      // Serialised here so that a state JSON cannot hold counts as the message's failure (and parks it
      // after maxAttempts), instead of failing the commit below on every retry.
      stateJson = stateToJson(ctx.state);
    } catch (error) {
      return this.fail(row, message, error, guard);
    }

    const writes = ctx.drainPending();
    const outbox = this.deps.outbox;
    let claimed: number[] = [];
    crashPoint("message.before-commit");
    await submit(async (tx) => {
      const lastSendId = ctx.sent ? await outbox.lastId(tx) : 0;
      for (const write of writes) await write(tx);
      // Unchanged state is not rewritten; a chat that never changed its state gets no row at all.
      if (stateJson !== baseJson) {
        await this.states.save(tx, row.agentKey, this.agent.stateVersion, stateJson, this.deps.scheduler.now());
      }
      await this.inbox.markDone(tx, row.seq, this.deps.scheduler.now());
      if (marked) await this.meta.clearRunning(tx, row.id);
      // The replies ride this commit already claimed, so the worker sends them without a claim
      // commit of its own: they are durable with the completion, never sent before it.
      if (ctx.sent) claimed = await outbox.claimNew(tx, row.agentKey, lastSendId);
    }).catch((error: unknown) => {
      outbox.forgetClaims(claimed);
      // The commit may have landed after all (PostgreSQL's lost COMMIT answer): read the state back.
      delete cache.state;
      throw error;
    });
    cache.state = { json: stateJson };
    crashPoint("message.after-commit");
    if (this.options.verifyReplay) {
      // A test aid: the message is already done, so a mismatch is reported, loudly, not retried.
      await this.verifyReplay(row, message, ctx, startJson, stateJson).catch((error: unknown) => {
        this.log.error({ err: error, agentKey: row.agentKey, messageId: row.id }, "replay check failed: the handler is not deterministic");
      });
    }
    this.events.processed?.(row.kind, this.deps.scheduler.monotonicNow() - started);
    return { status: "done", sent: ctx.sent, timersChanged: ctx.timersChanged };
  }

  /** Parks a message for good: marks it and queues the agent's notice to the sender. */
  async park(row: InboxMessage, reason: string, guard?: ChatGuard): Promise<{ sent: boolean }> {
    const message: Message = { id: row.id, kind: row.kind, payload: row.payload, attempts: row.attempts };
    let notices: unknown[] = [];
    try {
      notices = this.agent.onParked?.(row.agentKey, message, reason) ?? [];
    } catch (error) {
      this.log.error({ err: error, messageId: row.id }, "onParked threw; parking without a notice");
    }
    await guarded(this.deps.store, guard)(async (tx) => {
      await this.inbox.markParked(tx, row.id, row.attempts, reason, this.deps.scheduler.now());
      await this.meta.clearRunning(tx, row.id);
      for (const notice of notices) await this.deps.outbox.enqueue(tx, row.agentKey, row.id, notice, this.deps.scheduler.now());
    });
    this.events.parked?.(row.kind);
    this.log.error({ agentKey: row.agentKey, messageId: row.id, reason }, "message parked: it will not be retried");
    return { sent: notices.length > 0 };
  }

  /**
   * The state to hand the handler, and the JSON it is stored as now (`storedJson`), so that an
   * unchanged state is not written again. Undefined `storedJson` means it must be written.
   */
  private async loadState(agentKey: string, cache: { state?: CachedState }): Promise<{ state: S; wasReset: boolean; storedJson?: string }> {
    if (cache.state) return { state: JSON.parse(cache.state.json) as S, wasReset: false, storedJson: cache.state.json };
    const stored = await this.states.load(agentKey);
    if (!stored) {
      const initial = this.agent.initialState();
      return { state: initial, wasReset: false, storedJson: JSON.stringify(initial) };
    }
    if (stored.version === this.agent.stateVersion) {
      cache.state = { json: stored.json };
      return { state: JSON.parse(stored.json) as S, wasReset: false, storedJson: stored.json };
    }
    if (stored.version > this.agent.stateVersion) {
      // Written by a newer release: resetting it would destroy what that release stored.
      throw new PermanentError(
        `The stored state of ${agentKey} is version ${stored.version}, newer than this release's ${this.agent.stateVersion}: run the newer release.`,
      );
    }
    const migrated = this.agent.migrateState?.(JSON.parse(stored.json), stored.version);
    if (migrated !== undefined) return { state: migrated, wasReset: false };
    this.log.warn({ agentKey, from: stored.version, to: this.agent.stateVersion }, "agent state could not be migrated; starting over");
    return { state: this.agent.initialState(), wasReset: true };
  }

  private async fail(row: InboxMessage, message: Message, error: unknown, guard: ChatGuard | undefined): Promise<RunOutcome> {
    // The database failed, not the message: not charged (a long lock or a full disk must not park
    // good messages); the router tries it again shortly. A lost lease: the chat's new holder runs it.
    if (error instanceof StoreUnavailableError || error instanceof LeaseLostError) throw error;
    const reason = `${describeError(error).name}: ${describeError(error).message}`;
    const attempts = row.attempts + 1;
    // A replay mismatch or a ctx call out of turn would fail the same way on every retry.
    const hopeless = error instanceof NonDeterminismError || error instanceof StepMisuseError;
    if (hopeless || attempts >= this.options.maxAttempts) {
      this.events.failed?.(row.kind, false);
      await this.park({ ...row, attempts }, reason, guard);
      return { status: "parked" };
    }
    await guarded(this.deps.store, guard)(async (tx) => {
      await this.inbox.recordFailure(tx, row.id, reason);
      await this.meta.clearRunning(tx, row.id);
    });
    this.events.failed?.(row.kind, true);
    const delayMs = Math.min(1000 * 2 ** (attempts - 1), 30_000);
    this.log.warn({ err: error, agentKey: row.agentKey, messageId: message.id, attempts, delayMs }, "message failed; will retry");
    return { status: "retry", delayMs };
  }

  /** Replays the message against its now-complete journal: the same steps and the same state, or it throws. */
  private async verifyReplay(
    row: InboxMessage, message: Message, first: StepContext<S>, startJson: string, stateJson: string,
  ): Promise<void> {
    const journal = await this.deps.journal.read(row.id);
    const start = JSON.parse(startJson) as S;
    const ctx = new StepContext(this.deps, row.agentKey, message, start, first.stateWasReset, journal, true);
    await runHandler(this.agent, ctx);
    if (ctx.steps !== first.steps || JSON.stringify(ctx.state) !== stateJson) {
      throw new NonDeterminismError(row.id, ctx.steps, `${first.steps} steps`, `${ctx.steps} steps`);
    }
  }
}

/** Runs the handler, then closes its context: a ctx call after it returned is refused, not recorded. */
async function runHandler<S>(agent: AgentDefinition<S>, ctx: StepContext<S>): Promise<void> {
  try {
    await agent.handle(ctx);
  } catch (error) {
    try {
      ctx.close();
    } catch {
      // The handler's own error says more than a step it left running.
    }
    throw error;
  }
  ctx.close();
}

function stateToJson(state: unknown): string {
  const json = JSON.stringify(state) as string | undefined;
  if (json === undefined) throw new TypeError("The agent state must be a JSON value (it was undefined or a function).");
  return json;
}

/** Submits units that call `guard` (when given) before their own work. */
function guarded(store: StepContextDeps["store"], guard: ChatGuard | undefined): <T>(work: (tx: Tx) => Promise<T>) => Promise<T> {
  if (!guard) return (work) => store.submit(work);
  return (work) =>
    store.submit(async (tx) => {
      await guard(tx);
      return work(tx);
    });
}

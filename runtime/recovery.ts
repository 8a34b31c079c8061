// At start, before anything new is accepted: charges a crash to the messages that were running,
// parks those that keep crashing the process and re-queues half-done sends. Quick, so the process
// serves at once; the repeat crash suspects then run one at a time in the background (`isolate`).
// Both look only at the agents in scope: another process's agents are its own.
import { type AgentScope, inScope } from "./agent-scope.js";
import type { Inbox, InboxMessage } from "./inbox.js";
import type { MessageRunner, RunOutcome } from "./message-runner.js";
import type { Logger, RuntimeEvents } from "./observer.js";
import type { Outbox } from "./outbox.js";
import { ISOLATING, type RuntimeMeta } from "./runtime-meta.js";
import type { Store, Tx } from "./store.js";
import type { WorkGate } from "./work-gate.js";

/**
 * A message charged this many crashes runs alone among the suspects after the next start. A crash
 * is charged to the messages that were running (see MessageRunner's running marks) and to messages
 * never tried (any could have been running); a second charge is rare for an innocent message, and
 * running apart from the other suspects settles it.
 */
export const ISOLATE_AFTER_CRASHES = 2;
const CRASH_REASON = "the process stopped before this message was finished";

export interface RecoveryReport {
  /** Agents with pending inbox messages. */
  agentsWithMessages: string[];
  /** Agents with undelivered outbox rows. */
  agentsWithSends: string[];
  /**
   * Sends marked 'sending' at the crash, sent again now: an upper bound of those that may arrive
   * twice, since a reply is marked with its message's completion, before its turn to go out.
   */
  interruptedSends: number;
  parked: number;
  /** Repeat crash suspects, run one at a time in the background after start. */
  isolated: number;
}

export interface RecoveryParts {
  meta: RuntimeMeta;
  inbox: Inbox;
  outbox: Outbox;
  store: Store;
  runner: MessageRunner<unknown>;
}

export interface RecoveryOptions {
  maxAttempts: number;
  /**
   * Runs inside the first unit: whether the last process to serve these agents stopped cleanly
   * (then nothing was running). It may throw to refuse the start.
   */
  lastStopWasClean(tx: Tx): Promise<boolean>;
}

/** Returns the report and the suspects, each agent's head message, worst first, for `isolate`. */
export async function recover(
  parts: RecoveryParts,
  scope: AgentScope,
  options: RecoveryOptions,
  log: Logger,
  events: RuntimeEvents,
): Promise<{ report: RecoveryReport; suspects: InboxMessage[] }> {
  const { meta, inbox, outbox, store, runner } = parts;
  const interruptedSends = await store.submit(async (tx) => {
    const clean = await options.lastStopWasClean(tx);
    const running = await meta.takeRunning(tx, scope);
    const isolated = scope.only === undefined ? await meta.take(tx, ISOLATING) : undefined;
    if (!clean) {
      // Only an agent's oldest pending message can have been running. Marked ones were; one never
      // tried may have been (first runs are not marked, to keep them free of an extra commit).
      const charged = new Set(running);
      if (isolated !== undefined) charged.add(isolated);
      for (const head of await inbox.headsIn(tx, scope)) if (head.attempts === 0) charged.add(head.id);
      for (const id of charged) await inbox.recordFailure(tx, id, CRASH_REASON);
    }
    return outbox.requeueInterrupted(tx, scope);
  });
  if (interruptedSends > 0) {
    events.sendsResentAfterCrash?.(interruptedSends);
    log.warn({ count: interruptedSends }, "sends interrupted by a crash will be sent again (they may arrive twice)");
  }

  let parked = 0;
  const suspects: InboxMessage[] = [];
  for (const head of await inbox.heads(scope)) {
    if (head.attempts < ISOLATE_AFTER_CRASHES) continue;
    const message = await inbox.next(head.agentKey);
    if (!message) continue;
    if (message.attempts >= options.maxAttempts) {
      await runner.park(message, `crashed the process ${message.attempts} times`);
      parked++;
    } else {
      suspects.push(message);
    }
  }
  suspects.sort((a, b) => b.attempts - a.attempts || a.seq - b.seq);
  return {
    report: {
      agentsWithMessages: await inbox.keysWithPending(scope),
      agentsWithSends: (await outbox.keysWithUnsent()).filter((key) => inScope(scope, key)),
      interruptedSends,
      parked,
      isolated: suspects.length,
    },
    suspects,
  };
}

export interface IsolationHooks {
  /** Whether the runtime is stopping: the suspects not yet run wait for the next start. */
  stopping(): boolean;
  /** The suspect's message was handled (or will be retried after `delayMs`): its agent goes back to its mailbox. */
  done(agentKey: string, outcome: RunOutcome | undefined): void;
}

/**
 * Runs the suspects one after the other, each taking a place in `gate` like any message, while the
 * other agents go on: a crash now is charged to this suspect (and to what ran beside it), never to
 * the suspects still waiting, so an innocent one is not parked with the guilty.
 */
export async function isolate(
  suspects: InboxMessage[],
  runner: MessageRunner<unknown>,
  gate: WorkGate,
  hooks: IsolationHooks,
  log: Logger,
): Promise<void> {
  for (const suspect of suspects) {
    if (hooks.stopping()) return;
    log.warn({ agentKey: suspect.agentKey, messageId: suspect.id, attempts: suspect.attempts }, "running a repeat crash suspect apart from the others");
    let outcome: RunOutcome | undefined;
    await gate.enter();
    try {
      outcome = await runner.run(suspect, {});
    } catch (error) {
      // The database refused a write: the message is still pending; its mailbox tries it again.
      log.error({ err: error, agentKey: suspect.agentKey }, "running a crash suspect failed; its chat tries it again");
    } finally {
      gate.leave();
    }
    hooks.done(suspect.agentKey, outcome);
  }
}

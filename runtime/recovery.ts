// Runs once at start, before anything new is accepted: charges the crash to the messages that may
// have been running, parks those that keep crashing the process, re-queues half-done sends, and
// runs repeat suspects one at a time, so that the next crash is blamed on one message only.
import type { GroupCommitter } from "./group-commit.js";
import type { Inbox } from "./inbox.js";
import type { InboxMessage } from "./inbox.js";
import type { MessageRunner } from "./message-runner.js";
import type { Logger, RuntimeEvents } from "./observer.js";
import type { Outbox } from "./outbox.js";
import { CLEAN_STOP, ISOLATING, type RuntimeMeta } from "./runtime-meta.js";

/**
 * A message at the head of its agent's queue through this many crashes runs alone after the next
 * start. After one crash every agent's head is a suspect (any could have been running); a second
 * crash with the same head is rare for an innocent message, and running alone settles it.
 */
export const ISOLATE_AFTER_CRASHES = 2;
const CRASH_REASON = "the process stopped before this message was finished";

export interface RecoveryReport {
  /** Agents with pending inbox messages. */
  agentsWithMessages: string[];
  /** Agents with undelivered outbox rows. */
  agentsWithSends: string[];
  /** Sends that were in flight at the crash and will be sent again. */
  interruptedSends: number;
  parked: number;
  /** Repeat crash suspects that were run one at a time before anything else. */
  isolated: number;
}

export async function recover(
  meta: RuntimeMeta,
  inbox: Inbox,
  outbox: Outbox,
  committer: GroupCommitter,
  runner: MessageRunner<unknown>,
  maxAttempts: number,
  log: Logger,
  events: RuntimeEvents,
): Promise<RecoveryReport> {
  // Only the oldest pending message of an agent can have been running when the process stopped,
  // none was if the last stop was clean, and exactly one was if it crashed while running alone.
  const heads = inbox.pendingHeads();
  const interruptedSends = await committer.submit(() => {
    const cleanStop = meta.take(CLEAN_STOP) !== undefined;
    const isolated = meta.take(ISOLATING);
    if (isolated !== undefined) inbox.recordFailure(isolated, CRASH_REASON);
    else if (!cleanStop) for (const id of heads) inbox.recordFailure(id, CRASH_REASON);
    return outbox.requeueInterrupted();
  });
  if (interruptedSends > 0) {
    events.sendsResentAfterCrash?.(interruptedSends);
    log.warn({ count: interruptedSends }, "sends interrupted by a crash will be sent again (they may arrive twice)");
  }

  let parked = 0;
  const suspects: InboxMessage[] = [];
  for (const key of inbox.keysWithPending()) {
    const head = inbox.next(key);
    if (!head) continue;
    if (head.attempts >= maxAttempts) {
      await runner.park(head, `crashed the process ${head.attempts} times`);
      parked++;
    } else if (head.attempts >= ISOLATE_AFTER_CRASHES) {
      suspects.push(head);
    }
  }
  suspects.sort((a, b) => b.attempts - a.attempts || a.seq - b.seq);
  for (const suspect of suspects) {
    log.warn({ agentKey: suspect.agentKey, messageId: suspect.id, attempts: suspect.attempts }, "running a repeat crash suspect alone");
    await committer.submit(() => meta.set(ISOLATING, suspect.id));
    await runner.run(suspect, {});
    await committer.submit(() => meta.take(ISOLATING));
  }
  return {
    agentsWithMessages: inbox.keysWithPending(),
    agentsWithSends: outbox.keysWithUnsent(),
    interruptedSends,
    parked,
    isolated: suspects.length,
  };
}

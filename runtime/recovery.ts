// Runs once at start, before anything new is accepted: counts the crash against each message that
// may have been running, parks those that keep crashing the process, re-queues half-done sends,
// and returns the agents that have work waiting.
import type { GroupCommitter } from "./group-commit.js";
import type { Inbox } from "./inbox.js";
import type { MessageRunner } from "./message-runner.js";
import type { Logger, RuntimeEvents } from "./observer.js";
import type { Outbox } from "./outbox.js";
import type { RuntimeMeta } from "./runtime-meta.js";

export interface RecoveryReport {
  /** Agents with pending inbox messages. */
  agentsWithMessages: string[];
  /** Agents with undelivered outbox rows. */
  agentsWithSends: string[];
  /** Sends that were in flight at the crash and will be sent again. */
  interruptedSends: number;
  parked: number;
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
  // and none was if the last stop was clean (it lets the messages in progress finish).
  const heads = inbox.pendingHeads();
  const interruptedSends = await committer.submit(() => {
    const cleanStop = meta.take("clean_stop") !== undefined;
    if (!cleanStop) for (const id of heads) inbox.recordFailure(id, "the process stopped before this message was finished");
    return outbox.requeueInterrupted();
  });
  if (interruptedSends > 0) {
    events.sendsResentAfterCrash?.(interruptedSends);
    log.warn({ count: interruptedSends }, "sends interrupted by a crash will be sent again (they may arrive twice)");
  }

  let parked = 0;
  for (const key of inbox.keysWithPending()) {
    const head = inbox.next(key);
    if (head && head.attempts >= maxAttempts) {
      await runner.park(head, `crashed the process ${head.attempts} times`);
      parked++;
    }
  }
  return {
    agentsWithMessages: inbox.keysWithPending(),
    agentsWithSends: outbox.keysWithUnsent(),
    interruptedSends,
    parked,
  };
}

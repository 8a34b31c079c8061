// What an operator may do to stuck work, from another process while the bot runs: retry a parked
// message, drop it for good, or resend a failed send. Each is a compare-and-set on the row's status
// and a line in operator_actions, in one transaction, so two operators (or an operator and the bot)
// can never both act on one row. The running bot learns of them by reading the lines (OperatorWatch).
import { type Scheduled, type Scheduler, every } from "./clock.js";
import type { Database } from "./database.js";
import type { Logger } from "./observer.js";

export type OperatorAction = "retry" | "drop" | "resend";

export type OperatorOutcome =
  | { status: "done"; action: OperatorAction; targetId: string; agentKey: string; actor: string; atMs: number; previousError: string | null }
  | { status: "not-found" }
  /** The row is not in the state the action needs (`current` says what it is, e.g. "done"). */
  | { status: "refused"; current: string };

interface Target {
  agentKey: string;
  status: string;
  error: string | null;
}

export class OperatorActions {
  private readonly db: Database;
  private readonly s;

  constructor(db: Database) {
    this.db = db;
    this.s = {
      message: db.prepare(`SELECT agent_key AS agentKey, status, last_error AS error FROM inbox WHERE id = ?`),
      send: db.prepare(`SELECT agent_key AS agentKey, status, last_error AS error FROM outbox WHERE id = ?`),
      // Back in the agent's queue with every try ahead of it; its journal stays, so steps that
      // completed before it failed are not done again.
      retry: db.prepare(
        `UPDATE inbox SET status = 'pending', attempts = 0, completed_at_ms = NULL WHERE id = ? AND status = 'parked'`,
      ),
      // Given up: done, as far as the runtime is concerned; operator_actions says it was dropped.
      drop: db.prepare(`UPDATE inbox SET status = 'done', completed_at_ms = ? WHERE id = ? AND status = 'parked'`),
      resend: db.prepare(
        `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at_ms = ? WHERE id = ? AND status = 'failed'`,
      ),
      record: db.prepare(
        `INSERT INTO operator_actions (action, target_id, agent_key, actor, at_ms, previous_error) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      lastId: db.prepare(`SELECT COALESCE(MAX(id), 0) FROM operator_actions`).pluck(),
      since: db.prepare(`SELECT id, action, agent_key AS agentKey FROM operator_actions WHERE id > ? ORDER BY id LIMIT 500`),
    };
  }

  /** A parked message goes back to its agent's queue, with all its tries again. */
  retry(messageId: string, actor: string, nowMs: number): OperatorOutcome {
    return this.act("retry", messageId, actor, nowMs, () => this.s.message.get(messageId), "parked", () =>
      this.s.retry.run(messageId).changes,
    );
  }

  /** A parked message is given up for good (it stays in the history, marked as dropped). */
  drop(messageId: string, actor: string, nowMs: number): OperatorOutcome {
    return this.act("drop", messageId, actor, nowMs, () => this.s.message.get(messageId), "parked", () =>
      this.s.drop.run(nowMs, messageId).changes,
    );
  }

  /** A failed send is sent again, as the next one of its agent. */
  resend(outboxId: number, actor: string, nowMs: number): OperatorOutcome {
    return this.act("resend", String(outboxId), actor, nowMs, () => this.s.send.get(outboxId), "failed", () =>
      this.s.resend.run(nowMs, outboxId).changes,
    );
  }

  /** The id of the latest action: a watcher reads only what comes after. */
  lastId(): number {
    return this.s.lastId.get() as number;
  }

  since(id: number): Array<{ id: number; action: OperatorAction; agentKey: string }> {
    return this.s.since.all(id) as Array<{ id: number; action: OperatorAction; agentKey: string }>;
  }

  /**
   * Reads the row and changes it only if it still has `needed` status, in one IMMEDIATE transaction:
   * the write lock is taken first, so nothing can change the row between the read and the write.
   */
  private act(
    action: OperatorAction, targetId: string, actor: string, nowMs: number,
    read: () => unknown, needed: string, change: () => number,
  ): OperatorOutcome {
    return this.db.transaction((): OperatorOutcome => {
      const row = read() as Target | undefined;
      if (!row) return { status: "not-found" };
      if (row.status !== needed || change() !== 1) return { status: "refused", current: row.status };
      this.s.record.run(action, targetId, row.agentKey, actor, nowMs, row.error);
      return { status: "done", action, targetId, agentKey: row.agentKey, actor, atMs: nowMs, previousError: row.error };
    }).immediate();
  }
}

export interface OperatorWatchHooks {
  /** A message of this agent is pending again. */
  retried(agentKey: string): void;
  /** A send of this agent is waiting again. */
  resent(agentKey: string): void;
}

/**
 * Lets a running runtime notice what an operator changed from another process: every `pollMs` it
 * reads operator_actions past the last line it saw (one indexed read) and wakes the agent or its
 * send lane. Without it, a retried message would wait for the next restart.
 */
export class OperatorWatch {
  private seen = 0;
  private timer: Scheduled | undefined;

  constructor(private readonly actions: OperatorActions, private readonly hooks: OperatorWatchHooks, private readonly log: Logger) {}

  /** Call before recovery: what was done before it, recovery finds in the tables. */
  mark(): void {
    this.seen = this.actions.lastId();
  }

  start(pollMs: number, scheduler: Scheduler): void {
    this.timer = every(scheduler, pollMs, () => this.check(), { unref: true });
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** Wakes whoever the new actions concern. Public for tests. */
  check(): void {
    let lines;
    try {
      lines = this.actions.since(this.seen);
    } catch (error) {
      this.log.warn({ err: error }, "could not read operator actions; will try again");
      return;
    }
    for (const line of lines) {
      this.seen = line.id;
      if (line.action === "retry") this.hooks.retried(line.agentKey);
      else if (line.action === "resend") this.hooks.resent(line.agentKey);
    }
  }
}

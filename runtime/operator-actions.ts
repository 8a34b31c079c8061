// What an operator may do to stuck work, from another process while the bot runs: retry a parked
// message, drop it for good, or resend a failed send. Each is a compare-and-set on the row's status
// and a line in operator_actions, in one unit, so two operators (or an operator and the bot) can
// never both act on one row. The running bot learns of them by reading the lines (OperatorWatch).
import { type Scheduled, type Scheduler, every } from "./clock.js";
import type { Logger } from "./observer.js";
import type { Sql, Tx } from "./store.js";

export type OperatorAction = "retry" | "drop" | "resend";

export type OperatorOutcome =
  | { status: "done"; action: OperatorAction; targetId: string; agentKey: string; actor: string; atMs: number; previousError: string | null }
  | { status: "not-found" }
  /** The row is not in the state the action needs (`current` says what it is, e.g. "done"). */
  | { status: "refused"; current: string };

/** What a changed row was: its agent, and the error it had stopped with (the updates leave it as it was). */
interface Changed {
  agentKey: string;
  error: string | null;
}

/** One action: the conditional update (returning the row it changed, if any) and the row's status. */
interface ActionSql {
  change: string;
  status: string;
  needed: string;
}

const RETRY: ActionSql = {
  // Back in the agent's queue with every try ahead of it; its journal stays, so steps that
  // completed before it failed are not done again.
  change: `UPDATE inbox SET status = 'pending', attempts = 0, completed_at_ms = NULL WHERE id = ? AND status = 'parked'
           RETURNING agent_key AS "agentKey", last_error AS "error"`,
  status: `SELECT status FROM inbox WHERE id = ?`,
  needed: "parked",
};

const DROP: ActionSql = {
  // Given up: done, as far as the runtime is concerned; operator_actions says it was dropped.
  change: `UPDATE inbox SET status = 'done', completed_at_ms = ? WHERE id = ? AND status = 'parked'
           RETURNING agent_key AS "agentKey", last_error AS "error"`,
  status: `SELECT status FROM inbox WHERE id = ?`,
  needed: "parked",
};

const RESEND: ActionSql = {
  change: `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at_ms = ? WHERE id = ? AND status = 'failed'
           RETURNING agent_key AS "agentKey", last_error AS "error"`,
  status: `SELECT status FROM outbox WHERE id = ?`,
  needed: "failed",
};

/** A row that changed status between our update and our read is looked at again, this many times. */
const MAX_TRIES = 3;

export class OperatorActions {
  /** `read`: committed data (the store's `read`), for the watcher's lines. */
  constructor(private readonly read: Sql) {}

  /** A parked message goes back to its agent's queue, with all its tries again. */
  retry(tx: Tx, messageId: string, actor: string, nowMs: number): Promise<OperatorOutcome> {
    return this.act(tx, "retry", RETRY, messageId, [messageId], messageId, actor, nowMs);
  }

  /** A parked message is given up for good (it stays in the history, marked as dropped). */
  drop(tx: Tx, messageId: string, actor: string, nowMs: number): Promise<OperatorOutcome> {
    return this.act(tx, "drop", DROP, messageId, [nowMs, messageId], messageId, actor, nowMs);
  }

  /** A failed send is sent again, as the next one of its agent. */
  resend(tx: Tx, outboxId: number, actor: string, nowMs: number): Promise<OperatorOutcome> {
    return this.act(tx, "resend", RESEND, String(outboxId), [nowMs, outboxId], outboxId, actor, nowMs);
  }

  /** The id of the latest action: a watcher reads only what comes after. */
  async lastId(): Promise<number> {
    const row = await this.read.get<{ n: number | null }>(`SELECT MAX(id) AS n FROM operator_actions`);
    return Number(row?.n ?? 0);
  }

  since(id: number): Promise<Array<{ id: number; action: OperatorAction; agentKey: string }>> {
    return this.read.all(`SELECT id, action, agent_key AS "agentKey" FROM operator_actions WHERE id > ? ORDER BY id LIMIT 500`, [id]);
  }

  /**
   * Changes the row only if it still has the needed status (the update's own condition: atomic on
   * both databases), records the action in the same transaction, and otherwise reads what the row is.
   */
  private async act(
    tx: Tx, action: OperatorAction, statements: ActionSql, targetId: string, changeParams: unknown[], key: string | number,
    actor: string, nowMs: number,
  ): Promise<OperatorOutcome> {
    for (let tries = 1; ; tries++) {
      const changed = await tx.get<Changed>(statements.change, changeParams);
      if (changed) {
        await tx.run(
          `INSERT INTO operator_actions (action, target_id, agent_key, actor, at_ms, previous_error) VALUES (?, ?, ?, ?, ?, ?)`,
          [action, targetId, changed.agentKey, actor, nowMs, changed.error],
        );
        return { status: "done", action, targetId, agentKey: changed.agentKey, actor, atMs: nowMs, previousError: changed.error };
      }
      const row = await tx.get<{ status: string }>(statements.status, [key]);
      if (!row) return { status: "not-found" };
      // On PostgreSQL another transaction may have set the needed status since our update: look again.
      if (row.status !== statements.needed || tries >= MAX_TRIES) return { status: "refused", current: row.status };
    }
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
  /** The reads in progress; a check asked for meanwhile reads once more after them. */
  private checking: Promise<void> | undefined;
  private readAgain = false;

  constructor(private readonly actions: OperatorActions, private readonly hooks: OperatorWatchHooks, private readonly log: Logger) {}

  /** Call (and await) before recovery: what was done before it, recovery finds in the tables. */
  async mark(): Promise<void> {
    this.seen = await this.actions.lastId();
  }

  start(pollMs: number, scheduler: Scheduler): void {
    this.timer = every(scheduler, pollMs, () => void this.check(), { unref: true });
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** Wakes whoever the new actions concern. Public for tests. */
  check(): Promise<void> {
    if (this.checking) {
      this.readAgain = true;
      return this.checking;
    }
    this.checking = (async () => {
      do {
        this.readAgain = false;
        await this.readNew();
      } while (this.readAgain);
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async readNew(): Promise<void> {
    let lines;
    try {
      lines = await this.actions.since(this.seen);
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

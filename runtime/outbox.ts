// The outbox table: outgoing messages written in the agent's transaction, then claimed, delivered
// and settled by the outbox worker. Synchronous statements; writes run inside a unit.
//
// 'sending' means "claimed by a live process, maybe sent": a row is claimed either by the worker's
// compare-and-set just before its send, or at birth, in the very unit that writes it (claimNew),
// when this process will send it next: that saves the claim's own commit on every reply. Which rows
// were claimed at birth and not yet taken by the worker is known only here, in memory.
import { type AgentScope, inScope } from "./agent-scope.js";
import type { Database } from "./database.js";

export interface OutboxRow {
  id: number;
  agentKey: string;
  payload: unknown;
  status: "pending" | "sending";
  attempts: number;
  nextAttemptAtMs: number;
  createdAtMs: number;
}

interface Row {
  id: number;
  agent_key: string;
  payload_json: string;
  status: "pending" | "sending";
  attempts: number;
  next_attempt_at_ms: number;
  created_at_ms: number;
}

export class Outbox {
  private readonly enqueueStmt;
  private readonly headStmt;
  private readonly claimStmt;
  private readonly sentStmt;
  private readonly retryStmt;
  private readonly failStmt;
  private readonly keysStmt;
  private readonly interruptedStmt;
  private readonly interruptedForStmt;
  private readonly resetInterruptedStmt;
  private readonly pendingCountStmt;
  private readonly pendingCountForStmt;
  private readonly lastIdStmt;
  private readonly unsentUpToStmt;
  private readonly claimNewStmt;
  private readonly unclaimStmt;
  /** Rows claimed at birth by this process that its worker has not taken yet. */
  private readonly claimedHere = new Set<number>();

  constructor(db: Database) {
    this.enqueueStmt = db.prepare(
      `INSERT INTO outbox (agent_key, message_id, payload_json, next_attempt_at_ms, created_at_ms) VALUES (?, ?, ?, ?, ?)`,
    );
    this.headStmt = db.prepare(
      `SELECT id, agent_key, payload_json, status, attempts, next_attempt_at_ms, created_at_ms FROM outbox
       WHERE agent_key = ? AND status IN ('pending', 'sending') ORDER BY id LIMIT 1`,
    );
    // Compare-and-set: only a row still 'pending' is taken, so two processes on one database never
    // both send it (the second sees no change and leaves it to the first).
    this.claimStmt = db.prepare(`UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'pending'`);
    this.sentStmt = db.prepare(
      `UPDATE outbox SET status = 'sent', sent_at_ms = ?, result_json = ?, last_error = NULL WHERE id = ?`,
    );
    this.retryStmt = db.prepare(
      `UPDATE outbox SET status = 'pending', next_attempt_at_ms = ?, last_error = ? WHERE id = ?`,
    );
    this.failStmt = db.prepare(`UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?`);
    this.keysStmt = db.prepare(`SELECT DISTINCT agent_key FROM outbox WHERE status IN ('pending', 'sending')`).pluck();
    this.interruptedStmt = db.prepare(`SELECT id, agent_key AS agentKey FROM outbox WHERE status = 'sending'`);
    this.interruptedForStmt = db.prepare(`SELECT id, agent_key AS agentKey FROM outbox WHERE agent_key = ? AND status = 'sending'`);
    this.resetInterruptedStmt = db.prepare(
      `UPDATE outbox SET status = 'pending', last_error = 'interrupted: the process stopped during the send' WHERE id = ? AND status = 'sending'`,
    );
    this.pendingCountStmt = db.prepare(`SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')`).pluck();
    this.pendingCountForStmt = db.prepare(`SELECT COUNT(*) FROM outbox WHERE agent_key = ? AND status IN ('pending', 'sending')`).pluck();
    this.lastIdStmt = db.prepare(`SELECT COALESCE(MAX(id), 0) FROM outbox`).pluck();
    this.unsentUpToStmt = db.prepare(
      `SELECT 1 FROM outbox WHERE agent_key = ? AND id <= ? AND status IN ('pending', 'sending') LIMIT 1`,
    ).pluck();
    this.claimNewStmt = db.prepare(
      `UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE agent_key = ? AND id > ? AND status = 'pending' RETURNING id`,
    ).pluck();
    this.unclaimStmt = db.prepare(`UPDATE outbox SET status = 'pending', attempts = attempts - 1 WHERE id = ? AND status = 'sending'`);
  }

  /** Write: run inside a unit. Returns the row id, which is also its place in the agent's order. */
  enqueue(agentKey: string, messageId: string, payload: unknown, nowMs: number): number {
    return Number(this.enqueueStmt.run(agentKey, messageId, JSON.stringify(payload), nowMs, nowMs).lastInsertRowid);
  }

  /** The agent's next undelivered row: per-agent order means only this one may be sent now. */
  head(agentKey: string): OutboxRow | undefined {
    const row = this.headStmt.get(agentKey) as Row | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      agentKey: row.agent_key,
      payload: JSON.parse(row.payload_json),
      status: row.status,
      attempts: row.attempts,
      nextAttemptAtMs: row.next_attempt_at_ms,
      createdAtMs: row.created_at_ms,
    };
  }

  /**
   * Write: marks a row as being sent, durably, before the send: a crash then shows as 'sending'.
   * False when the row was not 'pending' any more: another process on the database holds it.
   */
  claim(id: number): boolean {
    return this.claimStmt.run(id).changes === 1;
  }

  /** Inside a unit, before its writes: the id after which this unit's rows will be numbered. */
  lastId(): number {
    return this.lastIdStmt.get() as number;
  }

  /**
   * Write, in the unit that wrote the agent's rows after `afterId`: claims them at birth when the
   * agent has nothing older still to send (else the worker claims them in turn, as before). The
   * unit holds the write lock, so no other process can have seen them 'pending'. Returns the ids,
   * to hand to `forgetClaims` should the unit's commit fail.
   */
  claimNew(agentKey: string, afterId: number): number[] {
    if (this.unsentUpToStmt.get(agentKey, afterId) !== undefined) return [];
    const ids = this.claimNewStmt.all(agentKey, afterId) as number[];
    for (const id of ids) this.claimedHere.add(id);
    return ids;
  }

  /** The commit that claimed these rows failed: they do not exist (their ids may be used again). */
  forgetClaims(ids: readonly number[]): void {
    for (const id of ids) this.claimedHere.delete(id);
  }

  /**
   * The worker takes a 'sending' row at its lane's head: true when this process claimed it at birth
   * (the worker may send it without a claim of its own), false when another process holds it.
   */
  takeClaimedAtBirth(id: number): boolean {
    return this.claimedHere.delete(id);
  }

  /**
   * Write, at a clean stop, once the worker has stopped: rows claimed at birth and never taken go
   * back to 'pending', since they were certainly not sent (else the next start counts them as sends
   * a crash interrupted).
   */
  releaseUntakenClaims(): number {
    let count = 0;
    for (const id of this.claimedHere) count += this.unclaimStmt.run(id).changes;
    this.claimedHere.clear();
    return count;
  }

  markSent(id: number, result: unknown, nowMs: number): void {
    this.sentStmt.run(nowMs, JSON.stringify(result ?? null), id);
  }

  markRetry(id: number, nextAttemptAtMs: number, error: string): void {
    this.retryStmt.run(nextAttemptAtMs, error, id);
  }

  markFailed(id: number, error: string): void {
    this.failStmt.run(error, id);
  }

  keysWithUnsent(): string[] {
    return this.keysStmt.all() as string[];
  }

  /**
   * Recovery: rows left 'sending' by a crash may or may not have reached the receiver. The policy is
   * to send them again (at-least-once); returns how many, for the metrics. Only the agents `mine`
   * accepts: another process's rows in flight are its own. Write: run inside a unit.
   */
  requeueInterrupted(mine: AgentScope): number {
    const rows = (mine.only === undefined ? this.interruptedStmt.all() : this.interruptedForStmt.all(mine.only)) as Array<{ id: number; agentKey: string }>;
    let count = 0;
    for (const row of rows) {
      if (!inScope(mine, row.agentKey)) continue;
      count += this.resetInterruptedStmt.run(row.id).changes;
    }
    return count;
  }

  /** Rows not yet delivered: all agents', or one agent's. */
  unsentCount(agentKey?: string): number {
    return (agentKey === undefined ? this.pendingCountStmt.get() : this.pendingCountForStmt.get(agentKey)) as number;
  }
}

// The outbox table: outgoing messages written in the agent's transaction, then claimed, delivered
// and settled by the outbox worker. Reads outside a unit see committed rows; writes run in a unit.
//
// 'sending' means "claimed by a live process, maybe sent": a row is claimed either by the worker's
// compare-and-set just before its send, or at birth, in the very unit that writes it (claimNew),
// when this process will send it next: that saves the claim's own commit on every reply. Which rows
// were claimed at birth and not yet taken by the worker is known only here, in memory.
import { type AgentScope, inScope } from "./agent-scope.js";
import type { Sql, Tx } from "./store.js";

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

const SQL = {
  enqueue: `INSERT INTO outbox (agent_key, message_id, payload_json, next_attempt_at_ms, created_at_ms) VALUES (?, ?, ?, ?, ?)
    RETURNING id`,
  head: `SELECT id, agent_key, payload_json, status, attempts, next_attempt_at_ms, created_at_ms FROM outbox
    WHERE agent_key = ? AND status IN ('pending', 'sending') ORDER BY id LIMIT 1`,
  // Compare-and-set: only a row still 'pending' is taken, so two processes on one database never
  // both send it (the second sees no change and leaves it to the first).
  claim: `UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'pending'`,
  sent: `UPDATE outbox SET status = 'sent', sent_at_ms = ?, result_json = ?, last_error = NULL WHERE id = ?`,
  retry: `UPDATE outbox SET status = 'pending', next_attempt_at_ms = ?, last_error = ? WHERE id = ?`,
  fail: `UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?`,
  keys: `SELECT DISTINCT agent_key FROM outbox WHERE status IN ('pending', 'sending')`,
  interrupted: `SELECT id, agent_key AS "agentKey" FROM outbox WHERE status = 'sending'`,
  interruptedFor: `SELECT id, agent_key AS "agentKey" FROM outbox WHERE agent_key = ? AND status = 'sending'`,
  resetInterrupted: `UPDATE outbox SET status = 'pending', last_error = 'interrupted: the process stopped during the send'
    WHERE id = ? AND status = 'sending'`,
  unsent: `SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending')`,
  unsentFor: `SELECT COUNT(*) AS n FROM outbox WHERE agent_key = ? AND status IN ('pending', 'sending')`,
  lastId: `SELECT COALESCE(MAX(id), 0) AS id FROM outbox`,
  unsentUpTo: `SELECT 1 AS found FROM outbox WHERE agent_key = ? AND id <= ? AND status IN ('pending', 'sending') LIMIT 1`,
  claimNew: `UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE agent_key = ? AND id > ? AND status = 'pending'
    RETURNING id`,
  unclaim: `UPDATE outbox SET status = 'pending', attempts = attempts - 1 WHERE id = ? AND status = 'sending'`,
};

export class Outbox {
  /** Rows claimed at birth by this process that its worker has not taken yet, with their agent. */
  private readonly claimedHere = new Map<number, string>();

  constructor(private readonly committed: Sql) {}

  /** Returns the row id, which is also its place in the agent's order. */
  async enqueue(tx: Tx, agentKey: string, messageId: string, payload: unknown, nowMs: number): Promise<number> {
    const row = await tx.get<{ id: number }>(SQL.enqueue, [agentKey, messageId, JSON.stringify(payload), nowMs, nowMs]);
    return row!.id;
  }

  /** The agent's next undelivered row: per-agent order means only this one may be sent now. */
  async head(agentKey: string): Promise<OutboxRow | undefined> {
    const row = await this.committed.get<Row>(SQL.head, [agentKey]);
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
   * Marks a row as being sent, durably, before the send: a crash then shows as 'sending'.
   * False when the row was not 'pending' any more: another process on the database holds it.
   */
  async claim(tx: Tx, id: number): Promise<boolean> {
    return (await tx.run(SQL.claim, [id])).changes === 1;
  }

  /** Inside a unit, before its writes: the id after which this unit's rows will be numbered. */
  async lastId(tx: Tx): Promise<number> {
    return (await tx.get<{ id: number }>(SQL.lastId))?.id ?? 0;
  }

  /**
   * In the unit that wrote the agent's rows after `afterId`: claims them at birth when the agent has
   * nothing older still to send (else the worker claims them in turn, as before). The unit holds
   * the write lock, so no other process can have seen them 'pending'. Returns the ids, to hand to
   * `forgetClaims` should the unit's commit fail.
   */
  async claimNew(tx: Tx, agentKey: string, afterId: number): Promise<number[]> {
    if ((await tx.get(SQL.unsentUpTo, [agentKey, afterId])) !== undefined) return [];
    const rows = await tx.all<{ id: number }>(SQL.claimNew, [agentKey, afterId]);
    const ids = rows.map((row) => row.id);
    for (const id of ids) this.claimedHere.set(id, agentKey);
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
   * Replicas: the agent was taken (again) by this process, and its 'sending' rows were set back to
   * 'pending' (requeueInterrupted): what this process claimed for it before is void.
   */
  forgetClaimsOf(agentKey: string): void {
    for (const [id, key] of this.claimedHere) if (key === agentKey) this.claimedHere.delete(id);
  }

  /** The agents with rows claimed at birth and not taken yet. */
  keysWithUntakenClaims(): string[] {
    return [...new Set(this.claimedHere.values())];
  }

  /**
   * At a clean stop, once the worker has stopped: rows claimed at birth and never taken go back to
   * 'pending', since they were certainly not sent (else the next start counts them as sends a
   * crash interrupted). All agents', or one agent's (replicas: in a unit guarded for that agent).
   */
  async releaseUntakenClaims(tx: Tx, agentKey?: string): Promise<number> {
    let count = 0;
    for (const [id, key] of this.claimedHere) {
      if (agentKey !== undefined && key !== agentKey) continue;
      count += (await tx.run(SQL.unclaim, [id])).changes;
      this.claimedHere.delete(id);
    }
    return count;
  }

  /**
   * Replicas: a row left 'sending' that this process is not sending, in a unit guarded for its
   * agent: whoever claimed it lost the agent (or the claim's commit answer), so it goes again.
   */
  async requeue(tx: Tx, id: number): Promise<boolean> {
    return (await tx.run(SQL.resetInterrupted, [id])).changes === 1;
  }

  async markSent(tx: Tx, id: number, result: unknown, nowMs: number): Promise<void> {
    await tx.run(SQL.sent, [nowMs, JSON.stringify(result ?? null), id]);
  }

  async markRetry(tx: Tx, id: number, nextAttemptAtMs: number, error: string): Promise<void> {
    await tx.run(SQL.retry, [nextAttemptAtMs, error, id]);
  }

  async markFailed(tx: Tx, id: number, error: string): Promise<void> {
    await tx.run(SQL.fail, [error, id]);
  }

  async keysWithUnsent(): Promise<string[]> {
    return (await this.committed.all<{ agent_key: string }>(SQL.keys)).map((row) => row.agent_key);
  }

  /**
   * Recovery: rows left 'sending' by a crash may or may not have reached the receiver. The policy is
   * to send them again (at-least-once); returns how many, for the metrics. Only the agents `mine`
   * accepts: another process's rows in flight are its own.
   */
  async requeueInterrupted(tx: Tx, mine: AgentScope): Promise<number> {
    const rows = mine.only === undefined
      ? await tx.all<{ id: number; agentKey: string }>(SQL.interrupted)
      : await tx.all<{ id: number; agentKey: string }>(SQL.interruptedFor, [mine.only]);
    let count = 0;
    for (const row of rows) {
      if (!inScope(mine, row.agentKey)) continue;
      count += (await tx.run(SQL.resetInterrupted, [row.id])).changes;
    }
    return count;
  }

  /** Rows not yet delivered: all agents', or one agent's. */
  async unsentCount(agentKey?: string): Promise<number> {
    const row = agentKey === undefined
      ? await this.committed.get<{ n: number }>(SQL.unsent)
      : await this.committed.get<{ n: number }>(SQL.unsentFor, [agentKey]);
    return row?.n ?? 0;
  }
}

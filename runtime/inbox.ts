// The inbox table: messages stored once by id, taken per agent in arrival order, marked done or parked.
// Reads outside a unit see committed rows (`read`); writes, and the lookups they decide on, go
// through the unit's transaction (`tx`).
//
// Deduplication: an id already stored is a duplicate, unless both carry a fingerprint and they
// differ: then the sender reused the id for another message (its id space was reset), which is
// stored as "<id>~<fingerprint>", so that its own redeliveries are duplicates in turn. Rows keep
// their id and fingerprint after an agent's history is erased (see AgentHistory), so deduplication
// outlives the content, until retention deletes the row.
import { type AgentScope, inScope } from "./agent-scope.js";
import type { Sql, Tx } from "./store.js";

export interface NewMessage {
  id: string;
  agentKey: string;
  kind: string;
  payload: unknown;
  /** `payload` as the JSON text it arrived in, when the caller has it: stored as is, not serialised again. */
  payloadJson?: string;
  /** What the message itself is (e.g. a hash of its body), to tell a redelivery from a reused id. */
  fingerprint?: string;
  /**
   * The id an earlier release stored this same message under: a row with that id received within
   * the last `withinMs` makes this message a duplicate.
   */
  formerId?: { id: string; withinMs: number };
}

export interface InboxMessage {
  seq: number;
  id: string;
  agentKey: string;
  kind: string;
  payload: unknown;
  attempts: number;
  receivedAtMs: number;
}

export type AcceptOutcome = { status: "stored"; seq: number } | { status: "duplicate" };

/** What `Inbox.accept` did: a stored message's id differs from the one given when its id was reused. */
export type StoreOutcome = { status: "stored"; seq: number; id: string } | { status: "duplicate" };

export interface InboxHead {
  seq: number;
  id: string;
  agentKey: string;
  attempts: number;
}

interface Row {
  seq: number;
  id: string;
  agent_key: string;
  kind: string;
  payload_json: string;
  attempts: number;
  received_at_ms: number;
}

const SQL = {
  // No row back means the id was stored before (the conflict did nothing).
  insert: `INSERT INTO inbox (id, agent_key, kind, payload_json, fingerprint, received_at_ms) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING RETURNING seq`,
  fingerprint: `SELECT fingerprint FROM inbox WHERE id = ?`,
  former: `SELECT 1 AS found FROM inbox WHERE id = ? AND received_at_ms >= ?`,
  next: `SELECT seq, id, agent_key, kind, payload_json, attempts, received_at_ms FROM inbox
    WHERE agent_key = ? AND status = 'pending' ORDER BY seq LIMIT 1`,
  // By seq, the table's integer key: one b-tree step instead of a lookup through the id index.
  done: `UPDATE inbox SET status = 'done', completed_at_ms = ? WHERE seq = ?`,
  park: `UPDATE inbox SET status = 'parked', attempts = ?, last_error = ?, completed_at_ms = ? WHERE id = ?`,
  fail: `UPDATE inbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'`,
  keys: `SELECT DISTINCT agent_key FROM inbox WHERE status = 'pending'`,
  // The oldest pending message of each agent: the only one that can have been running at a crash.
  heads: `SELECT seq, id, agent_key AS "agentKey", attempts FROM inbox
    WHERE seq IN (SELECT MIN(seq) FROM inbox WHERE status = 'pending' GROUP BY agent_key)`,
  count: `SELECT COUNT(*) AS n FROM inbox WHERE status = ?`,
  countFor: `SELECT COUNT(*) AS n FROM inbox WHERE agent_key = ? AND status = ?`,
};

export class Inbox {
  constructor(private readonly committed: Sql) {}

  /** Stores a message unless it was stored before (see the top of this file). */
  async accept(tx: Tx, message: NewMessage, nowMs: number): Promise<StoreOutcome> {
    const former = message.formerId;
    if (former && (await tx.get(SQL.former, [former.id, nowMs - former.withinMs])) !== undefined) return { status: "duplicate" };
    const fingerprint = message.fingerprint ?? null;
    const json = message.payloadJson ?? JSON.stringify(message.payload);
    const store = async (id: string): Promise<StoreOutcome> => {
      const row = await tx.get<{ seq: number }>(SQL.insert, [id, message.agentKey, message.kind, json, fingerprint, nowMs]);
      return row ? { status: "stored", seq: row.seq, id } : { status: "duplicate" };
    };
    const first = await store(message.id);
    if (first.status === "stored" || fingerprint === null) return first;
    const stored = (await tx.get<{ fingerprint: string | null }>(SQL.fingerprint, [message.id]))?.fingerprint;
    if (stored === null || stored === undefined || stored === fingerprint) return first;
    return store(`${message.id}~${fingerprint}`);
  }

  /** The agent's oldest pending message, or undefined when it has none. */
  async next(agentKey: string): Promise<InboxMessage | undefined> {
    const row = await this.committed.get<Row>(SQL.next, [agentKey]);
    if (!row) return undefined;
    return {
      seq: row.seq,
      id: row.id,
      agentKey: row.agent_key,
      kind: row.kind,
      payload: JSON.parse(row.payload_json),
      attempts: row.attempts,
      receivedAtMs: row.received_at_ms,
    };
  }

  async markDone(tx: Tx, seq: number, nowMs: number): Promise<void> {
    await tx.run(SQL.done, [nowMs, seq]);
  }

  /** `attempts` counts every failed try, including the one that made it park. */
  async markParked(tx: Tx, id: string, attempts: number, reason: string, nowMs: number): Promise<void> {
    await tx.run(SQL.park, [attempts, reason, nowMs, id]);
  }

  /** Counts one failed (or crashed) attempt. */
  async recordFailure(tx: Tx, id: string, reason: string): Promise<void> {
    await tx.run(SQL.fail, [reason, id]);
  }

  /** Agents with messages waiting (those in scope), for recovery at start. */
  async keysWithPending(scope: AgentScope = {}): Promise<string[]> {
    if (scope.only !== undefined) return (await this.next(scope.only)) ? [scope.only] : [];
    const rows = await this.committed.all<{ agent_key: string }>(SQL.keys);
    return rows.map((row) => row.agent_key).filter((key) => inScope(scope, key));
  }

  /** Each agent's oldest pending message (agents in scope), without its payload. */
  async heads(scope: AgentScope = {}): Promise<InboxHead[]> {
    return this.headsOn(this.committed, scope);
  }

  /** As `heads`, inside a unit: what the unit's own transaction sees. */
  async headsIn(tx: Tx, scope: AgentScope = {}): Promise<InboxHead[]> {
    return this.headsOn(tx, scope);
  }

  /** Messages in a status: all agents', or one agent's. */
  async count(status: "pending" | "done" | "parked", agentKey?: string): Promise<number> {
    const row = agentKey === undefined
      ? await this.committed.get<{ n: number }>(SQL.count, [status])
      : await this.committed.get<{ n: number }>(SQL.countFor, [agentKey, status]);
    return row?.n ?? 0;
  }

  private async headsOn(sql: Sql, scope: AgentScope): Promise<InboxHead[]> {
    if (scope.only !== undefined) {
      const head = await sql.get<Row>(SQL.next, [scope.only]);
      return head ? [{ seq: head.seq, id: head.id, agentKey: head.agent_key, attempts: head.attempts }] : [];
    }
    const rows = await sql.all<InboxHead>(SQL.heads);
    return rows.filter((row) => inScope(scope, row.agentKey));
  }
}

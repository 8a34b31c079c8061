// The inbox table: messages stored once by id, taken per agent in arrival order, marked done or parked.
// These are synchronous statements; callers run writes inside a GroupCommitter unit.
//
// Deduplication: an id already stored is a duplicate, unless both carry a fingerprint and they
// differ: then the sender reused the id for another message (its id space was reset), which is
// stored as "<id>~<fingerprint>", so that its own redeliveries are duplicates in turn. Rows keep
// their id and fingerprint after an agent's history is erased (see AgentHistory), so deduplication
// outlives the content, until retention deletes the row.
import { type AgentScope, inScope } from "./agent-scope.js";
import type { Database } from "./database.js";

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

interface Row {
  seq: number;
  id: string;
  agent_key: string;
  kind: string;
  payload_json: string;
  attempts: number;
  received_at_ms: number;
}

export class Inbox {
  private readonly insert;
  private readonly fingerprintStmt;
  private readonly formerStmt;
  private readonly nextStmt;
  private readonly doneStmt;
  private readonly parkStmt;
  private readonly failStmt;
  private readonly keysStmt;
  private readonly headRowsStmt;
  private readonly countStmt;
  private readonly countForStmt;

  constructor(db: Database) {
    this.insert = db.prepare(
      `INSERT INTO inbox (id, agent_key, kind, payload_json, fingerprint, received_at_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.fingerprintStmt = db.prepare(`SELECT fingerprint FROM inbox WHERE id = ?`).pluck();
    this.formerStmt = db.prepare(`SELECT 1 FROM inbox WHERE id = ? AND received_at_ms >= ?`).pluck();
    this.nextStmt = db.prepare(
      `SELECT seq, id, agent_key, kind, payload_json, attempts, received_at_ms FROM inbox
       WHERE agent_key = ? AND status = 'pending' ORDER BY seq LIMIT 1`,
    );
    // By seq, the table's integer key: one b-tree step instead of a lookup through the id index.
    this.doneStmt = db.prepare(`UPDATE inbox SET status = 'done', completed_at_ms = ? WHERE seq = ?`);
    this.parkStmt = db.prepare(
      `UPDATE inbox SET status = 'parked', attempts = ?, last_error = ?, completed_at_ms = ? WHERE id = ?`,
    );
    this.failStmt = db.prepare(
      `UPDATE inbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'`,
    );
    this.keysStmt = db.prepare(`SELECT DISTINCT agent_key FROM inbox WHERE status = 'pending'`).pluck();
    // The oldest pending message of each agent: the only one that can have been running at a crash.
    this.headRowsStmt = db.prepare(
      `SELECT seq, id, agent_key AS agentKey, attempts FROM inbox
       WHERE seq IN (SELECT MIN(seq) FROM inbox WHERE status = 'pending' GROUP BY agent_key)`,
    );
    this.countStmt = db.prepare(`SELECT COUNT(*) FROM inbox WHERE status = ?`).pluck();
    this.countForStmt = db.prepare(`SELECT COUNT(*) FROM inbox WHERE agent_key = ? AND status = ?`).pluck();
  }

  /** Stores a message unless it was stored before (see the top of this file). Write: run inside a unit. */
  accept(message: NewMessage, nowMs: number): StoreOutcome {
    const former = message.formerId;
    if (former && this.formerStmt.get(former.id, nowMs - former.withinMs) !== undefined) return { status: "duplicate" };
    const fingerprint = message.fingerprint ?? null;
    const json = message.payloadJson ?? JSON.stringify(message.payload);
    const store = (id: string): StoreOutcome => {
      const info = this.insert.run(id, message.agentKey, message.kind, json, fingerprint, nowMs);
      return info.changes === 1 ? { status: "stored", seq: Number(info.lastInsertRowid), id } : { status: "duplicate" };
    };
    const first = store(message.id);
    if (first.status === "stored" || fingerprint === null) return first;
    const stored = this.fingerprintStmt.get(message.id) as string | null | undefined;
    if (stored === null || stored === undefined || stored === fingerprint) return first;
    return store(`${message.id}~${fingerprint}`);
  }

  /** The agent's oldest pending message, or undefined when it has none. */
  next(agentKey: string): InboxMessage | undefined {
    const row = this.nextStmt.get(agentKey) as Row | undefined;
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

  markDone(seq: number, nowMs: number): void {
    this.doneStmt.run(nowMs, seq);
  }

  /** `attempts` counts every failed try, including the one that made it park. */
  markParked(id: string, attempts: number, reason: string, nowMs: number): void {
    this.parkStmt.run(attempts, reason, nowMs, id);
  }

  /** Counts one failed (or crashed) attempt. */
  recordFailure(id: string, reason: string): void {
    this.failStmt.run(reason, id);
  }

  /** Agents with messages waiting (those in scope), for recovery at start. */
  keysWithPending(scope: AgentScope = {}): string[] {
    if (scope.only !== undefined) return this.next(scope.only) ? [scope.only] : [];
    return (this.keysStmt.all() as string[]).filter((key) => inScope(scope, key));
  }

  /** Each agent's oldest pending message (agents in scope), without its payload. */
  heads(scope: AgentScope = {}): Array<{ seq: number; id: string; agentKey: string; attempts: number }> {
    if (scope.only !== undefined) {
      const head = this.next(scope.only);
      return head ? [{ seq: head.seq, id: head.id, agentKey: head.agentKey, attempts: head.attempts }] : [];
    }
    const rows = this.headRowsStmt.all() as Array<{ seq: number; id: string; agentKey: string; attempts: number }>;
    return rows.filter((row) => inScope(scope, row.agentKey));
  }

  /** Messages in a status: all agents', or one agent's. */
  count(status: "pending" | "done" | "parked", agentKey?: string): number {
    return (agentKey === undefined ? this.countStmt.get(status) : this.countForStmt.get(agentKey, status)) as number;
  }
}

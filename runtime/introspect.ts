// Reads the runtime's tables for an operator (the admin CLI, the metrics): agents, parked messages,
// unsent and failed sends, armed timers, a message's journal. Read-only, on committed data (the
// store's `read`), so it is safe beside a running bot; the SQL is the same on SQLite and PostgreSQL.
import type { Sql } from "./store.js";

export interface AgentSummary {
  agentKey: string;
  pending: number;
  parked: number;
  /** When its latest stored message arrived (null: none is stored any more). */
  lastReceivedAtMs: number | null;
}

export interface StoredState {
  version: number;
  json: string;
  updatedAtMs: number;
}

export interface ParkedMessage {
  id: string;
  agentKey: string;
  kind: string;
  attempts: number;
  error: string | null;
  receivedAtMs: number;
  parkedAtMs: number | null;
  payload: unknown;
}

export type SendStatus = "pending" | "sending" | "sent" | "failed";

export interface SendRecord {
  id: number;
  agentKey: string;
  /** The inbox message whose handling wrote it. */
  messageId: string;
  status: SendStatus;
  attempts: number;
  nextAttemptAtMs: number;
  createdAtMs: number;
  sentAtMs: number | null;
  error: string | null;
  payload: unknown;
}

export interface ArmedTimer {
  id: string;
  agentKey: string;
  kind: string;
  fireAtMs: number;
  payload: unknown;
}

export interface StepRecord {
  seq: number;
  name: string;
  /** The recorded result as JSON text (null for a step that records none). */
  outputJson: string | null;
  errorJson: string | null;
  completedAtMs: number;
}

export interface MessageRecord {
  seq: number;
  id: string;
  kind: string;
  status: "pending" | "done" | "parked";
  attempts: number;
  error: string | null;
  receivedAtMs: number;
  completedAtMs: number | null;
  payload: unknown;
  steps: StepRecord[];
}

export interface OperatorActionRecord {
  id: number;
  action: "retry" | "drop" | "resend";
  targetId: string;
  agentKey: string;
  actor: string;
  atMs: number;
  previousError: string | null;
}

export class Introspection {
  constructor(private readonly read: Sql) {}

  /** Every agent that has stored messages or state, by key. */
  async agents(): Promise<AgentSummary[]> {
    const byKey = new Map<string, AgentSummary>();
    const rows = await this.read.all<AgentSummary>(
      `SELECT agent_key AS "agentKey", SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,
              SUM(CASE WHEN status = 'parked' THEN 1 ELSE 0 END) AS parked, MAX(received_at_ms) AS "lastReceivedAtMs"
       FROM inbox GROUP BY agent_key`,
    );
    for (const row of rows) byKey.set(row.agentKey, { ...row, pending: Number(row.pending), parked: Number(row.parked) });
    for (const { agentKey } of await this.read.all<{ agentKey: string }>(`SELECT agent_key AS "agentKey" FROM agent_state`)) {
      if (!byKey.has(agentKey)) byKey.set(agentKey, { agentKey, pending: 0, parked: 0, lastReceivedAtMs: null });
    }
    return [...byKey.values()];
  }

  state(agentKey: string): Promise<StoredState | undefined> {
    return this.read.get<StoredState>(
      `SELECT version, state_json AS json, updated_at_ms AS "updatedAtMs" FROM agent_state WHERE agent_key = ?`, [agentKey],
    );
  }

  /** Every agent's stored state, by key (the admin reads each chat's open dialog from it). */
  states(): Promise<Array<StoredState & { agentKey: string }>> {
    return this.read.all(
      `SELECT agent_key AS "agentKey", version, state_json AS json, updated_at_ms AS "updatedAtMs" FROM agent_state ORDER BY agent_key`,
    );
  }

  async parked(): Promise<ParkedMessage[]> {
    // A literal status, so that SQLite can use the partial index.
    const rows = await this.read.all<Omit<ParkedMessage, "payload"> & { payloadJson: string }>(
      `SELECT id, agent_key AS "agentKey", kind, attempts, last_error AS error, received_at_ms AS "receivedAtMs",
              completed_at_ms AS "parkedAtMs", payload_json AS "payloadJson"
       FROM inbox WHERE status = 'parked' ORDER BY seq`,
    );
    return rows.map(({ payloadJson, ...message }) => ({ ...message, payload: parseOrText(payloadJson) }));
  }

  /** Sends waiting or in flight, then those given up, each oldest first. */
  async unsentAndFailed(): Promise<SendRecord[]> {
    const unsent = await this.read.all<SendRow>(`SELECT ${SEND_COLUMNS} FROM outbox WHERE status IN ('pending', 'sending') ORDER BY id`);
    const failed = await this.read.all<SendRow>(`SELECT ${SEND_COLUMNS} FROM outbox WHERE status = 'failed' ORDER BY id`);
    return [...unsent, ...failed].map(toSend);
  }

  /** An agent's latest sends (any status), newest first. */
  async sendsOf(agentKey: string, limit: number): Promise<SendRecord[]> {
    const rows = await this.read.all<SendRow>(`SELECT ${SEND_COLUMNS} FROM outbox WHERE agent_key = ? ORDER BY id DESC LIMIT ?`, [agentKey, limit]);
    return rows.map(toSend);
  }

  async armedTimers(): Promise<ArmedTimer[]> {
    const rows = await this.read.all<Omit<ArmedTimer, "payload"> & { payloadJson: string }>(
      `SELECT id, agent_key AS "agentKey", kind, fire_at_ms AS "fireAtMs", payload_json AS "payloadJson" FROM timers
       WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL ORDER BY fire_at_ms, id`,
    );
    return rows.map(({ payloadJson, ...timer }) => ({ ...timer, payload: parseOrText(payloadJson) }));
  }

  /** An agent's latest messages, newest first, each with the steps its journal recorded. */
  async recentMessages(agentKey: string, limit: number): Promise<MessageRecord[]> {
    const messages = await this.read.all<Omit<MessageRecord, "payload" | "steps"> & { payloadJson: string }>(
      `SELECT seq, id, kind, status, attempts, last_error AS error, received_at_ms AS "receivedAtMs",
              completed_at_ms AS "completedAtMs", payload_json AS "payloadJson"
       FROM inbox WHERE agent_key = ? ORDER BY seq DESC LIMIT ?`,
      [agentKey, limit],
    );
    // The steps of all of them in one read: the same messages, joined to the journal.
    const steps = await this.read.all<StepRecord & { messageId: string }>(
      `SELECT j.message_id AS "messageId", j.seq, j.step_name AS name, j.output_json AS "outputJson", j.error_json AS "errorJson",
              j.completed_at_ms AS "completedAtMs"
       FROM journal j JOIN (SELECT id FROM inbox WHERE agent_key = ? ORDER BY seq DESC LIMIT ?) m ON j.message_id = m.id
       ORDER BY j.message_id, j.seq`,
      [agentKey, limit],
    );
    const stepsOf = new Map<string, StepRecord[]>();
    for (const { messageId, ...step } of steps) {
      const list = stepsOf.get(messageId) ?? [];
      list.push(step);
      stepsOf.set(messageId, list);
    }
    return messages.map(({ payloadJson, ...message }) => ({
      ...message,
      payload: parseOrText(payloadJson),
      steps: stepsOf.get(message.id) ?? [],
    }));
  }

  operatorActionsOf(agentKey: string): Promise<OperatorActionRecord[]> {
    return this.read.all(
      `SELECT id, action, target_id AS "targetId", agent_key AS "agentKey", actor, at_ms AS "atMs", previous_error AS "previousError"
       FROM operator_actions WHERE agent_key = ? ORDER BY id`,
      [agentKey],
    );
  }

  /** Parked messages (a partial index: cheap for the metrics). */
  async parkedCount(): Promise<number> {
    const row = await this.read.get<{ n: number }>(`SELECT COUNT(*) AS n FROM inbox WHERE status = 'parked'`);
    return Number(row?.n ?? 0);
  }

  /** Sends given up (refused, or failing for too long). */
  async failedSendCount(): Promise<number> {
    const row = await this.read.get<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'`);
    return Number(row?.n ?? 0);
  }
}

// Aliases in double quotes: PostgreSQL folds unquoted names to lower case.
const SEND_COLUMNS = `id, agent_key AS "agentKey", message_id AS "messageId", status, attempts, next_attempt_at_ms AS "nextAttemptAtMs",
  created_at_ms AS "createdAtMs", sent_at_ms AS "sentAtMs", last_error AS error, payload_json AS "payloadJson"`;

type SendRow = Omit<SendRecord, "payload"> & { payloadJson: string };

function toSend({ payloadJson, ...row }: SendRow): SendRecord {
  return { ...row, payload: parseOrText(payloadJson) };
}

/** Stored JSON, or the text itself should a row have been edited by hand into something else. */
function parseOrText(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

// Reads the runtime's tables for an operator (the admin CLI, the metrics): agents, parked messages,
// unsent and failed sends, armed timers, a message's journal. Read-only, so it is safe beside a
// running bot; every query is here, so another database can implement the same reads.
import type { Database } from "./database.js";

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
  private readonly s;

  constructor(db: Database) {
    this.s = {
      agents: db.prepare(
        `SELECT agent_key AS agentKey, SUM(status = 'pending') AS pending, SUM(status = 'parked') AS parked,
                MAX(received_at_ms) AS lastReceivedAtMs
         FROM inbox GROUP BY agent_key`,
      ),
      stateKeys: db.prepare(`SELECT agent_key FROM agent_state`).pluck(),
      state: db.prepare(`SELECT version, state_json AS json, updated_at_ms AS updatedAtMs FROM agent_state WHERE agent_key = ?`),
      // Literal statuses, so that SQLite can use the partial indexes.
      parked: db.prepare(
        `SELECT id, agent_key AS agentKey, kind, attempts, last_error AS error, received_at_ms AS receivedAtMs,
                completed_at_ms AS parkedAtMs, payload_json AS payloadJson
         FROM inbox WHERE status = 'parked' ORDER BY seq`,
      ),
      unsent: db.prepare(`SELECT ${SEND_COLUMNS} FROM outbox WHERE status IN ('pending', 'sending') ORDER BY id`),
      failed: db.prepare(`SELECT ${SEND_COLUMNS} FROM outbox WHERE status = 'failed' ORDER BY id`),
      sendsOf: db.prepare(`SELECT ${SEND_COLUMNS} FROM outbox WHERE agent_key = ? ORDER BY id DESC LIMIT ?`),
      timers: db.prepare(
        `SELECT id, agent_key AS agentKey, kind, fire_at_ms AS fireAtMs, payload_json AS payloadJson FROM timers
         WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL ORDER BY fire_at_ms, id`,
      ),
      messages: db.prepare(
        `SELECT seq, id, kind, status, attempts, last_error AS error, received_at_ms AS receivedAtMs,
                completed_at_ms AS completedAtMs, payload_json AS payloadJson
         FROM inbox WHERE agent_key = ? ORDER BY seq DESC LIMIT ?`,
      ),
      steps: db.prepare(
        `SELECT seq, step_name AS name, output_json AS outputJson, error_json AS errorJson, completed_at_ms AS completedAtMs
         FROM journal WHERE message_id = ? ORDER BY seq`,
      ),
      actionsOf: db.prepare(
        `SELECT id, action, target_id AS targetId, agent_key AS agentKey, actor, at_ms AS atMs, previous_error AS previousError
         FROM operator_actions WHERE agent_key = ? ORDER BY id`,
      ),
      parkedCount: db.prepare(`SELECT COUNT(*) FROM inbox WHERE status = 'parked'`).pluck(),
      failedCount: db.prepare(`SELECT COUNT(*) FROM outbox WHERE status = 'failed'`).pluck(),
    };
  }

  /** Every agent that has stored messages or state, by key. */
  agents(): AgentSummary[] {
    const byKey = new Map<string, AgentSummary>();
    for (const row of this.s.agents.all() as AgentSummary[]) byKey.set(row.agentKey, row);
    for (const key of this.s.stateKeys.all() as string[]) {
      if (!byKey.has(key)) byKey.set(key, { agentKey: key, pending: 0, parked: 0, lastReceivedAtMs: null });
    }
    return [...byKey.values()];
  }

  state(agentKey: string): StoredState | undefined {
    return this.s.state.get(agentKey) as StoredState | undefined;
  }

  parked(): ParkedMessage[] {
    return (this.s.parked.all() as Array<Omit<ParkedMessage, "payload"> & { payloadJson: string }>).map(({ payloadJson, ...message }) => ({
      ...message,
      payload: parseOrText(payloadJson),
    }));
  }

  /** Sends waiting or in flight, then those given up, each oldest first. */
  unsentAndFailed(): SendRecord[] {
    return [...this.s.unsent.all(), ...this.s.failed.all()].map((row) => toSend(row as SendRow));
  }

  /** An agent's latest sends (any status), newest first. */
  sendsOf(agentKey: string, limit: number): SendRecord[] {
    return this.s.sendsOf.all(agentKey, limit).map((row) => toSend(row as SendRow));
  }

  armedTimers(): ArmedTimer[] {
    return (this.s.timers.all() as Array<Omit<ArmedTimer, "payload"> & { payloadJson: string }>).map(({ payloadJson, ...timer }) => ({
      ...timer,
      payload: parseOrText(payloadJson),
    }));
  }

  /** An agent's latest messages, newest first, each with the steps its journal recorded. */
  recentMessages(agentKey: string, limit: number): MessageRecord[] {
    return (this.s.messages.all(agentKey, limit) as Array<Omit<MessageRecord, "payload" | "steps"> & { payloadJson: string }>).map(
      ({ payloadJson, ...message }) => ({
        ...message,
        payload: parseOrText(payloadJson),
        steps: this.s.steps.all(message.id) as StepRecord[],
      }),
    );
  }

  operatorActionsOf(agentKey: string): OperatorActionRecord[] {
    return this.s.actionsOf.all(agentKey) as OperatorActionRecord[];
  }

  /** Parked messages (a partial index: cheap for the metrics). */
  parkedCount(): number {
    return this.s.parkedCount.get() as number;
  }

  /** Sends given up (refused, or failing for too long). */
  failedSendCount(): number {
    return this.s.failedCount.get() as number;
  }
}

const SEND_COLUMNS = `id, agent_key AS agentKey, message_id AS messageId, status, attempts, next_attempt_at_ms AS nextAttemptAtMs,
  created_at_ms AS createdAtMs, sent_at_ms AS sentAtMs, last_error AS error, payload_json AS payloadJson`;

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

// What the admin CLI shows, read from the bot's database: a row per chat, one chat in detail (its
// dialog, recent messages with their journal steps, pending sends), parked messages, unsent and
// failed sends, armed timers. Reads only, of committed data, in SQL that SQLite and PostgreSQL share;
// the runtime's tables through runtime/introspect.ts, the media tracker's own (entries, the chat
// state's shape) here. Times are ISO 8601 strings.
import { DIALOGS } from "../../agents/media-tracker/dialogs/index.js";
import type { ChatState } from "../../agents/media-tracker/state.js";
import { Introspection, type MessageRecord, type SendRecord, type StoredState } from "../../runtime/index.js";
import type { Sql } from "../../runtime/store.js";
import { describeIncoming, describeJson, describeOutgoing } from "./summaries.js";

export interface ChatRow {
  chatId: string;
  entries: number;
  /** The open dialog's name, or null. */
  dialog: string | null;
  lastActivityAt: string | null;
  pending: number;
  parked: number;
}

export interface ParkedRow {
  id: string;
  chatId: string;
  attempts: number;
  error: string | null;
  kind: string;
  /** What the message was: the text typed, the button pressed, the file sent. */
  what: string;
  receivedAt: string;
  parkedAt: string | null;
}

export interface SendRow {
  id: number;
  chatId: string;
  status: "pending" | "sending" | "sent" | "failed";
  attempts: number;
  /** The reply's text, or the document's name. */
  what: string;
  error: string | null;
  createdAt: string;
  /** When a pending send is tried next (null once sent or failed). */
  nextAttemptAt: string | null;
}

export interface TimerRow {
  id: string;
  chatId: string;
  kind: string;
  fireAt: string;
}

export interface StepRow {
  seq: number;
  name: string;
  output: string | null;
  error: string | null;
}

export interface MessageRow {
  id: string;
  kind: string;
  what: string;
  /** "dropped": parked, then given up by an operator. */
  status: "pending" | "done" | "parked" | "dropped";
  attempts: number;
  error: string | null;
  receivedAt: string;
  completedAt: string | null;
  steps: StepRow[];
  /** What handling it sent, in order. */
  sends: SendRow[];
}

export interface ActionRow {
  action: "retry" | "drop" | "resend";
  targetId: string;
  by: string;
  at: string;
  previousError: string | null;
}

export interface ChatDetail {
  chatId: string;
  entries: number;
  state: {
    /** The stored state's version (null: the chat never changed its state). */
    version: number | null;
    updatedAt: string | null;
    /** The open dialog: its name, the step it waits on (0-based) and that field's name. */
    dialog: { name: string; step: number; field: string | null; answers: string[] } | null;
    /** Other things the chat waits on: a command held by "drop the dialog?", an import to confirm, requests for the model. */
    waiting: string[];
  };
  messages: MessageRow[];
  /** Sends not delivered yet, and failed ones. */
  pendingSends: SendRow[];
  timers: TimerRow[];
  operatorActions: ActionRow[];
}

/** What the admin CLI reads, from either database. */
export interface AdminReadModel {
  chats(): Promise<ChatRow[]>;
  /** Undefined when the database knows nothing of the chat. */
  show(chatId: string, recent?: number): Promise<ChatDetail | undefined>;
  parked(): Promise<ParkedRow[]>;
  outbox(): Promise<SendRow[]>;
  timers(): Promise<TimerRow[]>;
}

/** `read`: the store's committed reads. */
export function createReadModel(read: Sql): AdminReadModel {
  const runtime = new Introspection(read);
  const entriesByChat = async () => {
    const rows = await read.all<{ chatId: string; n: number }>(`SELECT chat_id AS "chatId", COUNT(*) AS n FROM entries GROUP BY chat_id`);
    return new Map(rows.map((r) => [r.chatId, Number(r.n)]));
  };
  const entriesOf = async (chatId: string) =>
    Number((await read.get<{ n: number }>(`SELECT COUNT(*) AS n FROM entries WHERE chat_id = ?`, [chatId]))?.n ?? 0);
  // The open dialog's name, read from the state's JSON here (not in SQL, which the two databases spell differently).
  const dialogs = async () => {
    const names = new Map<string, string>();
    for (const stored of await runtime.states()) {
      const name = dialogOf(stored);
      if (name !== null) names.set(stored.agentKey, name);
    }
    return names;
  };

  return {
    async chats() {
      const [entries, open, agents] = [await entriesByChat(), await dialogs(), await runtime.agents()];
      const rows = new Map<string, ChatRow>();
      for (const agent of agents) {
        rows.set(agent.agentKey, {
          chatId: agent.agentKey,
          entries: entries.get(agent.agentKey) ?? 0,
          dialog: open.get(agent.agentKey) ?? null,
          lastActivityAt: iso(agent.lastReceivedAtMs),
          pending: agent.pending,
          parked: agent.parked,
        });
      }
      // A chat whose messages were all pruned still has its entries.
      for (const [chatId, n] of entries) {
        if (!rows.has(chatId)) rows.set(chatId, { chatId, entries: n, dialog: open.get(chatId) ?? null, lastActivityAt: null, pending: 0, parked: 0 });
      }
      return [...rows.values()].sort(
        (a, b) => (b.lastActivityAt ?? "").localeCompare(a.lastActivityAt ?? "") || a.chatId.localeCompare(b.chatId),
      );
    },

    async show(chatId, recent = 10) {
      const stored = await runtime.state(chatId);
      const messages = await runtime.recentMessages(chatId, recent);
      const entries = await entriesOf(chatId);
      const sends = await runtime.sendsOf(chatId, 500);
      if (!stored && messages.length === 0 && entries === 0 && sends.length === 0) return undefined;
      const actions = await runtime.operatorActionsOf(chatId);
      const timers = await runtime.armedTimers();
      const dropped = new Set(actions.filter((a) => a.action === "drop").map((a) => a.targetId));
      const sendsOf = (messageId: string) => sends.filter((x) => x.messageId === messageId).reverse().map(sendRow);
      return {
        chatId,
        entries,
        state: describeState(stored),
        messages: messages.map((m) => messageRow(m, dropped.has(m.id), sendsOf(m.id))),
        pendingSends: sends.filter((x) => x.status !== "sent").reverse().map(sendRow),
        timers: timers.filter((t) => t.agentKey === chatId).map(timerRow),
        operatorActions: actions.map((a) => ({ action: a.action, targetId: a.targetId, by: a.actor, at: iso(a.atMs)!, previousError: a.previousError })),
      };
    },

    parked: async () =>
      (await runtime.parked()).map((m) => ({
        id: m.id,
        chatId: m.agentKey,
        attempts: m.attempts,
        error: m.error,
        kind: m.kind,
        what: describeIncoming(m.kind, m.payload),
        receivedAt: iso(m.receivedAtMs)!,
        parkedAt: iso(m.parkedAtMs),
      })),

    outbox: async () => (await runtime.unsentAndFailed()).map(sendRow),

    timers: async () => (await runtime.armedTimers()).map(timerRow),
  };
}

/** The open dialog's name in a stored chat state, if it has one (a state that is not JSON has none). */
function dialogOf(stored: StoredState): string | null {
  try {
    const name = (JSON.parse(stored.json) as ChatState | null)?.dialog?.name;
    return name === undefined || name === null ? null : String(name);
  } catch {
    return null;
  }
}

function describeState(stored: StoredState | undefined): ChatDetail["state"] {
  if (!stored) return { version: null, updatedAt: null, dialog: null, waiting: [] };
  let state: ChatState = {};
  try {
    state = JSON.parse(stored.json) as ChatState;
  } catch {
    // Shown as having no dialog; the bot itself reports a state it cannot read.
  }
  const open = state.dialog;
  const waiting: string[] = [];
  if (state.pendingCommand !== undefined) waiting.push(`command held until the dialog question is answered: ${state.pendingCommand}`);
  if (state.pendingImport) waiting.push(`import waiting for its confirmation: ${state.pendingImport.summary.split("\n")[0] ?? ""}`);
  const forModel = state.llm?.waiting?.length ?? 0;
  if (forModel > 0) waiting.push(`${forModel} request${forModel === 1 ? "" : "s"} waiting for the language model`);
  return {
    version: stored.version,
    updatedAt: iso(stored.updatedAtMs),
    dialog: open
      ? {
          name: open.name,
          step: open.step,
          field: DIALOGS.get(open.name)?.fields[open.step]?.name ?? null,
          answers: Object.keys(open.data ?? {}),
        }
      : null,
    waiting,
  };
}

function messageRow(m: MessageRecord, dropped: boolean, sends: SendRow[]): MessageRow {
  return {
    id: m.id,
    kind: m.kind,
    what: describeIncoming(m.kind, m.payload),
    status: dropped && m.status === "done" ? "dropped" : m.status,
    attempts: m.attempts,
    error: m.error,
    receivedAt: iso(m.receivedAtMs)!,
    completedAt: iso(m.completedAtMs),
    steps: m.steps.map((step) => ({ seq: step.seq, name: step.name, output: describeJson(step.outputJson), error: describeJson(step.errorJson) })),
    sends,
  };
}

function sendRow(x: SendRecord): SendRow {
  return {
    id: x.id,
    chatId: x.agentKey,
    status: x.status,
    attempts: x.attempts,
    what: describeOutgoing(x.payload),
    error: x.error,
    createdAt: iso(x.createdAtMs)!,
    nextAttemptAt: x.status === "pending" || x.status === "sending" ? iso(x.nextAttemptAtMs) : null,
  };
}

function timerRow(t: { id: string; agentKey: string; kind: string; fireAtMs: number }): TimerRow {
  return { id: t.id, chatId: t.agentKey, kind: t.kind, fireAt: iso(t.fireAtMs)! };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

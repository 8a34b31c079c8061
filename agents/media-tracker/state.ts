// The chat agent's stored state. Dialog progress lives here (not in a replay log), versioned per
// dialog so that a deploy that changes a dialog can tell an old one from a current one. Fields are
// optional and additive: a state saved before a field existed reads as "not set".
import type { Offer } from "./dialogs/lookup.js";
import type { ChatMessage } from "./llm/model.js";

export interface DialogState {
  /** Which dialog (e.g. "add_movie"). */
  name: string;
  /** The dialog's version when it started; compared with the running code's. */
  version: number;
  /** Index of the field being asked. */
  step: number;
  /** Answers so far, by field name. */
  data: Record<string, unknown>;
  /** The armed expiry timer, so that answering can re-arm it and an old timer is ignored. */
  expiryTimerId?: string;
  /** The member who started it (in a group, only they answer it; see group.ts). Unset in dialogs from before owners were kept. */
  owner?: { id: number; name?: string };
  /** Provider matches offered as buttons under the question of `offer.step` (see dialogs/lookup.ts). */
  offer?: Offer;
}

export interface ListState {
  /** What the last list showed, so its page buttons need only an offset. */
  kind?: "book" | "movie" | "show" | "quote";
  status?: string;
  text?: string;
  title: string;
  /** In its page buttons ("pg:<token>:<offset>"), so that an older list's buttons are told apart. */
  token?: string;
}

/** One turn the person saw: what they wrote, or what the bot answered (conversation memory). */
export interface LlmMemoryTurn {
  role: "user" | "assistant";
  content: string;
}

/** A plain-language request in progress: the model's conversation so far, kept so it can go on later. */
export interface LlmConversation {
  /** What the person wrote (the request this conversation answers). */
  userText: string;
  /** The messages after the system prompt (memory, the request, the model's tool calls and their results); built at the first model call. */
  messages?: ChatMessage[];
  /** What the person saw of it (request, questions, answers), added to the memory when it ends. */
  transcript: LlmMemoryTurn[];
  /** Model answers with invalid tool calls so far (the second one ends it with a question to the person). */
  invalid: number;
  /** Model calls so far. */
  rounds: number;
  /** When the person sent it (told to the model when it is answered late). */
  receivedAtMs?: number;
  /** Calls of tools that change the list, refused ones included. */
  writesTried?: number;
  /** Changes the tools really made (each shown to the person as a receipt). */
  changes?: number;
}

export interface LlmState {
  /** The last turns of the chat, the model's context (bounded by tokens; /cancel and /forget clear it). */
  turns?: LlmMemoryTurn[];
  /** A question the model asked with buttons ("lc:<token>:<n>"); the answer continues its conversation. */
  question?: { token: string; choices: string[]; conversation: LlmConversation };
  /** Requests waiting for the model to be reachable again (or for a dialog or question to end), oldest first. */
  waiting?: LlmConversation[];
  /** When the first waiting request could not be answered (the give-up clock). */
  waitingSinceMs?: number;
  /** The armed "llm-retry" timer; only this one counts. */
  retryTimerId?: string;
  /** When that timer is due. */
  retryAtMs?: number;
  /** Not before this: the server's Retry-After. */
  notBeforeMs?: number;
  /** Retries so far (for the backoff). */
  retries?: number;
}

export interface ChatState {
  dialog?: DialogState;
  /** A command typed during a dialog, waiting for "drop the dialog?" to be answered. */
  pendingCommand?: string;
  /** The last list shown (for its page buttons). */
  list?: ListState;
  /** The token of the last "/forget: are you sure?" question; only its buttons count. */
  forgetToken?: string;
  /** An import read and summarized, waiting for its confirmation button. */
  pendingImport?: { id: string; summary: string };
  /** The language model's conversation memory and pending work (only with a model set up). */
  llm?: LlmState;
  /** `/export weekly`: when the next export is due and the timer armed for it (only this one counts). */
  exportSchedule?: { every: "week"; nextAtMs: number; timerId: string };
  /** Shows' aired episodes at the last new-episode check, by entry id: the highest aired number per season (for /progress). */
  airedEpisodes?: Record<string, Record<string, number>>;
  /** The system agent of the new-episode check (alerts/check.ts): its armed timer. Unused in chats. */
  episodeCheck?: { timerId: string; atMs: number };
}

/** Bump when ChatState's shape changes incompatibly, and teach migrateState the old shape. */
export const CHAT_STATE_VERSION = 1;

export function initialChatState(): ChatState {
  return {};
}

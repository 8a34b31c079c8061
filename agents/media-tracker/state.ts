// The chat agent's stored state. Dialog progress lives here (not in a replay log), versioned per
// dialog so that a deploy that changes a dialog can tell an old one from a current one. Fields are
// optional and additive: a state saved before a field existed reads as "not set".

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
}

export interface ListState {
  /** What the last list showed, so its page buttons need only an offset. */
  kind?: "book" | "movie" | "show" | "quote";
  status?: string;
  text?: string;
  title: string;
}

export interface ChatState {
  dialog?: DialogState;
  /** A command typed during a dialog, waiting for "drop the dialog?" to be answered. */
  pendingCommand?: string;
  /** The last list shown (for its page buttons). */
  list?: ListState;
  /** The token of the last "/forget: are you sure?" question; only its buttons count. */
  forgetToken?: string;
  /** An import read and summarised, waiting for its confirmation button. */
  pendingImport?: { id: string; summary: string };
}

/** Bump when ChatState's shape changes incompatibly, and teach migrateState the old shape. */
export const CHAT_STATE_VERSION = 1;

export function initialChatState(): ChatState {
  return {};
}

// The chat agent's stored state. Dialog progress lives here (not in a replay log), versioned per
// dialog so that a deploy that changes a dialog can tell an old one from a current one.

export interface DialogState {
  /** Which dialog (e.g. "add_movie"). */
  name: string;
  /** The dialog's version when it started; compared with the running code's. */
  version: number;
  /** Index of the field being asked. */
  step: number;
  /** Answers so far, by field name. */
  data: Record<string, unknown>;
}

export interface ChatState {
  dialog?: DialogState;
}

/** Bump when ChatState's shape changes, and teach migrateState the old shape. */
export const CHAT_STATE_VERSION = 1;

export function initialChatState(): ChatState {
  return {};
}

// What the agent says to a chat, as plain JSON stored in the outbox. The application turns each
// one into a Bot API call (src/telegram/deliver.ts) or prints it (the console chat).

export interface Button {
  text: string;
  /** callback_data: at most 64 bytes. */
  data: string;
}

export type Outgoing =
  | { type: "text"; text: string; buttons?: Button[][] }
  /** Stops the spinner on a pressed button, optionally with a short toast. */
  | { type: "answer-button"; callbackQueryId: string; text?: string }
  /** Removes the buttons under one of the bot's earlier messages. */
  | { type: "clear-buttons"; messageId: number }
  /**
   * Replaces the text and buttons of one of the bot's earlier messages (a list's next page, a card
   * after a change); at most MAX_TEXT_LENGTH characters. Sent as a new message when Telegram can no
   * longer edit it.
   */
  | { type: "edit-text"; messageId: number; text: string; buttons?: Button[][] }
  | { type: "document"; fileName: string; content: string; caption?: string }
  | { type: "typing" };

/** Telegram refuses messages over 4096 characters; longer texts are split at line ends. */
export const MAX_TEXT_LENGTH = 4096;

export function text(body: string, buttons?: Button[][]): Outgoing[] {
  const parts = splitText(body);
  return parts.map((part, i) => (buttons && i === parts.length - 1 ? { type: "text", text: part, buttons } : { type: "text", text: part }));
}

export function splitText(body: string, limit = MAX_TEXT_LENGTH): string[] {
  const parts: string[] = [];
  let rest = body;
  while (rest.length > limit) {
    const cut = rest.lastIndexOf("\n", limit);
    const at = cut > limit / 2 ? cut : limit;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, "");
  }
  parts.push(rest);
  return parts;
}

// What the agent says to a chat, as plain JSON stored in the outbox. The application turns each
// one into a Bot API call (src/telegram/deliver.ts) or prints it (the console chat).

export interface Button {
  text: string;
  /** callback_data: at most 64 bytes. */
  data: string;
}

/** How a question in a group reaches the person asked (see Turn.ask). */
export interface AskFor {
  /** Their message this answers: Telegram shows the question as a reply to it. */
  replyTo?: number;
  /** Opens the reply field for them (Telegram's force_reply, selective): their answer then reaches the bot in privacy mode. */
  forceReply?: true;
}

export type Outgoing =
  | ({ type: "text"; text: string; buttons?: Button[][] } & AskFor)
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
  /**
   * A picture, with a short caption: either by its https `url` (an entry's cover: Telegram fetches it, and
   * one it cannot fetch is skipped, which is why a cover is only ever sent beside text that says it all),
   * or uploaded as PNG bytes in `base64` named `fileName` (the /stats charts, kept small by stats/charts.ts).
   */
  | ({ type: "photo"; caption?: string } & PhotoSource)
  | { type: "typing" };

/** Where a photo comes from: a URL Telegram fetches, or bytes uploaded with the call. */
export type PhotoSource = { url: string } | { fileName: string; base64: string };

/**
 * Telegram refuses messages over 4096 characters (counted in UTF-16 units, so an emoji counts two)
 * and answers 400 to a text with half a surrogate pair: the reply is then lost. Longer texts are split.
 */
export const MAX_TEXT_LENGTH = 4096;

/** A text as messages; the buttons and `askFor` go with the last part, which ends with the question. */
export function text(body: string, buttons?: Button[][], askFor: AskFor = {}): Outgoing[] {
  const parts = splitText(body);
  return parts.map((part, i) => (i === parts.length - 1 ? { type: "text", text: part, ...(buttons ? { buttons } : {}), ...askFor } : { type: "text", text: part }));
}

/**
 * Splits a text into parts of at most `limit` UTF-16 units: at the last line break in the second
 * half of a part, else at the last space there, else between two characters as a person sees them
 * (never inside a surrogate pair, an accented letter or an emoji sequence). The break itself is dropped.
 */
export function splitText(body: string, limit = MAX_TEXT_LENGTH): string[] {
  const parts: string[] = [];
  let rest = body;
  while (rest.length > limit) {
    const cut = cutPoint(rest, limit);
    parts.push(rest.slice(0, cut));
    rest = rest.slice(rest[cut] === "\n" || rest[cut] === " " ? cut + 1 : cut);
  }
  parts.push(rest);
  return parts;
}

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

function cutPoint(text: string, limit: number): number {
  const half = Math.floor(limit / 2);
  const line = text.lastIndexOf("\n", limit);
  if (line > half) return line;
  const space = text.lastIndexOf(" ", limit);
  if (space > half) return space;
  // The last character boundary at or before the limit; segments only start in the looked-at window.
  let boundary = 0;
  for (const { index } of graphemes.segment(text.slice(0, limit + 64))) {
    if (index > limit) break;
    boundary = index;
  }
  if (boundary > 0) return boundary;
  // One "character" longer than a whole part (a pile of combining marks): cut between code points.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

// One short line for what a stored message or send was, for the admin CLI: the text typed, the
// button pressed, the file sent, the timer that fired; the reply's text or the document's name.
// Stored payloads are read defensively: a row is whatever was stored, however old (a chat event,
// or a raw Telegram update from before events were stored).

const PREVIEW = 60;

/** `"/add_movie"`, `button ex:csv`, `file books.csv`, `timer dialog-expiry`. */
export function describeIncoming(kind: string, payload: unknown): string {
  const stored = asObject(payload);
  if (kind === "timer") return `timer ${String(stored.kind ?? "?")}`;
  // A chat event (stored since the front door translates updates), else a raw update (rows from before).
  const event = asObject(stored.event);
  if (typeof event.type === "string") return describeEvent(kind, event);
  const callback = asObject(stored.callback_query);
  if (typeof callback.data === "string") return `button ${preview(callback.data)}`;
  const message = asObject(stored.message ?? stored.edited_message ?? stored.channel_post);
  if (typeof message.text === "string") return quoted(message.text);
  const document = asObject(message.document);
  if (typeof document.file_name === "string") return `file ${preview(document.file_name)}`;
  if (message.document !== undefined) return "file";
  return `(${kind})`;
}

function describeEvent(kind: string, event: Record<string, unknown>): string {
  if (event.type === "button" && typeof event.data === "string") return `button ${preview(event.data)}`;
  if ((event.type === "text" || event.type === "edited") && typeof event.text === "string") return quoted(event.text);
  if (event.type === "document") {
    const name = asObject(event.file).fileName;
    return typeof name === "string" ? `file ${preview(name)}` : "file";
  }
  return `(${kind})`;
}

/** `"Saved the movie: …"`, `document media-tracker.csv`, `button answer`. */
export function describeOutgoing(payload: unknown): string {
  const out = asObject(payload);
  switch (out.type) {
    case "text":
      return quoted(String(out.text ?? ""));
    case "document":
      return `document ${String(out.fileName ?? "?")}`;
    case "answer-button":
      return typeof out.text === "string" ? `button answer ${quoted(out.text)}` : "button answer";
    case "clear-buttons":
      return "remove buttons";
    case "typing":
      return "typing…";
    default:
      return preview(JSON.stringify(payload) ?? "?");
  }
}

/** A stored JSON value (a journal step's output or error) cut to one short line. */
export function describeJson(json: string | null): string | null {
  return json === null ? null : preview(json, 100);
}

export function preview(text: string, max = PREVIEW): string {
  const line = printable(text.replace(/\s+/g, " ").trim());
  const chars = Array.from(line); // whole code points: an emoji is never cut in half
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : line;
}

/**
 * Control characters and direction overrides shown as "\u{…}": whatever people typed reaches the
 * operator's terminal, and an escape sequence in it must not drive the terminal.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function quoted(text: string): string {
  return `"${preview(text)}"`;
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

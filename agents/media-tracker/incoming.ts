// What a chat said, as the agent reads it: a chat event (a text or command, a button press, a file,
// an edit, something it does not handle). The front door translates each Telegram update into one
// once and stores it beside the raw update; the agent never reads Telegram's shape itself.
import type { SentFile } from "./routes.js";

/** Stored with every event; a payload of another version (or none) is translated again from its raw update. */
export const EVENT_VERSION = 1;

/** Stored as JSON in the inbox: optional fields are absent, never undefined. */
export type ChatEvent =
  | { type: "text"; text: string; messageId: number; sender?: Sender }
  | { type: "button"; data: string; callbackQueryId: string; messageId?: number; sender: Sender }
  /** A file sent to the bot (an import). */
  | { type: "document"; file: SentFile; messageId: number; sender?: Sender }
  /** A message without text (a photo, a sticker): the bot says what it understands. */
  | { type: "unsupported"; messageId: number; sender?: Sender }
  /** A message the person edited after sending it: the edit is not taken, and they are told so. */
  | { type: "edited"; text?: string; messageId: number; sender?: Sender; privateChat: boolean }
  /** An update that needs no answer (a member change, a channel post). */
  | { type: "ignored" };

/** Who sent a message or pressed a button: in a group, dialogs and deleting everything depend on it. */
export interface Sender {
  id: number;
  /** Their first name, for "This question is for Alice." */
  name?: string;
  /** Sent "as the group" (an anonymous group admin: Telegram shows the group, not the person). */
  asGroup?: true;
}

/** An inbox message's payload: the event, and the Telegram update it came from (none from the console). */
export interface EventPayload {
  eventVersion: typeof EVENT_VERSION;
  event: ChatEvent;
  update?: unknown;
}

/** Translates a raw Telegram update (the front door's translation, given to the agent as a dependency). */
export type UpdateReader = (update: unknown) => ChatEvent;

export function eventPayload(event: ChatEvent, update?: unknown): EventPayload {
  return update === undefined ? { eventVersion: EVENT_VERSION, event } : { eventVersion: EVENT_VERSION, event, update };
}

/** `eventPayload(event, update)` as JSON text, with the update's own text inside as it came (not serialised again). */
export function eventPayloadJson(event: ChatEvent, updateJson: string): string {
  return `{"eventVersion":${EVENT_VERSION},"event":${JSON.stringify(event)},"update":${updateJson}}`;
}

/**
 * The event of a stored payload. A row stored before events were (its payload is the raw update),
 * or with an event of another version, is translated from its raw update by `readUpdate`: always
 * the same event for the same row, so a message in progress replays as it ran.
 */
export function readEvent(payload: unknown, readUpdate: UpdateReader): ChatEvent {
  if (typeof payload !== "object" || payload === null) return { type: "ignored" };
  const stored = payload as Partial<EventPayload>;
  if (stored.eventVersion === EVENT_VERSION && typeof stored.event === "object" && stored.event !== null) return stored.event;
  // Another version keeps its raw update beside its event; an old row is the raw update.
  const update = stored.eventVersion !== undefined ? stored.update : payload;
  return update === undefined ? { type: "ignored" } : readUpdate(update);
}

/**
 * "/add_movie@my_bot extra" → { name: "add_movie", args: "extra", bot: "my_bot" }; not a command →
 * undefined. `bot` is the username the command was addressed to, if any (in a group, "@name" picks a bot).
 */
export function readCommand(text: string): { name: string; args: string; bot?: string } | undefined {
  const match = /^\/([a-z0-9_]+)(?:@(\w+))?(?:\s+([\s\S]*))?$/i.exec(text.trim());
  if (!match) return undefined;
  return { name: match[1]!.toLowerCase(), args: (match[3] ?? "").trim(), ...(match[2] ? { bot: match[2] } : {}) };
}

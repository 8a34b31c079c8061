// Translates a Telegram update once, at the front door, in one zod pass: its update_id, its kind,
// the chat it belongs to, and the chat event the agent reads (agents/media-tracker/incoming.ts).
// What routing needs is checked strictly (a body without it is no update); a field only the event
// reads is taken as absent when it has the wrong type. The update itself is stored as it came.
import { z } from "zod";
import type { ChatEvent, Sender } from "../../agents/media-tracker/incoming.js";
import type { SentFile } from "../../agents/media-tracker/routes.js";

/** A field only the event reads: absent when missing or of the wrong type, never a refusal. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

const chatRef = z.object({ id: z.number().int() });
const userRef = z.object({ id: z.number().int() });
/** The route reads the id; the event also the first name. */
const user = z.object({ id: z.number().int(), first_name: lenient(z.string()) });
const withChat = z.object({ chat: chatRef, from: userRef.optional() });

const message = z.object({
  chat: z.object({ id: z.number().int(), type: lenient(z.string()) }),
  from: user.optional(),
  message_id: lenient(z.number().int()),
  sender_chat: lenient(chatRef),
  text: lenient(z.string()),
  document: lenient(z.object({
    file_id: z.string(),
    file_name: lenient(z.string()),
    file_size: lenient(z.number()),
    mime_type: lenient(z.string()),
  })),
});

const updateSchema = z.object({
  update_id: z.number().int().nonnegative(),
  message: message.optional(),
  edited_message: message.optional(),
  channel_post: withChat.optional(),
  edited_channel_post: withChat.optional(),
  business_message: withChat.optional(),
  callback_query: z.object({
    id: z.string(),
    from: user,
    data: lenient(z.string()),
    message: withChat.extend({ message_id: lenient(z.number().int()) }).optional(),
  }).optional(),
  my_chat_member: withChat.optional(),
  chat_member: withChat.optional(),
  chat_join_request: withChat.optional(),
  message_reaction: z.object({ chat: chatRef }).optional(),
  inline_query: z.object({ from: userRef }).optional(),
});

type Update = z.infer<typeof updateSchema>;

export type UpdateRoute =
  /** `event`: what the chat's agent reads of this update, stored beside it. */
  | { status: "routed"; updateId: number; kind: string; chatId: string; event: ChatEvent }
  /** A valid update that belongs to no chat (a poll, an inline query): acknowledged, not stored. */
  | { status: "unroutable"; updateId: number; kind: string };

export type ParsedUpdate = { ok: true; update: Record<string, unknown>; route: UpdateRoute } | { ok: false; error: string };

/** Checks that a parsed JSON body is an update, finds its chat and translates it into a chat event. */
export function parseUpdate(body: unknown): ParsedUpdate {
  const result = updateSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, error: `not a Telegram update: ${issue?.path.join(".") || "body"} ${issue?.message ?? ""}`.trim() };
  }
  const u = result.data;
  const update = body as Record<string, unknown>;
  const kind = kindOf(update);
  const chat =
    u.message?.chat ?? u.edited_message?.chat ?? u.channel_post?.chat ?? u.edited_channel_post?.chat ??
    u.business_message?.chat ?? u.callback_query?.message?.chat ?? u.my_chat_member?.chat ??
    u.chat_member?.chat ?? u.chat_join_request?.chat ?? u.message_reaction?.chat;
  // A button under an inline message has no chat; its presser's private chat has the user's id.
  const chatId = chat?.id ?? u.callback_query?.from.id;
  const route: UpdateRoute = chatId === undefined
    ? { status: "unroutable", updateId: u.update_id, kind }
    : { status: "routed", updateId: u.update_id, kind, chatId: String(chatId), event: chatEventOf(u) };
  return { ok: true, update, route };
}

/** The update's first field but update_id, from the body: the schema drops kinds it does not know, and those are updates too. */
function kindOf(update: Record<string, unknown>): string {
  for (const key in update) if (key !== "update_id") return key;
  return "empty";
}

/** The event of an update already known to be one; anything else is "ignored". */
export function translateUpdate(update: unknown): ChatEvent {
  const result = updateSchema.safeParse(update);
  return result.success ? chatEventOf(result.data) : { type: "ignored" };
}

function chatEventOf(u: Update): ChatEvent {
  // Telegram sends one kind per update; a forged body with several is read in this order.
  if (u.message) return messageEvent(u.message);
  if (u.callback_query) return buttonEvent(u.callback_query);
  if (u.edited_message) return editEvent(u.edited_message);
  return { type: "ignored" };
}

// The events are built field by field, without spreads: this runs for every update.

type Message = z.infer<typeof message>;

function messageEvent(m: Message): ChatEvent {
  if (m.message_id === undefined) return { type: "ignored" };
  // An anonymous group admin writes as the group itself: sender_chat is the chat.
  const sender = senderOf(m.from, m.sender_chat !== undefined && m.sender_chat.id === m.chat.id);
  let event: ChatEvent;
  if (m.document) {
    const d = m.document;
    const file: SentFile = { fileId: d.file_id };
    if (d.file_name !== undefined) file.fileName = d.file_name;
    if (d.file_size !== undefined) file.fileSize = d.file_size;
    if (d.mime_type !== undefined) file.mimeType = d.mime_type;
    event = { type: "document", file, messageId: m.message_id };
  } else if (m.text === undefined) {
    event = { type: "unsupported", messageId: m.message_id };
  } else {
    event = { type: "text", text: m.text, messageId: m.message_id };
  }
  if (sender) event.sender = sender;
  return event;
}

function buttonEvent(q: NonNullable<Update["callback_query"]>): ChatEvent {
  const event: ChatEvent = { type: "button", data: q.data ?? "", callbackQueryId: q.id, sender: senderOf(q.from, false)! };
  const messageId = q.message?.message_id;
  if (messageId !== undefined) event.messageId = messageId;
  return event;
}

function editEvent(m: Message): ChatEvent {
  if (m.message_id === undefined) return { type: "ignored" };
  const event: ChatEvent = { type: "edited", messageId: m.message_id, privateChat: m.chat.type === "private" };
  if (m.text !== undefined) event.text = m.text;
  const sender = senderOf(m.from, false);
  if (sender) event.sender = sender;
  return event;
}

function senderOf(from: z.infer<typeof user> | undefined, asGroup: boolean): Sender | undefined {
  if (!from) return undefined;
  const sender: Sender = { id: from.id };
  // Telegram allows 64 characters; the cap keeps a forged update's name out of long messages.
  const name = from.first_name?.trim().slice(0, 64);
  if (name) sender.name = name;
  if (asGroup) sender.asGroup = true;
  return sender;
}

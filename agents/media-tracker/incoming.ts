// What a chat said, read from the stored Telegram update with zod: a text (or command), a button
// press, or something the bot does not handle. The agent never looks at raw updates elsewhere.
import { z } from "zod";
import type { SentFile } from "./routes.js";

export type Incoming =
  | { type: "text"; text: string; userId: number | undefined; messageId: number; sender: Sender | undefined }
  | { type: "button"; data: string; callbackQueryId: string; userId: number; messageId: number | undefined; sender: Sender }
  /** A file sent to the bot (an import). */
  | { type: "document"; file: SentFile; userId: number | undefined; messageId: number; sender: Sender | undefined }
  /** A message without text (a photo, a sticker): the bot says what it understands. */
  | { type: "unsupported"; userId: number | undefined; messageId: number; sender: Sender | undefined }
  /** A message the person edited after sending it: the edit is not taken, and they are told so. */
  | { type: "edited"; text: string | undefined; userId: number | undefined; messageId: number; sender: Sender | undefined; privateChat: boolean }
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

const user = z.object({ id: z.number().int(), first_name: z.string().optional() });
const updateShape = z.object({
  edited_message: z
    .object({
      message_id: z.number().int(),
      from: user.optional(),
      chat: z.object({ type: z.string() }).optional(),
      text: z.string().optional(),
    })
    .optional(),
  message: z
    .object({
      message_id: z.number().int(),
      from: user.optional(),
      chat: z.object({ id: z.number().int() }).optional(),
      sender_chat: z.object({ id: z.number().int() }).optional(),
      text: z.string().optional(),
      document: z
        .object({
          file_id: z.string(),
          file_name: z.string().optional(),
          file_size: z.number().optional(),
          mime_type: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  callback_query: z
    .object({
      id: z.string(),
      from: user,
      data: z.string().optional(),
      message: z.object({ message_id: z.number().int() }).optional(),
    })
    .optional(),
});

export function readIncoming(payload: unknown): Incoming {
  const parsed = updateShape.safeParse(payload);
  if (!parsed.success) return { type: "ignored" };
  const { message, callback_query: query, edited_message: edited } = parsed.data;
  if (message) {
    // An anonymous group admin writes as the group itself: sender_chat is the chat.
    const asGroup = message.sender_chat !== undefined && message.sender_chat.id === message.chat?.id;
    const from = { userId: message.from?.id, messageId: message.message_id, sender: senderOf(message.from, asGroup) };
    if (message.document) {
      const d = message.document;
      const file: SentFile = { fileId: d.file_id, fileName: d.file_name, fileSize: d.file_size, mimeType: d.mime_type };
      return { type: "document", file, ...from };
    }
    if (message.text === undefined) return { type: "unsupported", ...from };
    return { type: "text", text: message.text, ...from };
  }
  if (query) {
    return {
      type: "button",
      data: query.data ?? "",
      callbackQueryId: query.id,
      userId: query.from.id,
      messageId: query.message?.message_id,
      sender: senderOf(query.from, false)!,
    };
  }
  if (edited) {
    return {
      type: "edited", text: edited.text, userId: edited.from?.id, messageId: edited.message_id,
      sender: senderOf(edited.from, false), privateChat: edited.chat?.type === "private",
    };
  }
  return { type: "ignored" };
}

function senderOf(from: z.infer<typeof user> | undefined, asGroup: boolean): Sender | undefined {
  if (!from) return undefined;
  // Telegram allows 64 characters; the cap keeps a forged update's name out of long messages.
  const name = from.first_name?.trim().slice(0, 64);
  return { id: from.id, ...(name ? { name } : {}), ...(asGroup ? { asGroup: true as const } : {}) };
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

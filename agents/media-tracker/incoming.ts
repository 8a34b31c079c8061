// What a chat said, read from the stored Telegram update with zod: a text (or command), a button
// press, or something the bot does not handle. The agent never looks at raw updates elsewhere.
import { z } from "zod";
import type { SentFile } from "./routes.js";

export type Incoming =
  | { type: "text"; text: string; userId: number | undefined; messageId: number }
  | { type: "button"; data: string; callbackQueryId: string; userId: number; messageId: number | undefined }
  /** A file sent to the bot (an import). */
  | { type: "document"; file: SentFile; userId: number | undefined }
  /** A message without text (a photo, a sticker): the bot says what it understands. */
  | { type: "unsupported"; userId: number | undefined }
  /** A message the person edited after sending it: the edit is not taken, and they are told so. */
  | { type: "edited"; text: string | undefined; userId: number | undefined; privateChat: boolean }
  /** An update that needs no answer (a member change, a channel post). */
  | { type: "ignored" };

const user = z.object({ id: z.number().int() });
const updateShape = z.object({
  edited_message: z
    .object({
      from: user.optional(),
      chat: z.object({ type: z.string() }).optional(),
      text: z.string().optional(),
    })
    .optional(),
  message: z
    .object({
      message_id: z.number().int(),
      from: user.optional(),
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
    if (message.document) {
      const d = message.document;
      const file: SentFile = { fileId: d.file_id, fileName: d.file_name, fileSize: d.file_size, mimeType: d.mime_type };
      return { type: "document", file, userId: message.from?.id };
    }
    if (message.text === undefined) return { type: "unsupported", userId: message.from?.id };
    return { type: "text", text: message.text, userId: message.from?.id, messageId: message.message_id };
  }
  if (query) {
    return {
      type: "button",
      data: query.data ?? "",
      callbackQueryId: query.id,
      userId: query.from.id,
      messageId: query.message?.message_id,
    };
  }
  if (edited) return { type: "edited", text: edited.text, userId: edited.from?.id, privateChat: edited.chat?.type === "private" };
  return { type: "ignored" };
}

/** "/add_movie@my_bot extra" → { name: "add_movie", args: "extra" }; not a command → undefined. */
export function readCommand(text: string): { name: string; args: string } | undefined {
  const match = /^\/([a-z0-9_]+)(?:@\w+)?(?:\s+([\s\S]*))?$/i.exec(text.trim());
  if (!match) return undefined;
  return { name: match[1]!.toLowerCase(), args: (match[2] ?? "").trim() };
}

// Reads just enough of a Telegram update to store and route it: its update_id, its kind and the
// chat it belongs to. Validated with zod; anything else in the update is kept as it came.
import { z } from "zod";

const chatRef = z.object({ id: z.number().int() });
const userRef = z.object({ id: z.number().int() });
const withChat = z.object({ chat: chatRef, from: userRef.optional() });

const updateSchema = z
  .object({
    update_id: z.number().int().nonnegative(),
    message: withChat.optional(),
    edited_message: withChat.optional(),
    channel_post: withChat.optional(),
    edited_channel_post: withChat.optional(),
    business_message: withChat.optional(),
    callback_query: z.object({ id: z.string(), from: userRef, message: withChat.optional() }).optional(),
    my_chat_member: withChat.optional(),
    chat_member: withChat.optional(),
    chat_join_request: withChat.optional(),
    message_reaction: z.object({ chat: chatRef }).optional(),
    inline_query: z.object({ from: userRef }).optional(),
  })
  .passthrough();

export type UpdateRoute =
  | { status: "routed"; updateId: number; kind: string; chatId: string }
  /** A valid update that belongs to no chat (a poll, an inline query): acknowledged, not stored. */
  | { status: "unroutable"; updateId: number; kind: string };

export type ParsedUpdate = { ok: true; update: Record<string, unknown>; route: UpdateRoute } | { ok: false; error: string };

/** Checks that a parsed JSON body is an update and finds its chat. */
export function parseUpdate(body: unknown): ParsedUpdate {
  const result = updateSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, error: `not a Telegram update: ${issue?.path.join(".") || "body"} ${issue?.message ?? ""}`.trim() };
  }
  const u = result.data;
  const kind = Object.keys(u).find((k) => k !== "update_id") ?? "empty";
  const chat =
    u.message?.chat ?? u.edited_message?.chat ?? u.channel_post?.chat ?? u.edited_channel_post?.chat ??
    u.business_message?.chat ?? u.callback_query?.message?.chat ?? u.my_chat_member?.chat ??
    u.chat_member?.chat ?? u.chat_join_request?.chat ?? u.message_reaction?.chat;
  // A button under an inline message has no chat; its presser's private chat has the user's id.
  const chatId = chat?.id ?? u.callback_query?.from.id;
  const route: UpdateRoute = chatId === undefined
    ? { status: "unroutable", updateId: u.update_id, kind }
    : { status: "routed", updateId: u.update_id, kind, chatId: String(chatId) };
  return { ok: true, update: body as Record<string, unknown>, route };
}

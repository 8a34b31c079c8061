// Turns one outbox payload into a Bot API call and says what happened in the runtime's terms:
// sent (with the message id), retry (network, 5xx, 429 with its retry_after) or failed (a 4xx
// that would fail again). It never throws.
import { type Api, GrammyError, HttpError, InputFile } from "grammy";
import type { DeliveryResult } from "../../runtime/index.js";
import type { Button, Outgoing } from "../../agents/media-tracker/outgoing.js";

export function createDeliver(api: Api): (chatKey: string, payload: unknown) => Promise<DeliveryResult> {
  return async (chatKey, payload) => {
    try {
      const result = await call(api, Number(chatKey), payload as Outgoing);
      return { status: "sent", result };
    } catch (error) {
      return classify(error);
    }
  };
}

async function call(api: Api, chatId: number, out: Outgoing): Promise<unknown> {
  switch (out.type) {
    case "text": {
      const reply_markup = keyboard(out.buttons)
        ?? (out.forceReply ? { force_reply: true as const, selective: true } : undefined);
      // A question in a group answers the person's message; it is sent even if they deleted it.
      const reply_parameters = out.replyTo !== undefined ? { message_id: out.replyTo, allow_sending_without_reply: true } : undefined;
      const message = await api.sendMessage(chatId, out.text, { reply_markup, reply_parameters, link_preview_options: { is_disabled: true } });
      return { messageId: message.message_id };
    }
    case "edit-text":
      return editText(api, chatId, out);
    case "answer-button":
      await api.answerCallbackQuery(out.callbackQueryId, out.text ? { text: out.text } : undefined);
      return null;
    case "clear-buttons":
      try {
        await api.editMessageReplyMarkup(chatId, out.messageId, { reply_markup: { inline_keyboard: [] } });
      } catch (error) {
        // No buttons left to clear, or no message to clear them from: either way, done.
        if (!isRefusedEdit(error)) throw error;
      }
      return null;
    case "document": {
      const message = await api.sendDocument(chatId, new InputFile(Buffer.from(out.content, "utf8"), out.fileName), {
        caption: out.caption,
      });
      return { messageId: message.message_id };
    }
    case "photo":
      return sendPhoto(api, chatId, out);
    case "typing":
      await api.sendChatAction(chatId, "typing");
      return null;
    default:
      throw new UnknownPayloadError(out);
  }
}

/** A photo by URL (Telegram fetches it) or uploaded from its bytes; an unfetchable URL is skipped. */
async function sendPhoto(api: Api, chatId: number, out: Extract<Outgoing, { type: "photo" }>): Promise<unknown> {
  const options = out.caption ? { caption: out.caption } : {};
  if (!("url" in out)) {
    const message = await api.sendPhoto(chatId, new InputFile(Buffer.from(out.base64, "base64"), out.fileName), options);
    return { messageId: message.message_id };
  }
  try {
    const message = await api.sendPhoto(chatId, out.url, options);
    return { messageId: message.message_id };
  } catch (error) {
    // A cover Telegram cannot fetch (gone, too big, not an image): no photo; the card after it says it all.
    if (isUnfetchableUrl(error)) return null;
    throw error;
  }
}

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };

function keyboard(buttons: Button[][] | undefined): Keyboard | undefined {
  return buttons ? { inline_keyboard: buttons.map((row) => row.map((b) => ({ text: b.text, callback_data: b.data }))) } : undefined;
}

/**
 * Edits a message in place. "Not modified" (it already reads so: a page button tapped twice) is
 * done; a message Telegram will not edit (deleted, too old, not the bot's) gets the text as a new
 * message instead, so the person still sees it.
 */
async function editText(api: Api, chatId: number, out: Extract<Outgoing, { type: "edit-text" }>): Promise<unknown> {
  // An edit without reply_markup drops the buttons, as the payload means.
  const reply_markup = keyboard(out.buttons) ?? { inline_keyboard: [] };
  try {
    await api.editMessageText(chatId, out.messageId, out.text, { reply_markup, link_preview_options: { is_disabled: true } });
    return { messageId: out.messageId };
  } catch (error) {
    if (!isRefusedEdit(error)) throw error;
    if (isNotModified(error)) return { messageId: out.messageId };
    const message = await api.sendMessage(chatId, out.text, { reply_markup: keyboard(out.buttons), link_preview_options: { is_disabled: true } });
    return { messageId: message.message_id };
  }
}

/** Telegram's 400 to an edit: the message is gone, can't be edited, or already reads so. */
function isRefusedEdit(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && /message/i.test(error.description);
}

/** Telegram's 400 for a photo URL it could not use. */
function isUnfetchableUrl(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && /wrong file identifier|HTTP URL|failed to get HTTP URL content|wrong type of the web page content|IMAGE_PROCESS_FAILED/i.test(error.description);
}

function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && /message is not modified/i.test(error.description);
}

class UnknownPayloadError extends Error {
  constructor(payload: unknown) {
    super(`Unknown outgoing payload type: ${JSON.stringify(payload).slice(0, 100)}`);
  }
}

export function classify(error: unknown): DeliveryResult {
  if (error instanceof GrammyError) {
    const description = `${error.error_code}: ${error.description}`;
    if (error.error_code === 429) {
      return { status: "retry", error: description, retryAfterMs: (error.parameters.retry_after ?? 1) * 1000 };
    }
    // 5xx is Telegram's trouble; 401 a revoked or mistyped token the operator can fix: keep the message.
    if (error.error_code >= 500 || error.error_code === 401) return { status: "retry", error: description };
    return { status: "failed", error: description };
  }
  if (error instanceof HttpError) return { status: "retry", error: error.message };
  if (error instanceof UnknownPayloadError) return { status: "failed", error: error.message };
  return { status: "retry", error: error instanceof Error ? error.message : String(error) };
}

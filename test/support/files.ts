// Files through the front door of a running test app: a document a user sends (its bytes served by
// the fake Bot API, then the update), the buttons under the bot's last message, a button press with
// its answer, and the documents the bot sent.
import { expect } from "vitest";
import { type RecordedCall, makeDocumentUpdate, postUpdate } from "./fake-bot-api.js";
import { SECRET, type TestApp } from "./test-app.js";

/** Update ids of sent files: far from those of say/press, which count from 1. */
let updateId = 500_000;
let fileNo = 0;

/** Sends a file as a user would; returns the bot's answer once it has come. */
export async function sendFile(app: TestApp, chatId: number, name: string, bytes: Buffer | string, fileSize?: number): Promise<string> {
  const before = app.replies(chatId).length;
  const fileId = `FILE${++fileNo}`;
  app.api.addFile(fileId, name, bytes);
  const size = fileSize ?? (typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length);
  const res = await postUpdate(app.webhookUrl, makeDocumentUpdate(updateId++, chatId, { fileId, fileName: name, fileSize: size }), SECRET);
  expect(res.status).toBe(200);
  await app.api.waitFor(() => app.replies(chatId).length > before);
  return app.replies(chatId).at(-1)!;
}

/** The buttons under the bot's last message to a chat: text and data. */
export function lastButtons(app: TestApp, chatId: number): Array<{ text: string; data: string }> {
  const markup = app.api.sent(chatId).at(-1)?.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data }));
}

/** The Import button under the last message (im:<id>), if there is one. */
export function importButton(app: TestApp, chatId: number): string | undefined {
  return lastButtons(app, chatId).find((b) => b.data.startsWith("im:"))?.data;
}

/** Presses a button; returns the reply it brought, or else the toast of its answer. */
export async function press(app: TestApp, chatId: number, data: string): Promise<string | undefined> {
  const answered = () => app.api.calls.filter((c) => c.method === "answerCallbackQuery");
  const replies = app.replies(chatId).length;
  const answers = answered().length;
  await app.press(chatId, data);
  await app.api.waitFor(() => answered().length > answers);
  const toast = answered().at(-1)!.params.text as string | undefined;
  return app.replies(chatId).length > replies ? app.replies(chatId).at(-1) : toast;
}

/** The documents the bot sent to a chat, in order. */
export function documents(app: TestApp, chatId: number): RecordedCall[] {
  return app.api.sent(chatId).filter((c) => c.method === "sendDocument");
}

export function docText(call: RecordedCall): { name: string; text: string; caption: string } {
  const file = call.params.document as { fileName: string; data: Buffer };
  return { name: file.fileName, text: file.data.toString("utf8"), caption: String(call.params.caption ?? "") };
}

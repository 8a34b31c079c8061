// Posts one update to a test app and waits until the bot has handled it and delivered everything it
// said in answer; returns exactly those answers (read from the outbox rows the update wrote).
import { expect } from "vitest";
import { MAX_TEXT_LENGTH, type Outgoing } from "../../agents/media-tracker/outgoing.js";
import { postUpdate, updateInboxId } from "./fake-bot-api.js";
import { SECRET, type TestApp } from "./test-app.js";
import { waitFor } from "./wait-for.js";

export interface Answer {
  /** Texts sent to the chat (new messages). */
  texts: string[];
  /** Texts shown in place of earlier messages (edits). */
  edits: string[];
  /** Toasts of answered button presses ("" for an answer without a toast). */
  toasts: string[];
  all: Outgoing[];
}

/** Posts `update` for `chat` and waits until it is handled (status done, never parked) and its answers sent. */
export async function postHandled(t: TestApp, chat: number, update: { update_id: number }): Promise<Answer> {
  const res = await postUpdate(t.webhookUrl, update, SECRET);
  expect(res.status).toBe(200);
  const id = updateInboxId(update.update_id, t.api.token);
  const db = t.app.db;
  await waitFor(() => {
    const status = db.prepare("SELECT status FROM inbox WHERE id = ?").pluck().get(id);
    const unsent = db.prepare("SELECT COUNT(*) FROM outbox WHERE agent_key = ? AND status IN ('pending', 'sending')").pluck().get(String(chat));
    return status !== undefined && status !== "pending" && unsent === 0;
  }, 15_000, `update ${id} handled and answered`);
  expect(db.prepare("SELECT status FROM inbox WHERE id = ?").pluck().get(id)).toBe("done");
  const rows = db.prepare("SELECT payload_json, status FROM outbox WHERE message_id = ? ORDER BY id").all(id) as Array<{ payload_json: string; status: string }>;
  for (const row of rows) expect(row.status).toBe("sent");
  const all = rows.map((r) => JSON.parse(r.payload_json) as Outgoing);
  const texts = all.flatMap((o) => (o.type === "text" ? [o.text] : []));
  for (const text of texts) expect(text.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
  const edits = all.flatMap((o) => (o.type === "edit-text" ? [o.text] : []));
  for (const text of edits) expect(text.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
  return { texts, edits, toasts: all.flatMap((o) => (o.type === "answer-button" ? [o.text ?? ""] : [])), all };
}

// What the fault tests have chats say and check afterwards: /add_book dialogs whose every reply is
// recognisable, so "each reply once, in order" and "each entry once" can be read off per chat.
import { expect } from "vitest";
import type { TestApp } from "../support/test-app.js";

/** The four messages of one /add_book dialog, for book `n` of `chatId`. */
export function bookDialog(chatId: number, n: number): string[] {
  return ["/add_book", `Book ${chatId}-${n}`, `Author ${chatId}-${n}`, "4"];
}

/** The replies those messages get, in order, as patterns. */
export function bookReplies(chatId: number, n: number): RegExp[] {
  return [/title/, /author/, /rating/, new RegExp(`^Saved the book: Book ${chatId}-${n} by Author ${chatId}-${n}`)];
}

/** Says every message of `books` dialogs in order, each acknowledged (200) before the next. */
export async function talk(t: TestApp, chatId: number, books: number[]): Promise<void> {
  for (const n of books) {
    for (const text of bookDialog(chatId, n)) expect((await t.say(chatId, text)).status).toBe(200);
  }
}

/** The chat's delivered texts are exactly the replies to `books`, each once and in order. */
export function expectBookReplies(t: TestApp, chatId: number, books: number[]): void {
  const texts = t.replies(chatId);
  const expected = books.flatMap((n) => bookReplies(chatId, n));
  expect(texts, `replies of chat ${chatId}`).toHaveLength(expected.length);
  expected.forEach((pattern, i) => expect(texts[i], `reply ${i} of chat ${chatId}`).toMatch(pattern));
}

/** The chat's entries: the titles, oldest first (a duplicate shows up twice). */
export function bookTitles(t: TestApp, chatId: number): string[] {
  return (t.app.db.prepare("SELECT title FROM entries WHERE chat_id = ? ORDER BY added_at_ms, title").all(String(chatId)) as Array<{ title: string }>)
    .map((r) => r.title);
}

export function outboxRows(t: TestApp, chatId: number): Array<{ status: string; attempts: number; lastError: string | null }> {
  return t.app.db
    .prepare("SELECT status, attempts, last_error AS lastError FROM outbox WHERE agent_key = ? ORDER BY id")
    .all(String(chatId)) as Array<{ status: string; attempts: number; lastError: string | null }>;
}

export function inboxCounts(t: TestApp): { pending: number; done: number; parked: number } {
  const count = (status: string) => t.app.db.prepare("SELECT COUNT(*) FROM inbox WHERE status = ?").pluck().get(status) as number;
  return { pending: count("pending"), done: count("done"), parked: count("parked") };
}

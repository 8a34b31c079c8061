// Telegram failing for a while, with several chats talking: a window of 429s for every send; 5xx,
// reset connections, slow answers and 400s each on their own chat. The bot keeps taking and
// handling updates throughout, a fault on one chat holds up no other, and afterwards every reply
// arrives once and in its chat's order (a refused one is recorded failed, and the chat goes on).
// test/integration/delivery.test.ts covers a single failed call of each kind; these are windows.
import { afterEach, describe, expect, it } from "vitest";
import { type TestApp, startTestApp } from "../support/test-app.js";
import { waitFor } from "../support/wait-for.js";
import { bookTitles, expectBookReplies, inboxCounts, outboxRows, talk } from "./book-dialog.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const sendsTo = (chatId: number) => (method: string, params: Record<string, unknown>) =>
  method === "sendMessage" && String(params.chat_id) === String(chatId);

function failures(app: TestApp, chatId: number, status: number): number {
  return app.api.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === String(chatId) && c.failedWith === status).length;
}

describe("Telegram failing for a while", () => {
  it("a window of 429s on every send: updates are still taken and handled, then every chat's replies arrive once and in order", async () => {
    t = await startTestApp();
    const app = t;
    const chats = [101, 102, 103, 104];
    const end = app.api.failWhile((method) => method === "sendMessage", { status: 429, retryAfter: 1 });

    await Promise.all(chats.map((chat) => talk(app, chat, [1, 2])));
    // Taking and handling go on while nothing can be sent: every update is handled and its entry saved.
    await waitFor(() => inboxCounts(app).pending === 0, 20_000, "every update handled during the 429s");
    expect(inboxCounts(app)).toEqual({ pending: 0, done: 32, parked: 0 });
    for (const chat of chats) expect(bookTitles(app, chat)).toEqual([`Book ${chat}-1`, `Book ${chat}-2`]);
    // A window, not one call: every chat was refused, and some more than once.
    await waitFor(() => chats.every((chat) => failures(app, chat, 429) >= 2), 20_000, "each chat refused twice");
    expect(chats.map((chat) => app.replies(chat).length)).toEqual([0, 0, 0, 0]);
    end();

    await waitFor(() => chats.every((chat) => outboxRows(app, chat).every((r) => r.status === "sent")), 30_000, "all sends recorded");
    for (const chat of chats) {
      expectBookReplies(app, chat, [1, 2]);
      expect(outboxRows(app, chat)).toHaveLength(8);
    }
  }, 60_000);

  it("5xx, resets, slow answers and 400s on four chats hold up no other chat; afterwards each chat catches up in order", async () => {
    t = await startTestApp();
    const app = t;
    const [err500, reset, slow, refused, healthy] = [201, 202, 203, 204, 205];
    const ends = [
      app.api.failWhile(sendsTo(err500), { status: 500, description: "Internal Server Error" }),
      app.api.failWhile(sendsTo(reset), "reset"),
      app.api.failWhile(sendsTo(slow), { delayMs: 1500 }),
      app.api.failWhile(sendsTo(refused), { status: 400, description: "Bad Request: chat not found" }),
    ];

    await Promise.all([err500, reset, slow, refused, healthy].map((chat) => talk(app, chat, [1])));
    // The healthy chat gets all its replies while every other chat is still failing.
    await waitFor(() => app.replies(healthy).length === 4, 20_000, "the healthy chat's replies");
    expectBookReplies(app, healthy, [1]);
    // Each fault lasts many calls.
    await waitFor(
      () => failures(app, err500, 500) >= 3 && app.api.calls.filter((c) => c.reset && String(c.params.chat_id) === String(reset)).length >= 3,
      20_000,
      "three failed sends on each failing chat",
    );
    expect(app.replies(err500)).toEqual([]);
    expect(app.replies(reset)).toEqual([]);
    // The refused chat's replies are given up one by one, never retried, and its dialog went on regardless.
    await waitFor(() => outboxRows(app, refused).length === 4 && outboxRows(app, refused).every((r) => r.status === "failed"), 20_000, "the 400s recorded");
    expect(outboxRows(app, refused).every((r) => r.attempts === 1 && r.lastError === "400: Bad Request: chat not found")).toBe(true);
    expect(bookTitles(app, refused)).toEqual([`Book ${refused}-1`]);
    for (const end of ends) end();

    // The refused chat's later messages go out.
    expect((await app.say(refused, "/books")).status).toBe(200);
    await waitFor(
      () => [err500, reset, slow, refused].every((chat) => outboxRows(app, chat).every((r) => r.status === "sent" || r.status === "failed"))
        && outboxRows(app, refused).length === 5,
      30_000,
      "every chat caught up",
    );
    for (const chat of [err500, reset, slow, healthy]) {
      expectBookReplies(app, chat, [1]);
      expect(outboxRows(app, chat).map((r) => r.status)).toEqual(["sent", "sent", "sent", "sent"]);
      expect(bookTitles(app, chat)).toEqual([`Book ${chat}-1`]);
    }
    expect(outboxRows(app, refused).map((r) => r.status)).toEqual(["failed", "failed", "failed", "failed", "sent"]);
    expect(app.replies(refused)).toEqual([expect.stringContaining(`Book ${refused}-1`)]);
    expect(inboxCounts(app)).toMatchObject({ pending: 0, parked: 0 });
  }, 60_000);
});

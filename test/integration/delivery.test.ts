// Outgoing messages through the outbox: Telegram's 429 retry_after, 5xx and resets are retried in
// order; a 400 is recorded and not retried (but an edit Telegram refuses is sent as a new message);
// the pacing keeps per-chat and overall limits when it is on.
import diagnostics from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { seed } from "../support/entries.js";
import { makeCallbackUpdate } from "../support/fake-bot-api.js";
import { postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/**
 * When each sendMessage request to the fake Bot API leaves the bot (Node's HTTP client reports each
 * request as it opens). The bot paces by this moment, so it is what a test of the pacing measures;
 * arrival at the fake, which runs on the same busy event loop, can lag by more than the bot's
 * 50 ms allowance for network jitter (Telegram's side of the limit).
 */
function watchSendStarts(apiRoot: string): { starts: number[]; stop(): void } {
  const host = new URL(apiRoot).host;
  const starts: number[] = [];
  const onStart = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    if (request.getHeader("host") === host && request.path.endsWith("/sendMessage")) starts.push(Date.now());
  };
  diagnostics.subscribe("http.client.request.start", onStart);
  return { starts, stop: () => diagnostics.unsubscribe("http.client.request.start", onStart) };
}

function outbox(app: TestApp, chatId: number) {
  return app.app.db
    .prepare("SELECT status, attempts, last_error AS lastError FROM outbox WHERE agent_key = ? ORDER BY id")
    .all(String(chatId)) as Array<{ status: string; attempts: number; lastError: string | null }>;
}

describe("outbox delivery", () => {
  it("waits out a 429 retry_after and keeps the chat's order", async () => {
    t = await startTestApp();
    t.api.failNext("sendMessage", 1, { status: 429, retryAfter: 1, description: "Too Many Requests: retry after 1" });
    await t.say(31, "/start");
    await t.say(31, "/add_movie");
    await t.api.waitFor(() => t!.replies(31).length === 2 && outbox(t!, 31).every((r) => r.status === "sent"), 10_000);
    const [first, second] = t.replies(31);
    expect(first).toContain("Hi!");
    expect(second).toMatch(/title/i);
    const failed = t.api.calls.find((c) => c.failedWith === 429)!;
    const retried = t.api.calls.find((c) => c.method === "sendMessage" && !c.failedWith)!;
    expect(retried.at - failed.at).toBeGreaterThanOrEqual(900);
    expect(outbox(t, 31).map((r) => r.status)).toEqual(["sent", "sent"]);
    expect(outbox(t, 31)[0]!.attempts).toBe(2);
  });

  it("retries 5xx and connection resets", async () => {
    t = await startTestApp();
    t.api.failNext("sendMessage", 1, { status: 500, description: "Internal Server Error" });
    t.api.failNext("sendMessage", 1, "reset");
    await t.say(32, "/help");
    await t.api.waitFor(() => t!.replies(32).length === 1, 15_000);
    // The reply arrives before the commit that records it: wait for the record too.
    await t.api.waitFor(() => outbox(t!, 32)[0]?.status === "sent");
    expect(outbox(t, 32)).toMatchObject([{ status: "sent", attempts: 3 }]);
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/media_tracker_send_retries_total 2/);
  });

  it("records a 400 as failed, does not retry it, and delivers the next message", async () => {
    t = await startTestApp();
    t.api.failNext("sendMessage", 1, { status: 400, description: "Bad Request: chat not found" });
    await t.say(33, "/help");
    await t.say(33, "/movies");
    await t.api.waitFor(() => t!.replies(33).length === 1 && outbox(t!, 33)[1]?.status === "sent");
    const rows = outbox(t, 33);
    expect(rows[0]).toMatchObject({ status: "failed", attempts: 1, lastError: "400: Bad Request: chat not found" });
    expect(rows[1]).toMatchObject({ status: "sent" });
    expect(t.replies(33)[0]).toMatch(/haven't added any movies/);
  });

  it("sends an edit Telegram refuses (the message is gone) as a new message, and takes 'not modified' as done", async () => {
    t = await startTestApp();
    await seed(t, 36, Array.from({ length: 12 }, (_, i) => ({ id: `m${i}`, kind: "movie" as const, title: `Movie ${i}` })));
    await t.say(36, "/movies");
    await t.api.waitFor(() => t!.replies(36).length === 1);
    const list = t.api.sent(36)[0]!;
    const older = (list.params.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard.flat().at(-1)!.callback_data;
    expect(older).toMatch(/^pg:\w+:8$/);

    t.api.failNext("editMessageText", 1, { status: 400, description: "Bad Request: message to edit not found" });
    await postHandled(t, 36, makeCallbackUpdate(900, 36, older, (list.result as { message_id: number }).message_id));
    expect(t.replies(36)).toHaveLength(2);
    expect(t.replies(36)[1]).toMatch(/^Your movies \(12\):\n9\. /);
    expect(outbox(t, 36).map((r) => r.status)).toEqual(["sent", "sent", "sent"]);

    // The same page again, in place of the page it already shows: Telegram says "not modified"; nothing more to do.
    const again = t.api.sent(36).at(-1)!;
    await postHandled(t, 36, makeCallbackUpdate(901, 36, older, (again.result as { message_id: number }).message_id));
    expect(t.api.calls.filter((c) => c.method === "editMessageText").map((c) => c.failedWith)).toEqual([400, 400]);
    expect(t.replies(36)).toHaveLength(2);
    expect(outbox(t, 36).every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });

  it("paces one chat to about one message a second when TELEGRAM_RATE_LIMIT is on", async () => {
    t = await startTestApp({ TELEGRAM_RATE_LIMIT: "on" });
    await t.say(34, "/help");
    await t.say(34, "/help");
    await t.say(35, "/help");
    await t.api.waitFor(() => t!.replies(34).length === 2 && t!.replies(35).length === 1, 10_000);
    const times = t.api.sent(34).map((c) => c.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);
    // Another chat is not held back by the first one's pacing.
    expect(t.api.sent(35)[0]!.at - times[0]!).toBeLessThan(900);
  });

  it("never lets more than 30 sends start within a second overall, however the replies bunch up", async () => {
    t = await startTestApp({ TELEGRAM_RATE_LIMIT: "on" });
    const sends = watchSendStarts(t.api.apiRoot);
    try {
      // 45 chats at once: one reply each, all due together.
      const chats = Array.from({ length: 45 }, (_, i) => 500 + i);
      await Promise.all(chats.map((chat) => t!.say(chat, "/help")));
      await t.api.waitFor(() => chats.every((chat) => t!.replies(chat).length === 1), 15_000);
      expect(sends.starts).toHaveLength(45);
      // Any 31 consecutive sends start at least a second apart (the bot keeps 1.05 s, allowing for jitter on the way).
      const times = sends.starts;
      for (let i = 30; i < times.length; i++) expect(times[i]! - times[i - 30]!).toBeGreaterThanOrEqual(1000);
    } finally {
      sends.stop();
    }
  });
});

// The webhook front door over real HTTP: statuses for every kind of bad request, deduplication,
// and that nothing refused ever reaches the inbox.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";
import { makeTextUpdate, postUpdate } from "../support/fake-bot-api.js";

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  await t.close();
});

function inboxCount(): number {
  return t.app.db.prepare("SELECT COUNT(*) FROM inbox").pluck().get() as number;
}

async function rawPost(body: string, headers: Record<string, string> = {}, path = "/telegram/hook") {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET, ...headers },
    body,
  });
  return { status: res.status, body: await res.text() };
}

describe("webhook", () => {
  it("sets the webhook with the secret and the command menu at start", () => {
    expect(t.api.webhook).toEqual({ url: "https://bot.example/telegram/hook", secret: SECRET });
    const menu = t.api.calls.find((c) => c.method === "setMyCommands")!.params.commands as Array<{ command: string }>;
    expect(menu.map((c) => c.command)).toEqual(expect.arrayContaining(["add_movie", "movies", "help", "cancel"]));
  });

  it("answers 200 and processes a valid update", async () => {
    const res = await t.say(10, "/start");
    expect(res.status).toBe(200);
    await t.api.waitFor(() => t.replies(10).length === 1);
    expect(t.replies(10)[0]).toContain("/add_movie");
  });

  it("refuses a missing or wrong secret with 401 and stores nothing", async () => {
    const update = JSON.stringify(makeTextUpdate(1, 10, "/start"));
    expect((await rawPost(update, { "x-telegram-bot-api-secret-token": "wrong" })).status).toBe(401);
    const res = await fetch(t.webhookUrl, { method: "POST", body: update });
    expect(res.status).toBe(401);
    expect(inboxCount()).toBe(0);
  });

  it("refuses malformed JSON with 400", async () => {
    const res = await rawPost("{not json");
    expect(res.status).toBe(400);
    expect(res.body).toContain("malformed JSON");
    expect(inboxCount()).toBe(0);
  });

  it.each([
    ["an array", "[]"],
    ["a string", '"hello"'],
    ["no update_id", '{"message":{}}'],
    ["a fractional update_id", '{"update_id":1.5}'],
    ["a string update_id", '{"update_id":"7"}'],
    ["a message without a chat", '{"update_id":7,"message":{"text":"hi"}}'],
  ])("refuses a body that is not an update (%s) with 400", async (_name, body) => {
    const res = await rawPost(body);
    expect(res.status).toBe(400);
    expect(inboxCount()).toBe(0);
  });

  it("acknowledges an update of a kind the bot does not handle", async () => {
    const res = await rawPost(JSON.stringify({ update_id: 99, poll: { id: "1", question: "?", options: [] } }));
    expect(res.status).toBe(200);
    const edited = await rawPost(JSON.stringify({ update_id: 100, edited_message: { message_id: 1, date: 1, chat: { id: 5, type: "private" }, text: "x" } }));
    expect(edited.status).toBe(200);
  });

  it("refuses a body over 1 MiB with 413 without storing it", async () => {
    const big = JSON.stringify({ update_id: 5, message: { chat: { id: 1 }, text: "x".repeat(1024 * 1024) } });
    const res = await rawPost(big);
    expect(res.status).toBe(413);
    expect(inboxCount()).toBe(0);
  });

  it("refuses an oversized body sent without a content-length (chunked) with 413", async () => {
    const chunk = Buffer.alloc(64 * 1024, "a");
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(t.webhookUrl, {
      method: "POST",
      headers: { "x-telegram-bot-api-secret-token": SECRET },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(inboxCount()).toBe(0);
  });

  it("answers 404 elsewhere and 405 for a GET on the webhook path", async () => {
    expect((await fetch(`${t.baseUrl}/nope`)).status).toBe(404);
    expect((await rawPost("{}", {}, "/other")).status).toBe(404);
    expect((await fetch(t.webhookUrl)).status).toBe(405);
  });

  it("processes a repeated update_id once, sent one after the other", async () => {
    const update = makeTextUpdate(500, 11, "/help");
    const first = await postUpdate(t.webhookUrl, update, SECRET);
    const second = await postUpdate(t.webhookUrl, update, SECRET);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(JSON.parse(second.body).status).toBe("duplicate");
    await t.api.waitFor(() => t.replies(11).length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.replies(11)).toHaveLength(1);
    expect(inboxCount()).toBe(1);
  });

  it("processes a repeated update_id once, sent concurrently", async () => {
    const update = makeTextUpdate(600, 12, "/help");
    const results = await Promise.all(Array.from({ length: 8 }, () => postUpdate(t.webhookUrl, update, SECRET)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => JSON.parse(r.body).status === "stored")).toHaveLength(1);
    await t.api.waitFor(() => t.replies(12).length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.replies(12)).toHaveLength(1);
  });

  it("commits concurrent requests in shared transactions (group commit)", async () => {
    const before = t.app.runtime.stats.commits();
    const posts = Array.from({ length: 50 }, (_, i) => postUpdate(t.webhookUrl, makeTextUpdate(1000 + i, 2000 + i, "hi"), SECRET));
    const results = await Promise.all(posts);
    expect(results.every((r) => r.status === 200)).toBe(true);
    // The ingest thread stored them; the main thread's commits (completions, replies) come after.
    await t.api.waitFor(() => Array.from({ length: 50 }, (_, i) => t.replies(2000 + i).length).every((n) => n >= 1));
    const after = t.app.runtime.stats.commits();
    // 50 completions plus their sends: far fewer commits than units when chats overlap.
    expect(after.units - before.units).toBeGreaterThanOrEqual(50);
    expect(after.commits - before.commits).toBeLessThan(after.units - before.units);
  });

  it("serves /healthz and Prometheus /metrics", async () => {
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    await t.say(13, "/start");
    await postUpdate(t.webhookUrl, makeTextUpdate(1, 13, "/start"), SECRET);
    await t.api.waitFor(() => t.replies(13).length === 1);
    const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(text).toMatch(/media_tracker_updates_received_total\{kind="message"\} 1/);
    expect(text).toMatch(/media_tracker_updates_duplicate_total\{kind="message"\} 1/);
    expect(text).toContain("media_tracker_outbox_pending");
    expect(text).toContain("media_tracker_send_retries_total");
  });

  it("never writes the bot token or the secret to the logs", async () => {
    t.api.failNext("sendMessage", 1, "reset");
    await t.say(14, "/start");
    await t.api.waitFor(() => t.replies(14).length === 1, 10_000);
    const all = t.logs.join("\n");
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(t.api.token);
    expect(all).not.toContain(SECRET);
  });
});

// Self-test of the fake Telegram Bot API against grammY's real client.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Api, Bot, GrammyError, HttpError, InputFile } from "grammy";
import {
  makeCallbackUpdate,
  makeTextUpdate,
  postUpdate,
  startFakeBotApi,
  type FakeBotApi,
  type RecordedFile,
} from "../support/fake-bot-api.js";

describe("fake Bot API", () => {
  let fake: FakeBotApi;
  let api: Api;

  beforeEach(async () => {
    fake = await startFakeBotApi();
    api = new Api(fake.token, { apiRoot: fake.apiRoot });
  });

  afterEach(async () => {
    await fake.close();
  });

  it("answers getMe with a bot user whose id is the token prefix", async () => {
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 123456, is_bot: true, username: "test_bot" });
  });

  it("records sendMessage and returns a message with per-chat ids", async () => {
    const m1 = await api.sendMessage(42, "hello", { reply_markup: { inline_keyboard: [[{ text: "a", callback_data: "a" }]] } });
    const m2 = await api.sendMessage(42, "again");
    const g1 = await api.sendMessage(-100, "group");
    expect(m1).toMatchObject({ message_id: 1, chat: { id: 42, type: "private" }, text: "hello" });
    expect(m1.reply_markup?.inline_keyboard[0]?.[0]?.text).toBe("a");
    expect(m2.message_id).toBe(2);
    expect(g1).toMatchObject({ message_id: 1, chat: { id: -100, type: "group" } });
    expect(fake.sent(42).map((c) => c.params.text)).toEqual(["hello", "again"]);
    expect(fake.sent("-100")).toHaveLength(1);
    expect(fake.calls.map((c) => c.method)).toEqual(["sendMessage", "sendMessage", "sendMessage"]);

    const edited = await api.editMessageText(42, 1, "edited");
    expect(edited).toMatchObject({ message_id: 1, text: "edited" });
    expect(await api.answerCallbackQuery("1")).toBe(true);
    expect(await api.setMyCommands([{ command: "start", description: "start" }])).toBe(true);
  });

  it("fails with 429 and retry_after when told to", async () => {
    fake.failNext("sendMessage", 1, { status: 429, retryAfter: 7 });
    const error = await api.sendMessage(1, "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    const ge = error as GrammyError;
    expect(ge.error_code).toBe(429);
    expect(ge.parameters.retry_after).toBe(7);
    expect(fake.calls[0]?.failedWith).toBe(429);
    expect(fake.sent()).toHaveLength(0);
    // Only one call was failed.
    await expect(api.sendMessage(1, "y")).resolves.toMatchObject({ text: "y" });
    expect(fake.sent(1)).toHaveLength(1);
  });

  it("can reset the connection or delay the answer", async () => {
    fake.failNext("*", 1, "reset");
    const error = await api.sendMessage(1, "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(fake.calls[0]).toMatchObject({ failedWith: -1, reset: true });

    fake.failNext("sendMessage", 1, { delayMs: 200 });
    const t0 = Date.now();
    await api.sendMessage(1, "slow");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(fake.sent(1).map((c) => c.params.text)).toEqual(["slow"]);
  });

  it("rejects a wrong token with 401", async () => {
    const bad = new Api("999:wrong", { apiRoot: fake.apiRoot });
    const error = await bad.getMe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).error_code).toBe(401);
    const res = await fetch(`${fake.apiRoot}/nope`);
    expect(res.status).toBe(404);
  });

  it("serves long polling: a held getUpdates returns a pushed update, offset confirms", async () => {
    const t0 = Date.now();
    const poll = api.getUpdates({ timeout: 5 });
    await fake.waitFor((f) => f.calls.some((c) => c.method === "getUpdates"));
    setTimeout(() => fake.pushUpdate(makeTextUpdate(0, 42, "/start hi")), 100);
    const updates = await poll;
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(updates).toHaveLength(1);
    // update_id 0 was given explicitly; the fake keeps it.
    expect(updates[0]?.message?.text).toBe("/start hi");
    expect(updates[0]?.message?.entities).toEqual([{ type: "bot_command", offset: 0, length: 6 }]);

    const pushed = fake.pushUpdate({ message: makeTextUpdate(0, 42, "plain").message });
    expect(pushed.update_id).toBe(1);
    fake.pushUpdate(makeCallbackUpdate(5, 42, "btn:1", 3));
    const batch = await api.getUpdates({ offset: 1, limit: 1, timeout: 0 });
    expect(batch.map((u) => u.update_id)).toEqual([1]);
    const rest = await api.getUpdates({ offset: 2, timeout: 1 });
    expect(rest.map((u) => u.update_id)).toEqual([5]);
    expect(rest[0]?.callback_query?.data).toBe("btn:1");
    expect(fake.lastOffset).toBe(2);
    expect(fake.pendingUpdates.map((u) => u.update_id)).toEqual([5]);

    // An empty long poll ends after its timeout.
    const t1 = Date.now();
    expect(await api.getUpdates({ offset: 6, timeout: 1 })).toEqual([]);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(900);
    expect(fake.pendingUpdates).toHaveLength(0);
  });

  it("close() ends promptly with a long poll held open", async () => {
    const poll = api.getUpdates({ timeout: 30 }).catch((e: unknown) => e);
    await fake.waitFor((f) => f.calls.length > 0);
    const t0 = Date.now();
    await fake.close();
    expect(await poll).toBeInstanceOf(HttpError);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("records a multipart sendDocument with its file name and size", async () => {
    const msg = await api.sendDocument(42, new InputFile(Buffer.from("a,b\n"), "x.csv"), {
      caption: "export",
      reply_markup: { inline_keyboard: [[{ text: "ok", callback_data: "ok" }]] },
    });
    expect(msg).toMatchObject({ chat: { id: 42 }, caption: "export", document: { file_name: "x.csv" } });
    expect(msg.document?.file_id).toEqual(expect.any(String));
    const [call] = fake.sent(42);
    expect(call?.method).toBe("sendDocument");
    expect(call?.params.chat_id).toBe(42);
    expect(call?.params.caption).toBe("export");
    expect(call?.params.reply_markup).toEqual({ inline_keyboard: [[{ text: "ok", callback_data: "ok" }]] });
    const doc = call?.params.document as RecordedFile;
    expect(doc).toMatchObject({ field: "document", fileName: "x.csv", size: 4 });
    expect(doc.data.toString()).toBe("a,b\n");
    expect(call?.files).toHaveLength(1);
  });

  it("parses grammY's unquoted multipart file names and nested attach:// media", async () => {
    await api.sendDocument(5, new InputFile(Buffer.from("xyz"), "my file; ünï.csv"));
    expect(fake.calls[0]?.files?.map((f) => [f.fileName, f.size])).toEqual([["my file; ünï.csv", 3]]);
    const group = await api.sendMediaGroup(5, [
      { type: "document", media: new InputFile(Buffer.from("1"), "a.txt") },
      { type: "document", media: new InputFile(Buffer.from("22"), "b.txt") },
    ]);
    expect(group.map((m) => ("document" in m ? m.document.file_name : undefined))).toEqual(["a.txt", "b.txt"]);
    const media = fake.calls[1]?.params.media as Array<{ media: RecordedFile }>;
    expect(media.map((m) => [m.media.fileName, m.media.size])).toEqual([["a.txt", 1], ["b.txt", 2]]);
  });

  it("drives a real grammY Bot on long polling, and bot.stop() returns promptly", async () => {
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    bot.command("start", (ctx) => ctx.reply("welcome"));
    bot.on("callback_query:data", async (ctx) => {
      await ctx.answerCallbackQuery();
      await ctx.editMessageText(`pressed ${ctx.callbackQuery.data}`);
    });
    const running = bot.start();
    fake.pushUpdate(makeTextUpdate(1, 42, "/start"));
    fake.pushUpdate(makeCallbackUpdate(2, 42, "x", 1));
    await fake.waitFor((f) => f.sent(42).length >= 2);
    expect(fake.sent(42).map((c) => [c.method, c.params.text])).toEqual([
      ["sendMessage", "welcome"],
      ["editMessageText", "pressed x"],
    ]);
    const t0 = Date.now();
    await bot.stop();
    await running;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(fake.pendingUpdates).toHaveLength(0);
    expect(fake.lastOffset).toBe(3);
  });

  it("tracks setWebhook/deleteWebhook and posts updates with the secret header", async () => {
    await api.setWebhook("http://127.0.0.1:1/hook", { secret_token: "s3cret" });
    expect(fake.webhook).toEqual({ url: "http://127.0.0.1:1/hook", secret: "s3cret" });
    await expect(api.getUpdates()).rejects.toMatchObject({ error_code: 409 });
    await api.deleteWebhook();
    expect(fake.webhook).toEqual({});

    // postUpdate against the fake itself: any JSON POST is answered, so it doubles as an echo target.
    const res = await postUpdate(`${fake.apiRoot}/bot${fake.token}/someWebhookLikeMethod`, makeTextUpdate(9, 1, "hi"), "s3cret");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, result: true });
    expect(fake.calls.at(-1)?.params).toMatchObject({ update_id: 9, message: { text: "hi" } });
  });

  it("waitFor explains what was recorded when it times out", async () => {
    await api.sendMessage(7, "one");
    await expect(fake.waitFor((f) => f.sent(7).length > 1, 100)).rejects.toThrow(/sendMessage chat=7 "one"/);
  });
});

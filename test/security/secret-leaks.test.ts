// The bot token, the webhook secret and the OpenAI key never leave the process except to where
// they belong (Telegram's URL, setWebhook, the model's Authorization header). grammY's errors hold
// the token-bearing URL, so real failures are driven: the fake Bot API answering 400/401/429/500
// or resetting the connection, a file that can't be fetched, a model refusing the key, an
// unreachable API root, a revoked token at start and while polling. Then every log line, every
// byte of stdout/stderr, every message sent to a chat and every row of the database is searched.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type BotProcess, freePort, startBot } from "../support/bot-process.js";
import { seed } from "../support/entries.js";
import { type FakeBotApi, makeCallbackUpdate, makeDocumentUpdate, makeTextUpdate, postUpdate, startFakeBotApi } from "../support/fake-bot-api.js";
import { type FakeOpenAi, startFakeOpenAi } from "../support/fake-openai.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";
import { waitFor } from "../support/wait-for.js";

const OPENAI_KEY = "sk-LEAKCHECK-openai_key-0123456789";
const CHILD_TOKEN = "987654:LEAKCHECK-bot_token-abcdefghij";
const CHILD_SECRET = "LEAKCHECK-webhook_secret-xyz";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Each secret, and the part of a token after its colon (the part that matters). */
function needles(secrets: string[]): string[] {
  return secrets.flatMap((s) => (s.includes(":") ? [s, s.slice(s.indexOf(":") + 1)] : [s]));
}

function expectNoSecret(where: string, text: string, secrets: string[]): void {
  for (const needle of needles(secrets)) {
    const at = text.indexOf(needle);
    expect(at, `${where} contains a secret: …${text.slice(Math.max(0, at - 120), at + needle.length + 40)}…`).toBe(-1);
  }
}

/** Every row of every table of a SQLite file, as text. */
function databaseText(db: BetterSqlite3.Database): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  return tables.map((name) => `${name}: ${JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())}`).join("\n");
}

/** Everything the bot sent to Telegram, except the one call that must carry the secret (setWebhook). */
function sentToTelegram(api: FakeBotApi): string {
  return JSON.stringify(api.calls.filter((c) => c.method !== "setWebhook").map((c) => [c.method, c.params]));
}

describe("in process, with the logs captured", () => {
  it("failures of every kind leave no secret in logs, chat messages, the database or the model's prompts", async () => {
    const model: FakeOpenAi = await startFakeOpenAi();
    cleanups.push(() => model.close());
    const t: TestApp = await startTestApp({
      OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: "m", OPENAI_TIMEOUT_SECONDS: "2", LOG_LEVEL: "trace",
    });
    cleanups.push(() => t.close());
    const secrets = [t.api.token, SECRET, OPENAI_KEY];
    let updateId = 1;
    const say = (chat: number, text: string) => postUpdate(t.webhookUrl, makeTextUpdate(updateId++, chat, text), SECRET);

    // Sends that Telegram refuses for a while, then accepts: 500, a reset connection, 401, 429.
    t.api.failNext("sendMessage", 1, { status: 500 });
    await say(1, "/help");
    t.api.failNext("sendMessage", 1, "reset");
    await say(2, "/start");
    t.api.failNext("sendMessage", 2, { status: 401 });
    await say(3, "/help");
    t.api.failNext("sendMessage", 1, { status: 429, retryAfter: 1 });
    await say(4, "/help");
    await t.api.waitFor(() => [1, 2, 3, 4].every((chat) => t.replies(chat).length >= 1), 20_000);

    // Sends that fail for good (400), a button answer too late, an edit that fails.
    t.api.failNext("sendMessage", 1, { status: 400, description: "Bad Request: chat not found" });
    await say(5, "/help");
    t.api.failNext("answerCallbackQuery", 1, { status: 400, description: "Bad Request: query is too old" });
    await postUpdate(t.webhookUrl, makeCallbackUpdate(updateId++, 6, "zz:1", 3), SECRET);

    // An export whose document upload fails once.
    await seed(t, 7, [{ id: "s1", kind: "book", title: "Dune" }]);
    t.api.failNext("sendDocument", 1, { status: 500 });
    await say(7, "/export");
    await t.api.waitFor(() => t.api.sent(7).some((c) => c.method === "sendDocument"), 20_000);

    // Files Telegram won't give (400), gives after a 500 and a reset, or doesn't know.
    t.api.addFile("F1", "export.csv", "kind,title,id\nbook,Solaris,x1\n");
    t.api.failNext("getFile", 1, { status: 400, description: "Bad Request: wrong file_id" });
    await postUpdate(t.webhookUrl, makeDocumentUpdate(updateId++, 8, { fileId: "F1", fileName: "export.csv", fileSize: 30 }), SECRET);
    await t.api.waitFor(() => t.replies(8).length >= 1, 20_000);
    t.api.failNext("getFile", 1, { status: 500 });
    t.api.failNext("getFile", 1, "reset");
    await postUpdate(t.webhookUrl, makeDocumentUpdate(updateId++, 8, { fileId: "F1", fileName: "export.csv", fileSize: 30 }), SECRET);
    await postUpdate(t.webhookUrl, makeDocumentUpdate(updateId++, 8, { fileId: "NO-SUCH-FILE", fileName: "x.csv", fileSize: 30 }), SECRET);
    await t.api.waitFor(() => t.replies(8).length >= 3, 30_000);

    // The model refuses the key (and says which key, as OpenAI does), resets, fails, then answers.
    model.queue({ status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}.` });
    await say(9, "I finished Dune yesterday");
    await t.api.waitFor(() => t.replies(9).length >= 1, 20_000);
    model.queue("reset", { status: 500, message: `upstream said ${OPENAI_KEY}` }, { content: "Noted." });
    await say(10, "what am I reading?");
    await t.api.waitFor(() => t.replies(10).length >= 1, 30_000);

    // Webhook requests with wrong secrets, one of them the real secret plus a character.
    for (const wrong of [`${SECRET}x`, SECRET.slice(0, -1), "", OPENAI_KEY]) {
      const res = await fetch(t.webhookUrl, { method: "POST", headers: { "x-telegram-bot-api-secret-token": wrong }, body: "{}" });
      expect(res.status).toBe(401);
    }

    // Wait until nothing is left to do, then search everything.
    await waitFor(() => t.app.db.prepare("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')").pluck().get() === 0
      && t.app.db.prepare("SELECT COUNT(*) FROM inbox WHERE status = 'pending'").pluck().get() === 0, 30_000, "all work done");
    expect(t.app.db.prepare("SELECT COUNT(*) FROM outbox WHERE status = 'failed'").pluck().get()).toBeGreaterThanOrEqual(2);
    expect(t.logs.join("\n")).toMatch(/"level":(40|50)/);
    expectNoSecret("the logs", t.logs.join("\n"), secrets);
    expectNoSecret("messages sent to Telegram", sentToTelegram(t.api), secrets);
    expectNoSecret("the database", databaseText(t.app.db), secrets);
    expectNoSecret("requests to the model", JSON.stringify(model.requests.map((r) => r.body)), [t.api.token, SECRET, OPENAI_KEY]);
  }, 90_000);
});

describe("the bot as a child process: stdout and stderr", () => {
  async function child(env: Record<string, string>, apiRoot?: string, waitUntilReady = true): Promise<{ bot: BotProcess; api: FakeBotApi; dbPath: string }> {
    const api = await startFakeBotApi({ token: CHILD_TOKEN });
    cleanups.push(() => api.close());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-leak-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const dbPath = path.join(dir, "bot.db");
    const bot = await startBot({
      apiRoot: apiRoot ?? api.apiRoot, token: CHILD_TOKEN, dbPath, port: await freePort(), secret: CHILD_SECRET,
      env: { LOG_LEVEL: "debug", OPENAI_API_KEY: OPENAI_KEY, ...env }, waitUntilReady,
    });
    cleanups.push(async () => {
      if (!bot.exitInfo) await bot.stop();
    });
    return { bot, api, dbPath };
  }
  const secrets = [CHILD_TOKEN, CHILD_SECRET, OPENAI_KEY];

  it("a running bot whose sends fail and whose model is unreachable", async () => {
    const { bot, api, dbPath } = await child({ OPENAI_BASE_URL: `http://127.0.0.1:${await freePort()}/v1`, OPENAI_TIMEOUT_SECONDS: "1" });
    api.failNext("sendMessage", 1, { status: 500 });
    api.failNext("sendMessage", 1, "reset");
    api.failNext("sendMessage", 1, { status: 401 });
    await bot.post(makeTextUpdate(1, 11, "/help"));
    await bot.post(makeTextUpdate(2, 12, "hello, add Dune"));
    api.failNext("answerCallbackQuery", 1, { status: 400 });
    await bot.post(makeCallbackUpdate(3, 11, "zz", 1));
    await api.waitFor(() => api.sent(11).length >= 1 && api.sent(12).length >= 1, 30_000);
    await bot.waitIdle(30_000);
    await bot.stop();
    expect(bot.output()).toMatch(/"level":(40|50)/);
    expectNoSecret("the child's output", bot.output(), secrets);
    expectNoSecret("messages sent to Telegram", sentToTelegram(api), secrets);
    const db = new BetterSqlite3(dbPath, { readonly: true });
    try {
      expectNoSecret("the database", databaseText(db), secrets);
    } finally {
      db.close();
    }
  }, 60_000);

  it("an unreachable Bot API root at start: it stops with a message, not the URL", async () => {
    const { bot } = await child({}, `http://127.0.0.1:${await freePort()}`, false);
    expect((await bot.exited).code).toBe(1);
    expect(bot.output()).toMatch(/Could not reach Telegram at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    expectNoSecret("the child's output", bot.output(), secrets);
  }, 30_000);

  it("a revoked token (401 on every call) at start in webhook mode, and while polling", async () => {
    const webhook = await child({}, undefined, false);
    webhook.api.failNext("*", 1000, { status: 401 });
    // It used to log "could not start" and then hang, half-started, instead of exiting.
    expect((await webhook.bot.exited).code).toBe(1);
    expect(webhook.bot.output()).toMatch(/Telegram refused the bot token \(401 Unauthorized\): check TELEGRAM_BOT_TOKEN/);
    expectNoSecret("the child's output", webhook.bot.output(), secrets);

    const polling = await child({ WEBHOOK_URL: "" }, undefined, false);
    polling.api.failNext("getUpdates", 1000, { status: 401 });
    // Polling stops for good on a 401 (a retry can't help) and the process ends.
    expect((await polling.bot.exited).code).not.toBe(0);
    expect(polling.bot.output()).toMatch(/refused the bot token \(401\)/);
    expectNoSecret("the child's output", polling.bot.output(), secrets);
  }, 60_000);
});

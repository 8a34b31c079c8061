// Starts the whole bot in this process against a fake Bot API, on a fresh database, over real HTTP.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { type App, startApp } from "../../src/app.js";
import { parseConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import type { Clock } from "../../runtime/index.js";
import { type FakeBotApi, makeCallbackUpdate, makeTextUpdate, postUpdate, startFakeBotApi } from "./fake-bot-api.js";

export const SECRET = "test-secret_123";

export interface TestApp {
  app: App;
  api: FakeBotApi;
  dir: string;
  webhookUrl: string;
  baseUrl: string;
  /** Everything the app logged, one JSON line each. */
  logs: string[];
  /** POSTs a text message from `chatId` with the next update id. */
  say(chatId: number, text: string, fromId?: number): Promise<{ status: number; body: string }>;
  press(chatId: number, data: string, messageId?: number, fromId?: number): Promise<{ status: number; body: string }>;
  /** Texts the bot sent to a chat, in order. */
  replies(chatId: number): string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The runtime's clock (a fake one a test moves forward, then calls app.runtime.fireDueTimers()). */
  clock?: Clock;
  /** Put the database here (reused by a later app: a restart); the caller then removes the folder. */
  dir?: string;
  /** The update_id of the first `say`/`press` (a restarted app must not reuse the first app's ids). */
  firstUpdateId?: number;
  /** The bot token (the fake Bot API answers only to it). Default: the fake's own. */
  token?: string;
  /** The limit of one title-provider call (default 5 s): a "slow provider" test sets less. */
  metadataTimeoutMs?: number;
}

export async function startTestApp(env: Record<string, string> = {}, polling = false, options: TestAppOptions = {}): Promise<TestApp> {
  const api = await startFakeBotApi(options.token ? { token: options.token } : {});
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "mt-app-"));
  const config = parseConfig({
    TELEGRAM_BOT_TOKEN: api.token,
    TELEGRAM_API_ROOT: api.apiRoot,
    ...(polling ? {} : { WEBHOOK_URL: "https://bot.example/telegram/hook", WEBHOOK_SECRET: SECRET }),
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_PATH: path.join(dir, "bot.db"),
    TELEGRAM_RATE_LIMIT: "off",
    LOG_LEVEL: "debug",
    // No test reaches the real providers and no new-episode check runs: a test that needs them points METADATA
    // and the roots at the fakes.
    METADATA: "off",
    ...env,
  });
  const logs: string[] = [];
  const sink = { write: (line: string) => void logs.push(line) } as unknown as pino.DestinationStream;
  const log = createLogger(config.LOG_LEVEL, [config.TELEGRAM_BOT_TOKEN, config.WEBHOOK_SECRET, config.OPENAI_API_KEY], sink);
  const app = await startApp(config, log, {
    verifyReplay: true,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.metadataTimeoutMs !== undefined ? { metadataTimeoutMs: options.metadataTimeoutMs } : {}),
  });
  const baseUrl = `http://127.0.0.1:${app.http.port}`;
  const webhookUrl = `${baseUrl}/telegram/hook`;
  let nextUpdateId = options.firstUpdateId ?? 1;
  return {
    app, api, dir, webhookUrl, baseUrl, logs,
    say: (chatId, text, fromId) => postUpdate(webhookUrl, makeTextUpdate(nextUpdateId++, chatId, text, fromId), SECRET),
    press: (chatId, data, messageId = 1, fromId) =>
      postUpdate(webhookUrl, makeCallbackUpdate(nextUpdateId++, chatId, data, messageId, fromId), SECRET),
    replies: (chatId) =>
      api.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === String(chatId) && !c.failedWith)
        .map((c) => String(c.params.text)),
    async close() {
      await app.stop();
      await api.close();
      if (options.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

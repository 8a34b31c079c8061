// The wall clock set back while the bot runs (an administrator, NTP after a fast clock): the real bot
// as a child process whose Date.now() a shim moves back an hour on SIGUSR2 (test/support/clock-shift.mjs).
// Pacing and retries wait on a monotonic clock, so no reply is held up by the step.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { botBundle } from "../support/bot-bundle.js";
import { type BotProcess, freePort, killAllBots, startBot } from "../support/bot-process.js";
import { type FakeBotApi, makeTextUpdate, startFakeBotApi } from "../support/fake-bot-api.js";
import { waitFor } from "../support/wait-for.js";

const SECRET = "clock-step-secret_1";
const HOUR = 3_600_000;
/** The bundled bot, as `npm start` runs it, with the clock shim loaded first. */
const withClockShim = async () => ["--import", "./test/support/clock-shift.mjs", await botBundle()];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await killAllBots();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(): Promise<{ api: FakeBotApi; bot: BotProcess }> {
  const api = await startFakeBotApi();
  cleanups.push(() => api.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-clock-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bot = await startBot({
    apiRoot: api.apiRoot, token: api.token, dbPath: path.join(dir, "bot.db"), port: await freePort(), secret: SECRET,
    nodeArgs: await withClockShim(),
    // Telegram's limits on: 1 message/s per chat and 30/s overall are what a step could stall.
    env: { TELEGRAM_RATE_LIMIT: "on" },
    readyTimeoutMs: 60_000,
  });
  return { api, bot };
}

/** Sets the child's wall clock back another hour and waits until it says so. */
async function stepBack(bot: BotProcess, totalMs: number): Promise<void> {
  bot.kill("SIGUSR2");
  await waitFor(() => bot.output().includes(`clock-shift: ${-totalMs} ms`), 5000, "the clock set back");
}

describe("a wall clock stepped back", () => {
  it("holds up no reply: per-chat and overall pacing, and a retry after a 429, wait on a monotonic clock", { timeout: 90_000 }, async () => {
    const { api, bot } = await setUp();
    const texts = (chat: number) => api.sent(chat).map((c) => String(c.params.text));
    let updateId = 1;
    const say = async (chat: number, text: string) => {
      expect(await bot.post(makeTextUpdate(updateId++, chat, text))).toMatchObject({ status: 200 });
    };

    await say(81, "/start");
    await api.waitFor(() => texts(81).length === 1, 10_000, "the first reply");
    await stepBack(bot, HOUR);
    // The chat's last send and the overall rate slot were taken before the step: measured on the
    // wall clock, the next sends would wait an hour.
    await say(81, "/help");
    await say(82, "/start");
    await api.waitFor(() => texts(81).length === 2 && texts(82).length === 1, 10_000, "the replies after the step");

    // Telegram asks to retry in 2 s; the clock is set back meanwhile: the retry still comes after 2 s.
    api.failNext("sendMessage", 1, { status: 429, retryAfter: 2 });
    await say(81, "/privacy");
    await api.waitFor((a) => a.calls.some((c) => c.failedWith === 429), 10_000, "the refused send");
    await stepBack(bot, 2 * HOUR);
    await api.waitFor(() => texts(81).length === 3, 10_000, "the retried reply");
    expect(texts(81)[2]).toMatch(/What I keep about this chat/);
    expect(api.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === "81").length).toBe(4);
    await bot.waitIdle();
    expect((await bot.stop()).code).toBe(0);
  });
});

// Long polling: deleteWebhook, getUpdates, the offset confirmed only after the commit, and a
// restart that picks up a dialog where it was.
import { afterEach, describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { parseConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { makeTextUpdate } from "../support/fake-bot-api.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe("long polling", () => {
  it("deletes the webhook, handles pushed updates and confirms them with the offset", async () => {
    t = await startTestApp({}, true);
    expect(t.api.calls.map((c) => c.method).slice(0, 3)).toEqual(["getMe", "setMyCommands", "deleteWebhook"]);
    t.api.pushUpdate(makeTextUpdate(1, 21, "/start"));
    t.api.pushUpdate(makeTextUpdate(2, 21, "/add_movie"));
    await t.api.waitFor(() => t!.replies(21).length === 2);
    expect(t.replies(21)[1]).toMatch(/title/i);
    await t.api.waitFor(() => t!.api.lastOffset === 3);
    expect(t.app.db.prepare("SELECT COUNT(*) FROM inbox WHERE status = 'done'").pluck().get()).toBe(2);
  });

  it("keeps going after getUpdates fails, without losing updates", async () => {
    t = await startTestApp({}, true);
    t.api.failNext("getUpdates", 1, { status: 502, description: "Bad Gateway" });
    t.api.pushUpdate(makeTextUpdate(1, 22, "/help"));
    await t.api.waitFor(() => t!.replies(22).length === 1, 10_000);
  });

  it("a restarted bot continues a dialog where it was", async () => {
    t = await startTestApp({}, true);
    t.api.pushUpdate(makeTextUpdate(1, 23, "/add_movie"));
    t.api.pushUpdate(makeTextUpdate(2, 23, "Stalker"));
    await t.api.waitFor(() => t!.replies(23).length === 2);
    await t.app.stop();

    const config = parseConfig({
      TELEGRAM_BOT_TOKEN: t.api.token, TELEGRAM_API_ROOT: t.api.apiRoot, HOST: "127.0.0.1", PORT: "0",
      DATABASE_PATH: `${t.dir}/bot.db`, TELEGRAM_RATE_LIMIT: "off", LOG_LEVEL: "silent",
    });
    t.app = await startApp(config, createLogger("silent", []), { verifyReplay: true });
    t.api.pushUpdate(makeTextUpdate(3, 23, "1979"));
    t.api.pushUpdate(makeTextUpdate(4, 23, "5"));
    await t.api.waitFor(() => t!.replies(23).length === 4);
    expect(t.replies(23)[3]).toContain("Saved the movie: Stalker (1979)");
  });
});

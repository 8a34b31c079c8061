// A "poison" message, one that kills the process every time it is handled, must not take the bot
// down for good: recovery counts each crash against the message that was running (inbox.attempts)
// and, at maxAttempts (5), parks it at the next start, before handling it, and tells the chat.
// The bot then serves that chat and the others normally.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeTextUpdate, updateInboxId } from "../support/fake-bot-api.js";
import { CrashHarness, sleep } from "./harness.js";

const CHAT = 5151;
const OTHER_CHAT = 6262;
const MAX_ATTEMPTS = 5; // RuntimeOptions.maxAttempts default; the app does not change it
const POISON = "message.before-handle@1";
const NOTICE = /^Sorry, something went wrong with your last message and I had to set it aside\./;
const TITLE_PROMPT = /^What's the movie's title\?/;

interface InboxRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

describe("a message that crashes the process every time", () => {
  let h: CrashHarness;
  beforeEach(async () => {
    h = await CrashHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it(`is parked after ${MAX_ATTEMPTS} crashes, the chat is told, and the bot keeps serving`, { timeout: 60_000 }, async () => {
    const inboxRow = (id: string) =>
      h.readDb((d) => d.prepare(`SELECT id, status, attempts, last_error FROM inbox WHERE id = ?`).get(id) as InboxRow | undefined);
    const expectKilled = async (label: string) => {
      const exit = await Promise.race([h.bot.exited, sleep(15_000).then(() => undefined)]);
      expect(exit, `${label}: the bot should have died at ${POISON}\n${h.describe()}`).toEqual({ code: null, signal: "SIGKILL" });
    };

    // Start 1: the update is stored (and acknowledged), then handling it kills the process.
    const bot = await h.start(POISON);
    const res = await bot.post(makeTextUpdate(1, CHAT, "/add_movie"));
    await expectKilled("start 1");
    // The crash point is after the inbox commit and the 200 is written before handling starts; should
    // the 200 still be lost, the row is stored all the same (and Telegram's redelivery is a duplicate).
    expect(res === "connection-failed" || res.status === 200, `POST: ${JSON.stringify(res)}`).toBe(true);
    expect(inboxRow(updateInboxId(1)), h.describe()).toMatchObject({ status: "pending", attempts: 0 });

    // Starts 2…5: recovery counts the last crash, retries the message, and dies again.
    for (let start = 2; start <= MAX_ATTEMPTS; start++) {
      await h.start(POISON, false);
      await expectKilled(`start ${start}`);
      expect(inboxRow(updateInboxId(1)), `after start ${start}\n${h.describe()}`).toMatchObject({
        status: "pending",
        attempts: start - 1,
        last_error: "the process stopped before this message was finished",
      });
    }

    // Start 6 (no crash armed): the fifth crash is counted and the message is parked during recovery,
    // before any handler runs (it would have asked for the title), and the chat gets the notice.
    await h.start();
    await h.waitOrRestart("parked notice", (api) => h.texts(CHAT).some((t) => NOTICE.test(t)), 10_000);
    expect(h.crashes, "no crash after the poison stopped").toEqual([]);
    await h.bot.waitIdle();

    // The bot keeps serving: another chat, and the same chat.
    await h.send("other chat /add_movie", makeTextUpdate(2, OTHER_CHAT, "/add_movie"), () =>
      h.texts(OTHER_CHAT).some((t) => TITLE_PROMPT.test(t)),
    );
    await h.send("same chat /movies", makeTextUpdate(3, CHAT, "/movies"), () =>
      h.texts(CHAT).some((t) => t.startsWith("You haven't added any movies yet.")),
    );
    await h.bot.waitIdle();
    await h.stop();

    expect(h.starts.length).toBe(MAX_ATTEMPTS + 1);
    expect(inboxRow(updateInboxId(1)), h.describe()).toMatchObject({
      status: "parked",
      attempts: MAX_ATTEMPTS,
      last_error: `crashed the process ${MAX_ATTEMPTS} times`,
    });
    expect(inboxRow(updateInboxId(2))).toMatchObject({ status: "done", attempts: 0 });
    expect(inboxRow(updateInboxId(3))).toMatchObject({ status: "done", attempts: 0 });
    // The poison message was never answered, only set aside with one notice.
    expect(h.texts(CHAT), h.describe()).toEqual([
      expect.stringMatching(NOTICE),
      "You haven't added any movies yet. Add one with /add_movie.",
    ]);
    expect(h.texts(OTHER_CHAT)).toEqual([expect.stringMatching(TITLE_PROMPT)]);
  });
});

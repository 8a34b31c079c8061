// A title lookup is a journaled step: the real bot runs as a child process against the fake Bot API
// and the fake Open Library (both in this process), dies with SIGKILL after the search answered
// (its result journaled, or the message about to complete), is restarted on the same database,
// and finishes the dialog without searching again: the fake counts one search for the title.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type BotProcess, freePort, killAllBots, startBot } from "../support/bot-process.js";
import { type FakeBotApi, makeCallbackUpdate, makeTextUpdate, startFakeBotApi } from "../support/fake-bot-api.js";
import { type FakeOpenLibrary, startFakeOpenLibrary } from "../support/fake-openlibrary.js";

const CHAT = 6262;
const SECRET = "lookup-crash-secret_1";

interface Setup {
  api: FakeBotApi;
  openLibrary: FakeOpenLibrary;
  dir: string;
  port: number;
}

const setups: Setup[] = [];
afterEach(async () => {
  await killAllBots();
  for (const s of setups.splice(0)) {
    await s.api.close();
    await s.openLibrary.close();
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

async function setup(): Promise<Setup> {
  const s = { api: await startFakeBotApi(), openLibrary: await startFakeOpenLibrary(), dir: fs.mkdtempSync(path.join(os.tmpdir(), "lookup-crash-")), port: await freePort() };
  setups.push(s);
  return s;
}

function start(s: Setup, crashAt?: string): Promise<BotProcess> {
  return startBot({
    apiRoot: s.api.apiRoot,
    token: s.api.token,
    dbPath: path.join(s.dir, "bot.db"),
    port: s.port,
    secret: SECRET,
    ...(crashAt ? { crashAt } : {}),
    env: { METADATA: "on", OPENLIBRARY_ROOT: s.openLibrary.root },
  });
}

function texts(s: Setup): string[] {
  return s.api.sent(CHAT).filter((c) => c.method === "sendMessage").map((c) => String(c.params.text));
}

async function until(predicate: () => boolean, what: string, bot: () => BotProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out.\n${bot().output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("crash after a title lookup answered", () => {
  it.each([
    { crashAt: undefined, when: "no crash" },
    { crashAt: "step.after-commit@1", when: "killed right after the search's result was journaled" },
    // Message 1 is the new-episode check's start-up message (METADATA is on), 2 is /add_book, 3 the title.
    { crashAt: "message.before-commit@3", when: "killed before the title's message completed" },
  ])("$when: the title is searched once, the matches are offered once, a pick saves the book once", async ({ crashAt }) => {
    const s = await setup();
    let bot = await start(s, crashAt);
    const current = () => bot;
    for (const [i, text] of ["/add_book", "Dune"].entries()) {
      const res = await bot.post(makeTextUpdate(i + 1, CHAT, text));
      expect(res !== "connection-failed" && res.status).toBe(200);
    }
    const offered = () => texts(s).some((t) => t.startsWith("Is it one of these?"));
    await until(() => offered() || bot.exitInfo !== undefined, "the offer or a crash", current);
    if (crashAt) {
      await bot.exited;
      expect(bot.exitInfo?.signal).toBe("SIGKILL");
      // It died after the provider answered: one search so far, and no offer sent yet.
      expect(s.openLibrary.requestsTo("/search.json")).toHaveLength(1);
      expect(offered()).toBe(false);
      bot = await start(s);
      await until(offered, "the offer after the restart", current);
    }
    await bot.waitIdle();
    expect(texts(s).filter((t) => t.startsWith("Is it one of these?"))).toHaveLength(1);
    expect(s.openLibrary.requestsTo("/search.json")).toHaveLength(1);

    // Pick the first match and rate it: the book is saved once, with the provider's data.
    const offer = s.api.sent(CHAT).filter((c) => c.method === "sendMessage").at(-1)!;
    const markup = offer.params.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };
    const pick = markup.inline_keyboard.flat().find((b) => b.text === "Dune (1965), Frank Herbert")!;
    const messageId = (offer.result as { message_id: number }).message_id;
    expect((await bot.post(makeCallbackUpdate(3, CHAT, pick.callback_data, messageId))) !== "connection-failed").toBe(true);
    await until(() => texts(s).some((t) => t.includes("Got it: Dune (1965), Frank Herbert.")), "the pick's answer", current);
    await bot.post(makeTextUpdate(4, CHAT, "4"));
    await until(() => texts(s).some((t) => t.startsWith("Saved the book: Dune by Frank Herbert")), "the confirmation", current);
    await bot.waitIdle();
    expect((await bot.stop()).code).toBe(0);

    expect(s.openLibrary.requestsTo("/search.json")).toHaveLength(1);
    const db = new BetterSqlite3(path.join(s.dir, "bot.db"), { fileMustExist: true });
    try {
      expect(db.prepare("SELECT title, author, rating, open_library_key FROM entries WHERE chat_id = ?").all(String(CHAT))).toEqual([
        { title: "Dune", author: "Frank Herbert", rating: 4, open_library_key: "OL893415W" },
      ]);
      // What the journal keeps of the lookup: the matches, at most five.
      const steps = db.prepare("SELECT output_json FROM journal WHERE step_name = 'run:lookup'").all() as Array<{ output_json: string }>;
      expect(steps).toHaveLength(1);
      const matches = (JSON.parse(steps[0]!.output_json) as { v: unknown[] }).v;
      expect(matches.length).toBeGreaterThan(0);
      expect(matches.length).toBeLessThanOrEqual(5);
      expect(matches[0]).toMatchObject({ id: "OL893415W", title: "Dune", author: "Frank Herbert" });
    } finally {
      db.close();
    }
  });
});

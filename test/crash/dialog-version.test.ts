// A deploy that changes a dialog, with a dialog half-way through. The real bot runs as a child
// process with the test-only /test_dialog (MT_TEST_DIALOG_VERSION picks its release, see
// agents/media-tracker/dialogs/test-dialog.ts): v1 asks a, b; v2 asks a, c, b and cannot read a v1
// dialog; v3 asks a, b, c and migrates a v1 dialog. The bot is stopped (SIGTERM or SIGKILL) after
// v1's first answer and started again as the new release, on the same database. The dialog either
// carries on with its answers (v3) or restarts visibly: one message with the apology and the first
// question (v2), or the apology alone (the dialog gone); it never crashes, loops, parks the message
// or stores a half-filled entry.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeBotApi, makeTextUpdate, startFakeBotApi } from "../support/fake-bot-api.js";
import { type BotProcess, freePort, killAllBots, startBot } from "../support/bot-process.js";

const CHAT = 777;
const SECRET = "version-test-secret_1";
const APOLOGY = "Sorry, I was updated and the way I ask for a test entry changed, so let's start that one again.";
const Q = {
  a: "Test dialog: what's field a (a title)?",
  b: "Test dialog: what's field b (a quote text)?",
  c: "Test dialog: what's field c (an author)?",
};

let api: FakeBotApi;
let dir: string;
let dbPath: string;
let port: number;
let bot: BotProcess | undefined;
let nextUpdateId = 1;

beforeEach(async () => {
  api = await startFakeBotApi();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dialog-version-"));
  dbPath = path.join(dir, "bot.db");
  port = await freePort();
  nextUpdateId = 1;
});

afterEach(async () => {
  await killAllBots();
  await api.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(version: string): Promise<BotProcess> {
  bot = await startBot({ apiRoot: api.apiRoot, token: api.token, dbPath, port, secret: SECRET, env: { MT_TEST_DIALOG_VERSION: version } });
  return bot;
}

/** The texts the chat got, each without the "(/cancel to stop …)" line a question carries. */
function texts(): string[] {
  return api.sent(CHAT).filter((c) => c.method === "sendMessage").map((c) => String(c.params.text).replace(/\n\(\/cancel[^)]*\)$/, ""));
}

/** Sends a text and waits until the bot has handled it and delivered its `replies` replies. */
async function say(text: string, replies: number): Promise<string[]> {
  const before = texts().length;
  const res = await bot!.post(makeTextUpdate(nextUpdateId++, CHAT, text));
  expect(res).toMatchObject({ status: 200 });
  await api.waitFor(() => texts().length >= before + replies, 10_000, `${replies} replies to ${JSON.stringify(text)}`);
  await bot!.waitIdle();
  const got = texts().slice(before);
  expect(got, `replies to ${JSON.stringify(text)}`).toHaveLength(replies);
  return got;
}

function readDb<T>(read: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(dbPath, { fileMustExist: true, readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const storedEntries = () =>
  readDb((db) => db.prepare("SELECT kind, title, quote_text AS b, author AS c FROM entries WHERE chat_id = ?").all(String(CHAT)));
const notDone = () => readDb((db) => db.prepare("SELECT id, status, attempts FROM inbox WHERE status != 'done' OR attempts > 0").all());

/** v1: start the dialog and answer its first question; then the bot goes down. */
async function halfWayUnderV1(stop: "SIGTERM" | "SIGKILL"): Promise<void> {
  await start("1");
  expect(await say("/test_dialog", 1)).toEqual([Q.a]);
  expect(await say("Alpha", 1)).toEqual([Q.b]);
  if (stop === "SIGTERM") expect((await bot!.stop()).code).toBe(0);
  else {
    bot!.kill("SIGKILL");
    await bot!.exited;
  }
  expect(storedEntries()).toEqual([]);
}

describe("a dialog half-way through a deploy that changes it", () => {
  it.each(["SIGTERM", "SIGKILL"] as const)("v1 → v2 (a field added in the middle, %s): restarts visibly with one apology, then the v2 flow", async (stop) => {
    await halfWayUnderV1(stop);

    await start("2");
    // Meant as v1's b; v2 cannot tell what it answers, so it is not taken: apology and first question, in one message.
    expect(await say("Bravo", 1)).toEqual([`${APOLOGY}\n\n${Q.a}`]);
    expect(await say("Alpha 2", 1)).toEqual([Q.c]);
    expect(await say("Carol", 1)).toEqual([Q.b]);
    expect(await say("Bravo 2", 1)).toEqual(["Saved the test entry (v2): a=Alpha 2, b=Bravo 2, c=Carol."]);
    expect((await bot!.stop()).code).toBe(0);

    expect(storedEntries()).toEqual([{ kind: "quote", title: "Alpha 2", b: "Bravo 2", c: "Carol" }]);
    expect(notDone()).toEqual([]);
    expect(texts().filter((t) => t.startsWith(APOLOGY))).toHaveLength(1);
  });

  it("v1 → v3 (a field added at the end, with a migration): carries on with the answers given under v1", async () => {
    await halfWayUnderV1("SIGKILL");

    await start("3");
    expect(await say("Bravo", 1)).toEqual([Q.c]);
    expect(await say("Carol", 1)).toEqual(["Saved the test entry (v3): a=Alpha, b=Bravo, c=Carol."]);
    expect((await bot!.stop()).code).toBe(0);

    expect(storedEntries()).toEqual([{ kind: "quote", title: "Alpha", b: "Bravo", c: "Carol" }]);
    expect(notDone()).toEqual([]);
    expect(texts().some((t) => t.includes(APOLOGY))).toBe(false);
  });

  it("v3 → v2 (a version it cannot migrate): restarts; /cancel right after the restart leaves nothing behind", async () => {
    await start("3");
    await say("/test_dialog", 1);
    await say("Alpha", 1);
    await say("Bravo", 1);
    expect((await bot!.stop()).code).toBe(0);

    await start("2");
    expect(await say("Carol", 1)).toEqual([`${APOLOGY}\n\n${Q.a}`]);
    await say("/cancel", 1);
    expect(await say("anything", 1)).toEqual([expect.stringMatching(/^I didn't understand that/)]);
    expect((await bot!.stop()).code).toBe(0);

    expect(storedEntries()).toEqual([]);
    expect(notDone()).toEqual([]);
    const armed = readDb((db) => db.prepare("SELECT COUNT(*) FROM timers WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL").pluck().get());
    expect(armed).toBe(0);
  });

  it("a release without the dialog at all says so once and goes on", async () => {
    await halfWayUnderV1("SIGTERM");

    await start("");
    // The answer was meant for the dialog: the apology alone, not also "I didn't understand that".
    expect(await say("Bravo", 1)).toEqual(["Sorry, I was updated and the dialog you were in no longer exists. Send /help to see what I can do."]);
    expect(await say("/help", 1)).toEqual([expect.stringContaining("/add_book")]);
    expect((await bot!.stop()).code).toBe(0);

    expect(storedEntries()).toEqual([]);
    expect(notDone()).toEqual([]);
  });
});

// The operator CLI (npm run admin) against the database of a real bot, run as a child process,
// while it runs: messages parked by real crashes (each killed the bot five times), a send Telegram
// refused, one it keeps failing, an open dialog's timer. `retry` has the running bot handle a parked
// message once, `drop` gives one up for good and the chat goes on, `resend` delivers a failed send.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdmin } from "../../src/cli/admin/program.js";
import type { ChatDetail, ChatRow, ParkedRow, SendRow, TimerRow } from "../../src/admin/read-model.js";
import { REPO_ROOT } from "../support/bot-process.js";
import { makeTextUpdate, updateInboxId } from "../support/fake-bot-api.js";
import { CrashHarness, sleep } from "../crash/harness.js";

/** The first update's inbox id (the bot id and the update_id). */
const M1 = updateInboxId(1);
const run = promisify(execFile);
const POISON = "message.before-handle@1";
const MOVIE_CHAT = 5151; // its /add_movie crashes the bot: retried later
const SHOW_CHAT = 5252; // its /add_show crashes the bot too: dropped later
const REFUSED_CHAT = 5353; // Telegram refuses its replies (400): a failed send
const FLAKY_CHAT = 5454; // Telegram keeps failing its replies (500): a pending send
const DIALOG_CHAT = 5555; // has a dialog open, with its expiry timer
const NOTICE = /^Sorry, something went wrong with your last message and I had to set it aside\./;

let h: CrashHarness;

/** Runs an admin command in this process (another process than the bot's) on the bot's database. */
async function admin(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runAdmin(argv, { out: (t) => void (out += t), err: (t) => void (err += t) }, { DATABASE_PATH: h.dbPath });
  return { code, out, err };
}

async function adminJson<T>(...argv: string[]): Promise<T> {
  const result = await admin(...argv, "--json");
  expect(result, h.describe()).toMatchObject({ code: 0, err: "" });
  return JSON.parse(result.out) as T;
}

/** Waits until the chat has nothing left to send (the flaky chat's send keeps the bot itself busy). */
async function chatIdle(chatId: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const chat = await adminJson<ChatDetail>("show", String(chatId));
    if (chat.pendingSends.length === 0 && chat.messages.every((m) => m.status !== "pending")) return;
    await sleep(50);
  }
  throw new Error(`chat ${chatId} still has work left.\n${h.describe()}`);
}

function inboxStatus(id: string): string | undefined {
  return h.readDb((db) => db.prepare(`SELECT status FROM inbox WHERE id = ?`).pluck().get(id) as string | undefined);
}

beforeAll(async () => {
  h = await CrashHarness.create();

  // Start 1: /add_movie is stored, then handling it kills the bot.
  const first = await h.start(POISON);
  await first.post(makeTextUpdate(1, MOVIE_CHAT, "/add_movie"));
  await first.exited;
  // While it is down, the front door's row for a second chat's update (as if acknowledged just before).
  h.writeDb((db) =>
    db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES ('tg:2', ?, 'message', ?, ?)`)
      .run(String(SHOW_CHAT), JSON.stringify(makeTextUpdate(2, SHOW_CHAT, "/add_show")), Date.now()),
  );
}, 60_000);

afterAll(async () => {
  await h.close();
});

describe("npm run admin", () => {
  it("shows a crashing message as pending, with its tries and last error, while the bot is down", async () => {
    const chats = await adminJson<ChatRow[]>("chats");
    expect(chats.find((c) => c.chatId === String(MOVIE_CHAT))).toMatchObject({ pending: 1, parked: 0, entries: 0, dialog: null });
    expect(chats.find((c) => c.chatId === String(SHOW_CHAT))).toMatchObject({ pending: 1, parked: 0 });
    // The parked list has nothing yet.
    expect(await adminJson<ParkedRow[]>("parked")).toEqual([]);
    expect((await admin("parked")).out).toBe("No parked messages.\n");
  });

  it("lists what real runs left: parked messages, failed and pending sends, timers, open dialogs", { timeout: 120_000 }, async () => {
    // Every start charges the last crash to the messages that were running (or, never tried, may
    // have been); one charged twice then runs alone, in the background after the start. So a start
    // dies at the armed point even after it looked ready, as long as a message is left to run; the
    // start that charges the fifth crash to the last of them parks it in recovery and lives on.
    const bothParked = () => inboxStatus(M1) === "parked" && inboxStatus("tg:2") === "parked";
    for (let start = 2; ; start++) {
      expect(start, `still not parked after ${start - 1} starts\n${h.describe()}`).toBeLessThanOrEqual(12);
      const bot = await h.start(POISON, false);
      const deadline = Date.now() + 15_000;
      while (!bot.exitInfo && !bothParked() && Date.now() < deadline) await sleep(20);
      if (!bot.exitInfo && bothParked()) {
        // Parked in recovery, so the start is still under way: let it finish before the SIGTERM
        // (the bot listens for SIGTERM only once it is running).
        await bot.ready;
        break;
      }
      expect(bot.exitInfo, `start ${start} should have died at ${POISON}\n${h.describe()}`).toEqual({ code: null, signal: "SIGKILL" });
    }
    await h.stop();
    expect([inboxStatus(M1), inboxStatus("tg:2")], h.describe()).toEqual(["parked", "parked"]);

    // A clean bot serves on; the other problems come from Telegram.
    await h.start();
    await h.waitOrRestart("parked notices", () => h.texts(MOVIE_CHAT).some((t) => NOTICE.test(t)) && h.texts(SHOW_CHAT).some((t) => NOTICE.test(t)));
    h.api.failWhile((method, p) => method === "sendMessage" && String(p.chat_id) === String(REFUSED_CHAT), { status: 400, description: "Bad Request: chat not found" });
    h.api.failWhile((method, p) => method === "sendMessage" && String(p.chat_id) === String(FLAKY_CHAT), { status: 500, description: "Internal Server Error" });
    for (const [id, chat, text] of [[10, REFUSED_CHAT, "/start"], [11, FLAKY_CHAT, "/start"], [12, DIALOG_CHAT, "/add_book"]] as const) {
      const res = await h.bot.post(makeTextUpdate(id, chat, text));
      expect(res !== "connection-failed" && res.status).toBe(200);
    }
    await h.api.waitFor(() => h.texts(DIALOG_CHAT).length === 1, 10_000, "the dialog's first question");
    await h.api.waitFor(() => h.api.calls.some((c) => c.failedWith === 400) && h.api.calls.some((c) => c.failedWith === 500), 10_000, "the refused sends");

    const parked = await adminJson<ParkedRow[]>("parked");
    expect(parked).toEqual([
      expect.objectContaining({ id: M1, chatId: String(MOVIE_CHAT), attempts: 5, error: "crashed the process 5 times", what: '"/add_movie"' }),
      expect.objectContaining({ id: "tg:2", chatId: String(SHOW_CHAT), attempts: 5, error: "crashed the process 5 times", what: '"/add_show"' }),
    ]);

    let outbox: SendRow[] = [];
    for (let i = 0; i < 100 && !outbox.some((s) => s.status === "failed"); i++) {
      outbox = await adminJson<SendRow[]>("outbox");
      await sleep(50);
    }
    expect(outbox.find((s) => s.chatId === String(REFUSED_CHAT))).toMatchObject({ status: "failed", error: expect.stringMatching(/chat not found/), nextAttemptAt: null });
    expect(outbox.find((s) => s.chatId === String(FLAKY_CHAT))).toMatchObject({
      status: expect.stringMatching(/^(pending|sending)$/),
      error: expect.stringMatching(/Internal Server Error/),
      nextAttemptAt: expect.any(String),
    });

    const timers = await adminJson<TimerRow[]>("timers");
    expect(timers).toEqual([expect.objectContaining({ chatId: String(DIALOG_CHAT), kind: "dialog-expiry" })]);
    const chats = await adminJson<ChatRow[]>("chats");
    expect(chats.find((c) => c.chatId === String(DIALOG_CHAT))).toMatchObject({ dialog: "add_book", pending: 0, parked: 0 });
    expect(chats.find((c) => c.chatId === String(MOVIE_CHAT))).toMatchObject({ pending: 0, parked: 1 });

    const dialog = await adminJson<ChatDetail>("show", String(DIALOG_CHAT));
    expect(dialog.state.dialog).toEqual({ name: "add_book", step: 0, field: "title", answers: [] });
    expect(dialog.messages[0]).toMatchObject({ id: updateInboxId(12), status: "done", what: '"/add_book"' });
    expect(dialog.messages[0]!.steps.map((s) => s.name)).toContain("set-timer");
    expect(dialog.messages[0]!.sends.map((s) => s.what)).toEqual([expect.stringMatching(/^"What's the book's title\?/)]);

    // The metrics count what the CLI lists; /livez says the process is alive.
    const metrics = await h.bot.get("/metrics");
    const body = metrics === "connection-failed" ? "" : metrics.body;
    expect(body).toMatch(/^media_tracker_inbox_parked 2$/m);
    expect(body).toMatch(/^media_tracker_outbox_failed 1$/m);
    expect(await h.bot.get("/livez")).toMatchObject({ status: 200 });
  });

  it("retry: the running bot handles the parked message once, and the action is recorded", { timeout: 30_000 }, async () => {
    const result = await admin("retry", M1, "--by", "tester");
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(new RegExp(`^Message ${M1} of chat 5151 is queued again \\(by tester\\)`));
    await h.api.waitFor(() => h.texts(MOVIE_CHAT).some((t) => t.startsWith("What's the movie's title?")), 10_000, "the retried /add_movie handled");
    await chatIdle(MOVIE_CHAT);
    expect(h.texts(MOVIE_CHAT).filter((t) => t.startsWith("What's the movie's title?"))).toHaveLength(1);
    expect(inboxStatus(M1)).toBe("done");

    const shown = await adminJson<ChatDetail>("show", String(MOVIE_CHAT));
    expect(shown.state.dialog).toMatchObject({ name: "add_movie", field: "title" });
    expect(shown.messages.find((m) => m.id === M1)).toMatchObject({ status: "done", attempts: 0 });
    expect(shown.operatorActions).toEqual([expect.objectContaining({ action: "retry", targetId: M1, by: "tester", previousError: "crashed the process 5 times" })]);

    // Done now: a second retry changes nothing and says why, in one line.
    const again = await admin("retry", M1);
    expect(again).toEqual({ code: 1, out: "", err: `error: message ${M1} is done, not parked: only a parked one can be retried; nothing was changed\n` });
  });

  it("drop: the parked message is given up, recorded, and the chat's next message goes on", { timeout: 30_000 }, async () => {
    const dropped = await adminJson<{ id: string; chatId: string; action: string; by: string }>("drop", "tg:2", "--by", "tester");
    expect(dropped).toMatchObject({ id: "tg:2", chatId: String(SHOW_CHAT), action: "drop", by: "tester" });
    expect(await adminJson<ParkedRow[]>("parked")).toEqual([]);

    await h.send("next message", makeTextUpdate(20, SHOW_CHAT, "/shows"), () => h.texts(SHOW_CHAT).some((t) => /shows/i.test(t) && !NOTICE.test(t)));
    await chatIdle(SHOW_CHAT);
    const shown = await adminJson<ChatDetail>("show", String(SHOW_CHAT));
    expect(shown.messages.map((m) => [m.id, m.status])).toEqual([[updateInboxId(20), "done"], ["tg:2", "dropped"]]);
    // It never ran again: no show dialog was started.
    expect(h.texts(SHOW_CHAT).some((t) => t.startsWith("What's the show's title?"))).toBe(false);
  });

  it("resend: a failed send goes out again once its cause is gone", { timeout: 30_000 }, async () => {
    h.api.clearFailures();
    const failed = (await adminJson<SendRow[]>("outbox")).find((s) => s.status === "failed")!;
    expect(failed.chatId).toBe(String(REFUSED_CHAT));
    const result = await admin("resend", String(failed.id), "--by", "tester");
    expect(result.code, result.err).toBe(0);
    await h.api.waitFor(() => h.texts(REFUSED_CHAT).length === 1, 10_000, "the resent reply");
    await chatIdle(REFUSED_CHAT);
    expect((await adminJson<SendRow[]>("outbox")).filter((s) => s.chatId === String(REFUSED_CHAT))).toEqual([]);
  });

  it("npm run --silent admin: a table for people, one JSON value for scripts, one line and exit 1 on errors", { timeout: 60_000 }, async () => {
    const npm = (...args: string[]) =>
      run("npm", ["run", "--silent", "admin", "--", ...args], { cwd: REPO_ROOT, env: { ...process.env, DATABASE_PATH: h.dbPath } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    const table = await npm("chats");
    expect(table.stdout.split("\n")[0]).toMatch(/^CHAT\s+ENTRIES\s+DIALOG\s+LAST ACTIVITY\s+PENDING\s+PARKED$/);
    expect(table.stdout).toMatch(new RegExp(`^${DIALOG_CHAT}\\s+0\\s+add_book\\s`, "m"));

    const json = await npm("show", String(MOVIE_CHAT), "--json");
    expect((JSON.parse(json.stdout) as ChatDetail).chatId).toBe(String(MOVIE_CHAT));

    const missing = await npm("show", "999");
    expect(missing).toEqual({ code: 1, stdout: "", stderr: "error: no chat 999 in the database (see admin chats)\n" });
    const badId = await npm("resend", "abc");
    expect(badId.code).toBe(1);
    expect(badId.stderr.trim().split("\n")).toHaveLength(1);
  });
});

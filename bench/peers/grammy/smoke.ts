// End-to-end check of the peer as the bench runs it: a child process on a real port, the fake
// Bot API, a real SQLite folder. Walks /start, the /add_movie dialog (a bad year, a button press,
// a typed rating, commands in the middle), /movies, the hint, a wrong secret, and a restart in the
// middle of a dialog. Exits 1 on the first failed check.
//
//   cd bench/peers/grammy && npm install && npx tsx smoke.ts
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {
  type FakeBotApi,
  makeCallbackUpdate,
  makeTextUpdate,
  postUpdate,
  startFakeBotApi,
} from "../../../test/support/fake-bot-api.js";
import { getStatus, type PeerProcess, startPeer } from "./peer-process.js";

const SECRET = "smoke-secret_0123456789";
const CHAT = 4242;
const OTHER_CHAT = 5151;

let nextUpdateId = 1;
let checks = 0;

/** Posts one update for `chat` and returns the messages the peer sent to that chat while handling it. */
async function send(fake: FakeBotApi, peer: PeerProcess, chat: number, update: object) {
  const before = fake.sent(chat).length;
  const answer = await postUpdate(peer.webhookUrl, update, SECRET);
  assert.equal(answer.status, 200, `webhook status for ${JSON.stringify(update).slice(0, 120)}`);
  // webhookCallback answers after the handler: its calls have all reached the fake by now.
  return fake.sent(chat).slice(before);
}

/** Sends a text and checks that exactly one message came back and that it matches `expected`. */
async function say(fake: FakeBotApi, peer: PeerProcess, chat: number, text: string, expected: RegExp) {
  const replies = await send(fake, peer, chat, makeTextUpdate(nextUpdateId++, chat, text));
  assert.equal(replies.length, 1, `one reply to ${JSON.stringify(text)}, got ${JSON.stringify(replies.map((r) => r.params.text))}`);
  const reply = replies[0]!;
  assert.equal(reply.method, "sendMessage");
  assert.match(String(reply.params.text), expected, `reply to ${JSON.stringify(text)}`);
  checks += 1;
  return reply;
}

/** Presses the inline button `data` under `message` and checks the answerCallbackQuery and the one reply. */
async function press(fake: FakeBotApi, peer: PeerProcess, chat: number, messageId: number, data: string, expected: RegExp) {
  const update = makeCallbackUpdate(nextUpdateId++, chat, data, messageId);
  const answeredBefore = fake.calls.filter((c) => c.method === "answerCallbackQuery").length;
  const replies = await send(fake, peer, chat, update);
  const answers = fake.calls.filter((c) => c.method === "answerCallbackQuery").slice(answeredBefore);
  assert.equal(answers.length, 1, "the button press is answered once");
  assert.equal(answers[0]!.params.callback_query_id, update.callback_query.id);
  assert.equal(replies.length, 1, `one reply to the press of ${data}`);
  assert.match(String(replies[0]!.params.text), expected);
  checks += 1;
}

function buttonData(reply: { params: Record<string, unknown> }): string[] {
  const markup = reply.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data ?? "");
}

function messageId(reply: { result?: unknown }): number {
  return (reply.result as { message_id: number }).message_id;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "peer-grammy-smoke-"));
  const fake = await startFakeBotApi();
  let peer: PeerProcess | undefined;
  try {
    const start = () => startPeer({ token: fake.token, apiRoot: fake.apiRoot, dataDir: path.join(dataDir, "data"), secret: SECRET });
    peer = await start();
    assert.equal(fake.calls.length, 0, "start-up makes no Bot API call (no getMe, no setWebhook)");

    // Plain commands.
    await say(fake, peer, CHAT, "/start", /keep track of the movies/);
    await say(fake, peer, CHAT, "/movies", /haven't added any movies/);
    await say(fake, peer, CHAT, "hello there", /^I didn't understand that\. Try \/add_movie or \/movies\.$/);

    // The dialog: a bad year, then a button press.
    await say(fake, peer, CHAT, "/add_movie", /title/);
    await say(fake, peer, CHAT, "Alien", /year/);
    await say(fake, peer, CHAT, "nineteen seventy-nine", /from 1870 to 2100[\s\S]*year did it come out/);
    await say(fake, peer, CHAT, "1850", /from 1870 to 2100/);
    const ratingQuestion = await say(fake, peer, CHAT, "1979", /rate it, from 1 to 5/);
    assert.deepEqual(buttonData(ratingQuestion), ["rate:1", "rate:2", "rate:3", "rate:4", "rate:5"]);
    await press(fake, peer, CHAT, messageId(ratingQuestion), "rate:5", /^Saved: Alien \(1979\) rated 5\/5$/);

    // A second one with a typed (then a bad) rating, and /movies in the middle (the dialog goes on).
    await say(fake, peer, CHAT, "/add_movie", /title/);
    await say(fake, peer, CHAT, "Heat", /year/);
    await say(fake, peer, CHAT, "/movies", /Your movies \(1\):\n1\. Alien \(1979\) — 5\/5$/);
    await say(fake, peer, CHAT, "1995", /rate it/);
    await say(fake, peer, CHAT, "9", /whole number from 1 to 5/);
    await say(fake, peer, CHAT, " 4 ", /^Saved: Heat \(1995\) rated 4\/5$/);
    await say(fake, peer, CHAT, "/movies", /Your movies \(2\):\n1\. Alien \(1979\) — 5\/5\n2\. Heat \(1995\) — 4\/5$/);

    // Outside a dialog: the hint, an old button, a returning /start. Another chat sees nothing of this one.
    await say(fake, peer, CHAT, "1995", /I didn't understand that/);
    const stale = await send(fake, peer, CHAT, makeCallbackUpdate(nextUpdateId++, CHAT, "rate:3", messageId(ratingQuestion)));
    assert.equal(stale.length, 0, "an old button gets only answerCallbackQuery");
    assert.equal(fake.calls.at(-1)?.method, "answerCallbackQuery");
    await say(fake, peer, CHAT, "/start", /Welcome back/);
    await say(fake, peer, OTHER_CHAT, "/movies", /haven't added any movies/);

    // /add_movie in the middle of a dialog starts it over.
    await say(fake, peer, CHAT, "/add_movie", /title/);
    await say(fake, peer, CHAT, "Up", /year/);
    await say(fake, peer, CHAT, "/add_movie", /title/);
    await say(fake, peer, CHAT, "Up", /year/);

    // A restart in the middle of the dialog: SIGTERM exits 0, the dialog resumes from SQLite.
    const stopped = await peer.stop();
    assert.deepEqual(stopped, { code: 0, signal: null }, `clean exit on SIGTERM; output:\n${peer.output.join("")}`);
    peer = await start();
    await say(fake, peer, CHAT, "2009", /rate it/);
    await say(fake, peer, CHAT, "3", /^Saved: Up \(2009\) rated 3\/5$/);

    // The HTTP surface.
    const before = fake.calls.length;
    const forged = await postUpdate(peer.webhookUrl, makeTextUpdate(nextUpdateId++, CHAT, "/movies"), "wrong-secret");
    assert.equal(forged.status, 401, "a wrong secret is refused");
    assert.equal(fake.calls.length, before, "a refused update has no effect");
    assert.equal(await getStatus(`http://127.0.0.1:${peer.port}/healthz`), 200);
    assert.equal(await getStatus(peer.webhookUrl), 405, "GET on the webhook path");
    checks += 3;

    const output = peer.output.join("");
    assert.deepEqual(await peer.stop(), { code: 0, signal: null });
    assert.equal(output, "", "quiet: nothing on stdout or stderr");

    // What the database holds.
    const db = new Database(path.join(dataDir, "data", "peer-grammy.db"), { readonly: true });
    try {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      const rows = db.prepare("SELECT chat_id, title, year, rating, added_at FROM movies ORDER BY id").all() as Array<Record<string, unknown>>;
      assert.deepEqual(
        rows.map(({ added_at, ...rest }) => (assert.equal(typeof added_at, "number"), rest)),
        [
          { chat_id: CHAT, title: "Alien", year: 1979, rating: 5 },
          { chat_id: CHAT, title: "Heat", year: 1995, rating: 4 },
          { chat_id: CHAT, title: "Up", year: 2009, rating: 3 },
        ],
      );
      const conversations = db.prepare("SELECT count(*) AS n FROM conversations").get() as { n: number };
      assert.equal(conversations.n, 0, "finished dialogs leave no conversation state");
      const session = db.prepare("SELECT value FROM sessions WHERE key = ?").get(String(CHAT)) as { value: string } | undefined;
      assert.deepEqual(JSON.parse(session?.value ?? "null"), { greeted: true });
      checks += 3;
    } finally {
      db.close();
    }
    console.log(`smoke: ${checks} passed, 0 failed`);
  } finally {
    if (peer && peer.child.exitCode === null && peer.child.signalCode === null) peer.child.kill("SIGKILL");
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  console.log(`smoke: ${checks} passed, 1 failed`);
  process.exit(1);
});

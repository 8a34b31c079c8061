// Smoke check of the Restate peer against the project's fake Bot API, over real HTTP with the peer
// (and its restate-server) as child processes. Not part of the test suite; run it from this folder:
//   node --import tsx smoke.ts
// It walks /start, the /add_movie dialog (an invalid year, a button press, a typed rating), /movies
// and the hint; posts one update twice and checks it is handled once; SIGTERMs the peer right after
// a burst (all answered once, exit 0), restarts it on the same DATA_DIR with new ports (the movies
// are still listed); then SIGKILLs it right after another burst, restarts, and checks that burst is
// answered too.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type FakeBotApi,
  makeCallbackUpdate,
  makeTextUpdate,
  postUpdate,
  type RecordedCall,
  startFakeBotApi,
} from "../../../test/support/fake-bot-api.js";
import { saved, TEXT } from "./movie-chat.js";
import { type PeerProcess, startPeer } from "./peer-process.js";

const SECRET = "smoke-secret_0123456789";
const CHAT = 4242;
const WAIT_MS = 60_000;
const BURST = 200;
/** Sends the fake Bot API holds (answers only after the kill) in the SIGKILL burst. */
const HELD_SENDS = 10;
const BURST_BEFORE_SIGTERM = 5_000_000;
const BURST_BEFORE_SIGKILL = 6_000_000;

/** sendMessage calls that reached the fake Bot API, per chat of the burst whose chats start at base. */
function burstArrivals(fake: FakeBotApi, base: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const call of fake.sent()) {
    const chat = Number(call.params.chat_id);
    if (chat >= base && chat < base + BURST) counts.set(chat, (counts.get(chat) ?? 0) + 1);
  }
  return counts;
}

/** Chats of that burst with a sendMessage the fake answered (a call still held by a delay is not). */
function burstAnswered(fake: FakeBotApi, base: number): Set<number> {
  const chats = new Set<number>();
  for (const call of fake.sent()) {
    const chat = Number(call.params.chat_id);
    if (chat >= base && chat < base + BURST && call.result !== undefined) chats.add(chat);
  }
  return chats;
}

/** One "hello" to each of BURST chats from base, 16 at a time; resolves after the last 200. */
async function postBurst(peer: PeerProcess, base: number): Promise<void> {
  const burst = Array.from({ length: BURST }, (_, i) => makeTextUpdate(id(), base + i, "hello"));
  for (let i = 0; i < burst.length; i += 16) await Promise.all(burst.slice(i, i + 16).map((u) => post(peer, u)));
}

function childPids(pid: number): number[] {
  const out = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).trim();
  return out === "" ? [] : out.split(/\s+/).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let nextUpdateId = 1000;
const id = (): number => nextUpdateId++;
/** Messages and presses accepted by the webhook, each of which must yield exactly one sendMessage. */
let accepted = 0;

function step(text: string): void {
  console.log(`ok - ${text}`);
}

/** Posts an update and expects the webhook's 200 (accepted by Restate's ingress). */
async function post(peer: PeerProcess, update: { update_id: number }): Promise<void> {
  const res = await postUpdate(peer.webhookUrl, update, SECRET);
  assert.equal(res.status, 200, `webhook answered ${res.status} ${res.body} for update ${update.update_id}`);
}

/** Posts a text message and waits for the chat's next message from the bot; returns it. */
async function say(fake: FakeBotApi, peer: PeerProcess, text: string): Promise<RecordedCall> {
  const before = fake.sent(CHAT).length;
  await post(peer, makeTextUpdate(id(), CHAT, text));
  accepted += 1;
  await fake.waitFor((api) => api.sent(CHAT).length > before, WAIT_MS, `reply to ${JSON.stringify(text)}`);
  const replies = fake.sent(CHAT).slice(before);
  return replies[0]!;
}

function textOf(call: RecordedCall): string {
  return String(call.params.text);
}

async function main(): Promise<void> {
  const fake = await startFakeBotApi();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "restate-peer-smoke-"));
  const options = { apiRoot: fake.apiRoot, token: fake.token, secret: SECRET, dataDir };
  let peer = await startPeer(options);
  try {
    console.log(`peer ready (GET /healthz 200) ${Math.round(peer.startupMs)} ms after spawn (fresh DATA_DIR)`);

    // The receiver's own checks.
    const wrongSecret = await postUpdate(peer.webhookUrl, makeTextUpdate(id(), CHAT, "/start"), "wrong");
    assert.equal(wrongSecret.status, 401);
    const badJson = await fetch(peer.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET },
      body: "{not json",
    });
    assert.equal(badJson.status, 400);
    step("wrong secret -> 401, bad JSON -> 400");

    assert.equal(textOf(await say(fake, peer, "/start")), TEXT.greeting);
    step("/start -> greeting");

    assert.equal(textOf(await say(fake, peer, "/add_movie")), TEXT.askTitle);
    assert.equal(textOf(await say(fake, peer, "Inception")), TEXT.askYear);
    assert.equal(textOf(await say(fake, peer, "soon")), TEXT.badYear);
    assert.equal(textOf(await say(fake, peer, "1850")), TEXT.badYear);
    const ratingQuestion = await say(fake, peer, "2010");
    assert.equal(textOf(ratingQuestion), TEXT.askRating);
    const keyboard = (ratingQuestion.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard;
    assert.deepEqual(keyboard[0]?.map((b) => b.text), ["1", "2", "3", "4", "5"]);
    step("/add_movie asks title, year (twice after invalid years), rating with buttons 1..5");

    const before = fake.sent(CHAT).length;
    const press = makeCallbackUpdate(id(), CHAT, keyboard[0]![3]!.callback_data);
    await post(peer, press);
    accepted += 1;
    await fake.waitFor((api) => api.sent(CHAT).length > before, WAIT_MS, "reply to the button press");
    assert.equal(textOf(fake.sent(CHAT)[before]!), saved({ title: "Inception", year: 2010, rating: 4 }));
    const answered = fake.calls.filter((c) => c.method === "answerCallbackQuery" && c.params.callback_query_id === press.callback_query.id);
    assert.equal(answered.length, 1, "the button press is answered once");
    step("button 4 -> answerCallbackQuery + \"Saved: Inception (2010) rated 4/5\"");

    await say(fake, peer, "/add_movie");
    await say(fake, peer, "Heat");
    await say(fake, peer, "1995");
    assert.equal(textOf(await say(fake, peer, "5")), saved({ title: "Heat", year: 1995, rating: 5 }));
    step("typed rating 5 -> \"Saved: Heat (1995) rated 5/5\"");

    const list = textOf(await say(fake, peer, "/movies"));
    assert.match(list, /Inception \(2010\) rated 4\/5/);
    assert.match(list, /Heat \(1995\) rated 5\/5/);
    step("/movies lists both movies");

    assert.equal(textOf(await say(fake, peer, "what's up?")), TEXT.hint);
    step("other text -> hint");

    // The same update twice (Telegram redelivers when it missed our 200): handled once. A later
    // update's reply is the fence: a chat's updates run in order, so a second run of the duplicate
    // would have replied before it.
    const sentBefore = fake.sent(CHAT).length;
    const duplicate = makeTextUpdate(id(), CHAT, "/movies");
    await post(peer, duplicate);
    await post(peer, duplicate);
    accepted += 1;
    const fence = await say(fake, peer, "fence");
    assert.equal(textOf(fence), TEXT.hint);
    const afterDuplicate = fake.sent(CHAT).slice(sentBefore);
    assert.equal(afterDuplicate.length, 2, `expected one /movies reply and the fence's, got ${afterDuplicate.map(textOf).join(" | ")}`);
    assert.match(textOf(afterDuplicate[0]!), /^Your movies:/);
    step("same update_id posted twice -> handled once");

    // A burst on other chats, then SIGTERM right after the last 200: the peer lets the accepted
    // updates finish before it stops restate-server, so none is answered twice.
    await postBurst(peer, BURST_BEFORE_SIGTERM);
    const pendingAtSigterm = BURST - burstAnswered(fake, BURST_BEFORE_SIGTERM).size;
    const exitCode = await peer.stop();
    assert.equal(exitCode, 0, "SIGTERM -> exit 0");
    assert.equal(burstAnswered(fake, BURST_BEFORE_SIGTERM).size, BURST, "every update accepted before SIGTERM is answered before the exit");
    assert.ok([...burstArrivals(fake, BURST_BEFORE_SIGTERM).values()].every((n) => n === 1), "none sent twice");
    step(`SIGTERM -> exit 0, after answering the ${pendingAtSigterm} burst updates still pending when it came`);

    peer = await startPeer(options);
    console.log(`peer restarted on the same DATA_DIR (new ports), ready ${Math.round(peer.startupMs)} ms after spawn`);
    const listAfterRestart = textOf(await say(fake, peer, "/movies"));
    assert.match(listAfterRestart, /Inception \(2010\) rated 4\/5/);
    assert.match(listAfterRestart, /Heat \(1995\) rated 5\/5/);
    step("after restart, /movies still lists both movies");

    // A crash: SIGKILL right after a burst's last 200. restate-server dies with the peer; whatever
    // was accepted is durable in Restate and answered after the restart. The fake Bot API holds the
    // burst's first sends until the kill, so some invocations are surely mid-send when it comes.
    fake.failNext("sendMessage", HELD_SENDS, { delayMs: 600_000 });
    await postBurst(peer, BURST_BEFORE_SIGKILL);
    const pendingAtSigkill = BURST - burstAnswered(fake, BURST_BEFORE_SIGKILL).size;
    const children = childPids(peer.child.pid!);
    assert.ok(children.length > 0, "restate-server runs as the peer's child");
    await peer.stop("SIGKILL");
    const deadline = Date.now() + WAIT_MS;
    while (children.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(!children.some(alive), "restate-server died with the peer");
    assert.ok(pendingAtSigkill >= HELD_SENDS, "the held sends were unanswered at the kill");
    fake.clearFailures();
    peer = await startPeer(options);
    await fake.waitFor((api) => burstAnswered(api, BURST_BEFORE_SIGKILL).size === BURST, WAIT_MS, "every burst update answered after the crash");
    const twice = [...burstArrivals(fake, BURST_BEFORE_SIGKILL).values()].filter((n) => n > 1).length;
    step(
      `SIGKILL with ${pendingAtSigkill} burst updates unanswered (${HELD_SENDS} of them mid-send): restate-server died too; ` +
        `after the restart all ${BURST} answered; ${twice} sendMessage calls reached the Bot API twice ` +
        "(a send in flight at the kill has no journaled result, so the replay makes it again)",
    );

    // Exactly one sendMessage per accepted message (and per live button press), over the whole run.
    assert.equal(fake.sent(CHAT).length, accepted);
    step(`${accepted} updates accepted, ${fake.sent(CHAT).length} replies: one each`);

    assert.equal(await peer.stop(), 0);
    console.log("smoke: all checks passed");
  } finally {
    await peer.stop();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

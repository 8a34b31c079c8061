// The /add_movie dialog survives a SIGKILL at every crash point: the real bot runs as a child
// process, dies where MT_CRASH_AT says, is restarted on the same database and port, gets again any
// update it never acknowledged (as Telegram would), and the conversation ends exactly as without
// the crash: one movie saved, every update handled once, every reply sent once (a reply may be
// sent twice only when the crash came between Telegram's answer and our record of it).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeCallbackUpdate, makeTextUpdate, updateInboxId } from "../support/fake-bot-api.js";
import type { PostResult } from "../support/bot-process.js";
import { CrashHarness, sleep } from "./harness.js";

const CHAT = 4242;

/** The replies of the dialog, in order, each recognised by its text. */
const EXPECTED = [
  { name: "title prompt", pattern: /^What's the movie's title\?/ },
  { name: "year prompt", pattern: /^What year did it come out\?/ },
  { name: "rating prompt", pattern: /^Your rating, 1 to 5 stars\?/ },
  { name: "saved", pattern: /^Saved the movie: Dune \(2021\), ★★★★☆ 4\/5\.$/ },
  { name: "movies list", pattern: /^Your movies \(1\):\n1\. Dune \(2021\)/ },
] as const;

/** Bot API calls the dialog makes: 5 texts, plus answerCallbackQuery and the buttons' removal. */
const EXPECTED_DELIVERIES = EXPECTED.length + 2;

interface CrashCase {
  name: string;
  /** MT_CRASH_AT for the first start; undefined: the test kills the bot itself. */
  crashAt?: string;
  /** Duplicated deliveries allowed (at-least-once window: sent, crash before the record). */
  maxDuplicates: number;
}

// Occurrences, for this script: one accept and one message per update (u1…u5); one write step, at
// the save (u4); sends 1-3 are the three prompts, 4-5 the button's answer and removal, 6 "Saved".
// Every point once where it matters most, plus the two extra places worth a child start each: the
// completion of the message whose write step is already journaled, and a resent confirmation.
const CASES: CrashCase[] = [
  { name: "ingest.after-commit@3 (u3 stored by the ingest thread, not acknowledged)", crashAt: "ingest.after-commit@3", maxDuplicates: 0 },
  { name: "message.before-handle@3", crashAt: "message.before-handle@3", maxDuplicates: 0 },
  { name: "step.before@1 (before the movie's write)", crashAt: "step.before@1", maxDuplicates: 0 },
  { name: "step.after-commit@1 (movie written, message not finished)", crashAt: "step.after-commit@1", maxDuplicates: 0 },
  { name: "message.before-commit@3", crashAt: "message.before-commit@3", maxDuplicates: 0 },
  { name: "message.before-commit@4 (after the journaled write)", crashAt: "message.before-commit@4", maxDuplicates: 0 },
  { name: "message.after-commit@3 (rating prompt claimed at birth, not sent)", crashAt: "message.after-commit@3", maxDuplicates: 0 },
  { name: "outbox.before-send@3 (rating prompt claimed, not sent)", crashAt: "outbox.before-send@3", maxDuplicates: 0 },
  // The answer is recorded before the buttons' removal is sent: nothing goes out twice.
  { name: "outbox.before-send@5 (the answer sent and recorded; the removal not sent)", crashAt: "outbox.before-send@5", maxDuplicates: 0 },
  { name: "outbox.after-send@3 (rating prompt sent, not recorded)", crashAt: "outbox.after-send@3", maxDuplicates: 1 },
  { name: "outbox.after-send@6 (confirmation sent, not recorded)", crashAt: "outbox.after-send@6", maxDuplicates: 1 },
  { name: "outbox.after-record@3", crashAt: "outbox.after-record@3", maxDuplicates: 0 },
  { name: "between two updates (SIGKILL by the test once u3 is answered and the bot is idle)", maxDuplicates: 0 },
];

describe("crash during the /add_movie dialog", () => {
  let h: CrashHarness;
  beforeEach(async () => {
    h = await CrashHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it.each(CASES)("$name", async ({ crashAt, maxDuplicates }) => {
    const matches = (i: number) => (api: typeof h.api) => api.sent(CHAT).some((c) => EXPECTED[i]!.pattern.test(String(c.params.text)));

    await h.start(crashAt);
    await h.send("u1 /add_movie", makeTextUpdate(1, CHAT, "/add_movie"), matches(0));
    await h.send("u2 Dune", makeTextUpdate(2, CHAT, "Dune"), matches(1));
    await h.send("u3 2021", makeTextUpdate(3, CHAT, "2021"), matches(2));
    if (crashAt === undefined) {
      // Idle first: otherwise the kill could fall between a send and its record (outbox.after-send).
      await h.bot.waitIdle();
      h.bot.kill("SIGKILL");
      await h.restartAfterCrash("between u3 and u4 (killed by the test)");
    }
    // The button under the (last) rating prompt, by the message id the fake API gave it.
    const ratingPrompt = h.api.sent(CHAT).filter((c) => EXPECTED[2].pattern.test(String(c.params.text))).at(-1);
    const ratingMessageId = (ratingPrompt?.result as { message_id?: number } | undefined)?.message_id ?? 1;
    await h.send("u4 button answer:4", makeCallbackUpdate(4, CHAT, "answer:4", ratingMessageId), matches(3));
    await h.send("u5 /movies", makeTextUpdate(5, CHAT, "/movies"), matches(4));
    await h.bot.waitIdle();
    await h.stop();

    const context = () => `\n${h.describe()}`;
    // The crash point was reached (once; every restart is clean) and the child died of it.
    expect(h.crashes.length, `crashes${context()}`).toBe(1);
    expect(h.crashes[0]!.exit.signal).toBe("SIGKILL");

    const db = h.readDb((d) => ({
      entries: d.prepare(`SELECT kind, title, year, rating FROM entries WHERE chat_id = ?`).all(String(CHAT)),
      inbox: d.prepare(`SELECT id, status, attempts, last_error FROM inbox WHERE agent_key = ? ORDER BY seq`).all(String(CHAT)) as Array<{
        id: string; status: string; attempts: number; last_error: string | null;
      }>,
      outbox: d.prepare(`SELECT status, COUNT(*) AS n FROM outbox WHERE agent_key = ? GROUP BY status`).all(String(CHAT)),
    }));
    const dbContext = () => `\ndatabase: ${JSON.stringify(db, null, 1)}${context()}`;

    // Exactly one movie, with every answer.
    expect(db.entries, `entries${dbContext()}`).toEqual([{ kind: "movie", title: "Dune", year: 2021, rating: 4 }]);
    // One inbox row per update, all done: none pending, none parked.
    expect(db.inbox.map((r) => r.id), `inbox ids${dbContext()}`).toEqual([1, 2, 3, 4, 5].map((n) => updateInboxId(n)));
    expect(db.inbox.filter((r) => r.status !== "done"), `inbox rows not done${dbContext()}`).toEqual([]);
    // Every outgoing message delivered.
    expect(db.outbox, `outbox${dbContext()}`).toEqual([{ status: "sent", n: EXPECTED_DELIVERIES }]);

    // The replies, in order: each expected one appears, nothing else does, duplicates only where allowed.
    const texts = h.texts(CHAT);
    let next = 0;
    for (const text of texts) {
      const index = EXPECTED.findIndex((e) => e.pattern.test(text));
      expect(index, `unexpected reply ${JSON.stringify(text)}${context()}`).toBeGreaterThanOrEqual(0);
      if (index === next) next++;
      else expect(index, `reply ${JSON.stringify(text)} out of order${context()}`).toBe(next - 1); // a repeat of the last one
    }
    expect(next, `expected replies seen in order: ${EXPECTED.slice(0, next).map((e) => e.name).join(", ")}${context()}`).toBe(EXPECTED.length);
    const duplicates = h.deliveries(CHAT).length - EXPECTED_DELIVERIES;
    expect(duplicates, `duplicated deliveries${context()}`).toBeGreaterThanOrEqual(0);
    expect(duplicates, `duplicated deliveries${context()}`).toBeLessThanOrEqual(maxDuplicates);

    // The list shows the movie once.
    const list = texts.filter((t) => EXPECTED[4].pattern.test(t));
    expect(list.length, `list replies${context()}`).toBe(1);
    expect(list[0]!.match(/Dune/g)?.length, `Dune in the list${context()}`).toBe(1);
  });
});

/** "200 stored" / "200 duplicate" from a webhook answer. */
function outcome(res: PostResult): string {
  if (res === "connection-failed") return res;
  let status = "?";
  try {
    status = String((JSON.parse(res.body) as { status?: unknown }).status);
  } catch {
    status = res.body;
  }
  return `${res.status} ${status}`;
}

describe("the same update delivered twice to the live bot", () => {
  let h: CrashHarness;
  beforeEach(async () => {
    h = await CrashHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it("is stored and handled once, whether the copies come one after the other or at the same time", async () => {
    const bot = await h.start();
    const first = makeTextUpdate(1, CHAT, "/start");
    const a = await bot.post(first);
    const b = await bot.post(first);
    expect([a, b].map(outcome), h.describe()).toEqual(["200 stored", "200 duplicate"]);

    const second = makeTextUpdate(2, CHAT, "/help");
    const both = await Promise.all([bot.post(second), bot.post(second)]);
    expect(both.map(outcome).sort(), h.describe()).toEqual(["200 duplicate", "200 stored"]);

    await h.api.waitFor((api) => api.sent(CHAT).length >= 2, 5000, "two replies");
    await bot.waitIdle();
    await sleep(200); // room for a second, wrong reply to show up
    await h.stop();

    const texts = h.texts(CHAT);
    expect(texts.length, h.describe()).toBe(2);
    expect(texts[0]).toMatch(/^Hi! I remember what you read, watch and quote\./);
    expect(texts[1]).toMatch(/^I remember what you read, watch and quote\./);
    const inbox = h.readDb((d) => d.prepare(`SELECT id, status FROM inbox WHERE agent_key = ? ORDER BY seq`).all(String(CHAT)));
    expect(inbox).toEqual([
      { id: updateInboxId(1), status: "done" },
      { id: updateInboxId(2), status: "done" },
    ]);
  });
});

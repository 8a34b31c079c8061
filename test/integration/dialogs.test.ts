// The guided dialogs end to end through the webhook: /add_book, /add_movie, /add_show (with its
// optional rating), /add_quote; bad input of every kind gets a reason and the same question; the
// durable expiry timer drops a dialog left unanswered, across a restart too, and only once.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { postUpdate } from "../support/fake-bot-api.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function expectReplies(app: TestApp, chatId: number, count: number): Promise<string[]> {
  await app.api.waitFor(() => app.replies(chatId).length >= count, 10_000, `${count} replies to chat ${chatId}`);
  return app.replies(chatId);
}

/** Says each text in turn, waiting for the bot's replies to each before the next (`counts[i]` replies). */
async function converse(app: TestApp, chatId: number, steps: Array<[string, number]>): Promise<string[]> {
  let expected = app.replies(chatId).length;
  for (const [text, count] of steps) {
    await app.say(chatId, text);
    expected += count;
    await expectReplies(app, chatId, expected);
  }
  return app.replies(chatId);
}

function entries(app: TestApp, chatId: number) {
  return app.app.db
    .prepare(
      `SELECT kind, title, author, year, rating, season, episode, status, quote_text AS quoteText, watched_on AS watchedOn, notes
       FROM entries WHERE chat_id = ? ORDER BY added_at_ms, rowid`,
    )
    .all(String(chatId));
}

const EMPTY = { author: null, year: null, rating: null, season: null, episode: null, status: null, quoteText: null, watchedOn: null, notes: null };

function armedTimers(app: TestApp, chatId: number): number {
  return app.app.db
    .prepare("SELECT COUNT(*) FROM timers WHERE agent_key = ? AND fired_at_ms IS NULL AND canceled_at_ms IS NULL")
    .pluck()
    .get(String(chatId)) as number;
}

/** A clock the test moves by hand. */
function fakeClock(startMs: number) {
  let now = startMs;
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) };
}

async function postNonText(app: TestApp, chatId: number, updateId: number, content: Record<string, unknown>) {
  const update = {
    update_id: updateId,
    message: { message_id: updateId, date: 1, chat: { id: chatId, type: "private" }, from: { id: chatId, is_bot: false, first_name: "A" }, ...content },
  };
  const res = await postUpdate(app.webhookUrl, update, SECRET);
  expect(res.status).toBe(200);
}

describe("happy paths", () => {
  it("/add_book asks title, author, rating in turn and stores exactly the book", async () => {
    t = await startTestApp();
    const replies = await converse(t, 1, [["/add_book", 1], ["The Left Hand of Darkness", 1], ["Ursula K. Le Guin", 1], ["4.5", 1]]);
    expect(replies[0]).toMatch(/title/i);
    expect(replies[1]).toMatch(/author/i);
    expect(replies[2]).toMatch(/rating/i);
    expect(replies[3]).toBe("Saved the book: The Left Hand of Darkness by Ursula K. Le Guin, ★★★★½ 4.5/5.");
    expect(entries(t, 1)).toEqual([{ ...EMPTY, kind: "book", title: "The Left Hand of Darkness", author: "Ursula K. Le Guin", rating: 4.5 }]);
    expect(armedTimers(t, 1)).toBe(0);
  });

  it("/add_book takes the rating from a button", async () => {
    t = await startTestApp();
    await converse(t, 2, [["/add_book", 1], ["Dune", 1], ["Frank Herbert", 1]]);
    const ratingPrompt = t.api.sent(2).at(-1)!;
    await t.press(2, "answer:5", (ratingPrompt.result as { message_id: number }).message_id);
    const replies = await expectReplies(t, 2, 4);
    expect(replies[3]).toBe("Saved the book: Dune by Frank Herbert, ★★★★★ 5/5.");
    expect(entries(t, 2)).toEqual([{ ...EMPTY, kind: "book", title: "Dune", author: "Frank Herbert", rating: 5 }]);
  });

  it("/add_movie stores the watch date: the day it was added (UTC)", async () => {
    const clock = fakeClock(Date.UTC(2025, 2, 14, 23, 59, 30));
    t = await startTestApp({}, false, { clock });
    const replies = await converse(t, 3, [["/add_movie", 1], ["Arrival", 1], ["2016", 1], ["5", 1]]);
    expect(replies[3]).toBe("Saved the movie: Arrival (2016), ★★★★★ 5/5.");
    expect(entries(t, 3)).toEqual([{ ...EMPTY, kind: "movie", title: "Arrival", year: 2016, rating: 5, watchedOn: "2025-03-14" }]);
  });

  it("/add_show asks title, season, episode, then an optional rating, and stores a show being watched", async () => {
    t = await startTestApp();
    const replies = await converse(t, 4, [["/add_show", 1], ["Severance", 1], ["2", 1], ["5", 1], ["4", 1]]);
    expect(replies[0]).toMatch(/title/i);
    expect(replies[1]).toMatch(/season/i);
    expect(replies[2]).toMatch(/episode/i);
    expect(replies[3]).toMatch(/rating/i);
    expect(replies[3]).toContain("/skip");
    expect(replies[4]).toBe("Saved the show: Severance, season 2, episode 5, ★★★★☆ 4/5.");
    expect(entries(t, 4)).toEqual([{ ...EMPTY, kind: "show", title: "Severance", season: 2, episode: 5, rating: 4, status: "watching" }]);
  });

  it("/add_show: /skip on the rating leaves it out", async () => {
    t = await startTestApp();
    const replies = await converse(t, 5, [["/add_show", 1], ["Severance", 1], ["Season 2", 1], ["5", 1], ["/skip", 1]]);
    expect(replies[4]).toBe("Saved the show: Severance, season 2, episode 5.");
    expect(entries(t, 5)).toEqual([{ ...EMPTY, kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" }]);
  });

  it("/add_show: the Skip button under the rating question leaves it out too", async () => {
    t = await startTestApp();
    await converse(t, 6, [["/add_show", 1], ["The Bear", 1], ["3", 1], ["10", 1]]);
    const ratingPrompt = t.api.sent(6).at(-1)!;
    expect(JSON.stringify(ratingPrompt.params.reply_markup)).toContain("answer:/skip");
    await t.press(6, "answer:/skip", (ratingPrompt.result as { message_id: number }).message_id);
    const replies = await expectReplies(t, 6, 5);
    expect(replies[4]).toBe("Saved the show: The Bear, season 3, episode 10.");
    expect(entries(t, 6)).toEqual([{ ...EMPTY, kind: "show", title: "The Bear", season: 3, episode: 10, status: "watching" }]);
  });

  it("/add_quote asks the quote text, the title of the work and its author, and keeps the quote's line breaks", async () => {
    t = await startTestApp();
    const quote = "Two roads diverged in a wood, and I—  \nI took the one less traveled by,";
    const replies = await converse(t, 7, [["/add_quote", 1], [quote, 1], ["The Road Not Taken", 1], ["Robert Frost", 1]]);
    expect(replies[0]).toMatch(/quote text/i);
    expect(replies[1]).toMatch(/title/i);
    expect(replies[2]).toMatch(/author/i);
    const stored = "Two roads diverged in a wood, and I—\nI took the one less traveled by,";
    expect(replies[3]).toBe(`Saved the quote from The Road Not Taken by Robert Frost:\n“${stored}”`);
    expect(entries(t, 7)).toEqual([{ ...EMPTY, kind: "quote", title: "The Road Not Taken", author: "Robert Frost", quoteText: stored }]);
  });

  it("/help lists every dialog", async () => {
    t = await startTestApp();
    const [help] = await converse(t, 8, [["/help", 1]]);
    for (const name of ["add_book", "add_movie", "add_show", "add_quote"]) expect(help).toContain(`/${name}`);
    expect(help).not.toContain("test_dialog");
  });
});

describe("bad input gets a clear message and the same question; the dialog goes on", () => {
  it("titles: empty, whitespace, invisible, 5,000 characters; then emoji and right-to-left text are kept", async () => {
    t = await startTestApp();
    const [titleQ] = await converse(t, 10, [["/add_book", 1]]);
    const long = "A".repeat(5000);
    const replies = await converse(t, 10, [["   ", 2], ["\u200f\u200b", 2], [long, 2]]);
    expect(replies.slice(1)).toEqual([
      "The title can't be empty.", titleQ,
      "The title can't be empty.", titleQ,
      "That title is too long: 5,000 characters, and the most I keep is 300. Please shorten it.", titleQ,
    ]);
    const title = "📚 שלום עולם — كتاب 🇮🇱✨";
    const rest = await converse(t, 10, [[title, 1], ["مؤلف 👩‍💻", 1], ["3", 1]]);
    expect(rest.at(-1)).toBe(`Saved the book: ${title} by مؤلف 👩‍💻, ★★★☆☆ 3/5.`);
    expect(entries(t, 10)).toEqual([{ ...EMPTY, kind: "book", title, author: "مؤلف 👩‍💻", rating: 3 }]);
  });

  it("years: 3000 and abc; ratings: 0 and 6; /skip on a needed field", async () => {
    t = await startTestApp();
    const [, yearQ] = await converse(t, 11, [["/add_movie", 1], ["Alien", 1]]);
    const afterYear = await converse(t, 11, [["3000", 2], ["abc", 2], ["/skip", 2], ["1979", 1]]);
    expect(afterYear.slice(2, 8)).toEqual([
      "The year must be between 1870 and 2100.", yearQ,
      "Please send the year as a number, like 1999 (1870–2100).", yearQ,
      "The year is needed, so it can't be skipped.", yearQ,
    ]);
    const ratingQ = afterYear.at(-1)!;
    const afterRating = await converse(t, 11, [["0", 2], ["6", 2], ["4", 1]]);
    const refusal = "The rating must be a number of stars from 1 to 5 (half stars like 3.5 are fine).";
    expect(afterRating.slice(-5)).toEqual([refusal, ratingQ, refusal, ratingQ, "Saved the movie: Alien (1979), ★★★★☆ 4/5."]);
    expect(entries(t, 11)).toMatchObject([{ kind: "movie", title: "Alien", year: 1979, rating: 4 }]);
  });

  it("seasons and episodes: 0, 101, abc, 10,001; a bad rating on the optional field", async () => {
    t = await startTestApp();
    const [, seasonQ] = await converse(t, 12, [["/add_show", 1], ["Severance", 1]]);
    const s = await converse(t, 12, [["0", 2], ["101", 2], ["two", 2], ["2", 1]]);
    expect(s.slice(2, 8)).toEqual([
      "The season must be a whole number from 1 to 100.", seasonQ,
      "The season must be a whole number from 1 to 100.", seasonQ,
      "Please send the season as a whole number, like 2 (1–100).", seasonQ,
    ]);
    const episodeQ = s.at(-1)!;
    expect(episodeQ).toMatch(/episode/i);
    const e = await converse(t, 12, [["10001", 2], ["-3", 2], ["5", 1]]);
    expect(e.slice(-5, -1)).toEqual([
      "The episode must be a whole number from 1 to 10,000.", episodeQ,
      "Please send the episode as a whole number, like 5 (1–10,000).", episodeQ,
    ]);
    const ratingQ = e.at(-1)!;
    const r = await converse(t, 12, [["6", 2], ["/skip", 1]]);
    expect(r.slice(-3)).toEqual(["The rating must be a number of stars from 1 to 5 (half stars like 3.5 are fine).", ratingQ, "Saved the show: Severance, season 2, episode 5."]);
    expect(entries(t, 12)).toEqual([{ ...EMPTY, kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" }]);
  });

  it("quotes: empty and over 2,000 characters; authors over 200 characters", async () => {
    t = await startTestApp();
    const [quoteQ] = await converse(t, 13, [["/add_quote", 1]]);
    const q = await converse(t, 13, [[" \n ", 2], ["x".repeat(2001), 2], ["Short and sweet.", 1], ["Hamlet", 1]]);
    expect(q.slice(1, 5)).toEqual([
      "The quote text can't be empty.", quoteQ,
      "That quote is too long: 2,001 characters, and the most I keep is 2,000. Please shorten it.", quoteQ,
    ]);
    const authorQ = q.at(-1)!;
    const a = await converse(t, 13, [["y".repeat(201), 2], ["William Shakespeare", 1]]);
    expect(a.slice(-3, -1)).toEqual(["That author's name is too long: 201 characters, and the most I keep is 200. Please shorten it.", authorQ]);
    expect(entries(t, 13)).toEqual([{ ...EMPTY, kind: "quote", title: "Hamlet", author: "William Shakespeare", quoteText: "Short and sweet." }]);
  });

  it("an unknown command, a photo and a sticker mid-dialog get an answer and the same question again", async () => {
    t = await startTestApp();
    const [, authorQ] = await converse(t, 14, [["/add_book", 1], ["Piranesi", 1]]);
    await converse(t, 14, [["/frobnicate", 2]]);
    await postNonText(t, 14, 500, { photo: [{ file_id: "p", file_unique_id: "p", width: 1, height: 1 }] });
    await expectReplies(t, 14, 6);
    await postNonText(t, 14, 501, { sticker: { file_id: "s" } });
    const replies = await expectReplies(t, 14, 8);
    expect(replies[2]).toMatch(/^I don't know \/frobnicate/);
    expect(replies[3]).toBe(authorQ);
    expect(replies[4]).toMatch(/only read text/);
    expect(replies[5]).toBe(authorQ);
    expect(replies[6]).toMatch(/only read text/);
    expect(replies[7]).toBe(authorQ);
    const done = await converse(t, 14, [["Susanna Clarke", 1], ["5", 1]]);
    expect(done.at(-1)).toBe("Saved the book: Piranesi by Susanna Clarke, ★★★★★ 5/5.");
    expect(entries(t, 14)).toEqual([{ ...EMPTY, kind: "book", title: "Piranesi", author: "Susanna Clarke", rating: 5 }]);
  });
});

describe("a dialog left unanswered is dropped by a durable timer", () => {
  const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
  const MINUTE = 60_000;

  it("drops the dialog after DIALOG_TIMEOUT_MINUTES without an accepted answer; each accepted answer re-arms it", async () => {
    const clock = fakeClock(T0);
    t = await startTestApp({ DIALOG_TIMEOUT_MINUTES: "1" }, false, { clock });
    await converse(t, 20, [["/add_show", 1]]);
    expect(armedTimers(t, 20)).toBe(1);

    clock.set(T0 + 40_000);
    await converse(t, 20, [["Severance", 1]]); // accepted: the deadline is now T0 + 100 s
    clock.set(T0 + 50_000);
    await converse(t, 20, [["zero", 2]]); // refused: no re-arm
    expect(armedTimers(t, 20)).toBe(1);

    clock.set(T0 + 70_000); // past the first deadline only
    await t.app.runtime.fireDueTimers();
    await converse(t, 20, [["2", 1]]); // still in the dialog: season accepted, episode asked
    expect(t.replies(20).at(-1)).toMatch(/episode/i);

    clock.set(T0 + 70_000 + MINUTE + 1);
    await t.app.runtime.fireDueTimers();
    const replies = await expectReplies(t, 20, 6);
    expect(replies[5]).toBe("Your unfinished show was dropped after 1 minute without an answer. Start again with /add_show.");
    expect(armedTimers(t, 20)).toBe(0);

    // The dialog is gone: an answer now is just text, and nothing was stored.
    await converse(t, 20, [["5", 1]]);
    expect(t.replies(20).at(-1)).toMatch(/didn't understand/);
    expect(entries(t, 20)).toEqual([]);
  });

  it("disarms the timer when the dialog is saved, cancelled or dropped for another command", async () => {
    const clock = fakeClock(T0);
    t = await startTestApp({ DIALOG_TIMEOUT_MINUTES: "1" }, false, { clock });
    await converse(t, 21, [["/add_book", 1], ["Dune", 1], ["Frank Herbert", 1], ["5", 1]]);
    await converse(t, 22, [["/add_quote", 1], ["/cancel", 1]]);
    await converse(t, 23, [["/add_movie", 1], ["/books", 1]]);
    await t.press(23, "dlg:drop");
    await expectReplies(t, 23, 4);
    for (const chat of [21, 22, 23]) expect(armedTimers(t, chat)).toBe(0);

    clock.set(T0 + 10 * MINUTE);
    await t.app.runtime.fireDueTimers();
    // A later message in each chat is handled after any timer message the firing queued there.
    for (const chat of [21, 22, 23]) await converse(t, chat, [["/help", 1]]);
    for (const chat of [21, 22, 23]) expect(t.replies(chat).join("\n")).not.toMatch(/unfinished/);
  });

  it("survives a restart: the timer fires in the next process, and the note comes exactly once", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-expiry-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const clock = fakeClock(T0);
    const first = await startTestApp({ DIALOG_TIMEOUT_MINUTES: "60" }, false, { clock, dir });
    cleanups.push(() => first.close());
    await converse(first, 30, [["/add_quote", 1], ["Not all those who wander are lost.", 1]]);
    await first.close();
    expect(first.replies(30).join("\n")).not.toMatch(/unfinished/);

    clock.set(T0 + 61 * MINUTE);
    t = await startTestApp({ DIALOG_TIMEOUT_MINUTES: "60" }, false, { clock, dir, firstUpdateId: 1000 });
    await t.app.runtime.fireDueTimers();
    await expectReplies(t, 30, 1);
    await t.app.runtime.fireDueTimers();
    await converse(t, 30, [["The Fellowship of the Ring", 1]]);
    const replies = t.replies(30);
    expect(replies[0]).toBe("Your unfinished quote was dropped after 1 hour without an answer. Start again with /add_quote.");
    expect(replies.filter((r) => /unfinished/.test(r))).toHaveLength(1);
    expect(replies[1]).toMatch(/didn't understand/);
    expect(entries(t, 30)).toEqual([]);
  });

  it("ignores a timer that is not the open dialog's", async () => {
    const clock = fakeClock(T0);
    t = await startTestApp({ DIALOG_TIMEOUT_MINUTES: "1" }, false, { clock });
    await converse(t, 31, [["/add_movie", 1], ["/cancel", 1], ["/add_movie", 1]]);
    // A stray timer of this chat (e.g. armed by an older release) fires: nothing happens.
    t.app.db.prepare("INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms) VALUES ('stray', '31', 'dialog-expiry', '{}', ?)").run(T0);
    await t.app.runtime.fireDueTimers();
    await converse(t, 31, [["Heat", 1]]);
    expect(t.replies(31).at(-1)).toMatch(/year/i);
    expect(t.replies(31).join("\n")).not.toMatch(/unfinished/);
  });
});

// The guided dialogs end to end through the webhook: /add_book, /add_movie, /add_show (with its
// optional rating), /add_quote; bad input of every kind gets one message with the reason and the
// same question; an edited message is not taken; /start <payload> deep links; the durable expiry
// timer drops a dialog left unanswered, across a restart too, and only once.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { seed } from "../support/entries.js";
import { makeCallbackUpdate, makeTextUpdate } from "../support/fake-bot-api.js";
import { postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

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

function nonText(chatId: number, updateId: number, content: Record<string, unknown>) {
  return {
    update_id: updateId,
    message: { message_id: updateId, date: 1, chat: { id: chatId, type: "private" }, from: { id: chatId, is_bot: false, first_name: "A" }, ...content },
  };
}

/** Update ids of `answer`, apart from those of t.say. */
let nextAnswerId = 10_000;

/** Sends a text and returns exactly the messages the bot sent in answer to it (see postHandled). */
async function answer(app: TestApp, chatId: number, text: string): Promise<string[]> {
  return (await postHandled(app, chatId, makeTextUpdate(nextAnswerId++, chatId, text))).texts;
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

describe("bad input gets one message with the reason and the same question; the dialog goes on", () => {
  it("titles: empty, whitespace, invisible, 5,000 characters; then emoji and right-to-left text are kept, overrides dropped", async () => {
    t = await startTestApp();
    const [titleQ] = await answer(t, 10, "/add_book");
    expect(await answer(t, 10, "   ")).toEqual([`The title can't be empty.\n\n${titleQ}`]);
    expect(await answer(t, 10, "\u200f\u200b")).toEqual([`The title can't be empty.\n\n${titleQ}`]);
    expect(await answer(t, 10, "\u202e\u2066")).toEqual([`The title can't be empty.\n\n${titleQ}`]);
    expect(await answer(t, 10, "A".repeat(5000))).toEqual([`That title is too long: 5,000 characters, and the most I keep is 300. Please shorten it.\n\n${titleQ}`]);
    const title = "📚 שלום עולם — كتاب 🇮🇱✨";
    await answer(t, 10, `${title}\u202e`);
    await answer(t, 10, "مؤلف 👩‍💻");
    expect(await answer(t, 10, "3")).toEqual([`Saved the book: ${title} by مؤلف 👩‍💻, ★★★☆☆ 3/5.`]);
    expect(entries(t, 10)).toEqual([{ ...EMPTY, kind: "book", title, author: "مؤلف 👩‍💻", rating: 3 }]);
  });

  it("years: 3000, -5 and abc; ratings: 0, 6, 3.7 and 0x4; /skip on a needed field", async () => {
    t = await startTestApp();
    await answer(t, 11, "/add_movie");
    const [yearQ] = await answer(t, 11, "Alien");
    expect(await answer(t, 11, "3000")).toEqual([`The year must be a whole number from 1870 to 2100.\n\n${yearQ}`]);
    expect(await answer(t, 11, "-5")).toEqual([`The year must be a whole number from 1870 to 2100.\n\n${yearQ}`]);
    expect(await answer(t, 11, "abc")).toEqual([`Please send the year as a number, like 1999 (1870–2100).\n\n${yearQ}`]);
    expect(await answer(t, 11, "/skip")).toEqual([`The year is needed, so it can't be skipped.\n\n${yearQ}`]);
    const [ratingQ] = await answer(t, 11, "1979");
    const refusal = "The rating must be a number of stars from 1 to 5 (half stars like 3.5 are fine).";
    for (const bad of ["0", "6", "0x4", "4e0", "0b101"]) expect(await answer(t, 11, bad)).toEqual([`${refusal}\n\n${ratingQ}`]);
    expect(await answer(t, 11, "3.7")).toEqual([`Ratings go in whole or half stars. Did you mean 3.5 or 4?\n\n${ratingQ}`]);
    expect(await answer(t, 11, "4")).toEqual(["Saved the movie: Alien (1979), ★★★★☆ 4/5."]);
    expect(entries(t, 11)).toMatchObject([{ kind: "movie", title: "Alien", year: 1979, rating: 4 }]);
  });

  it("seasons and episodes: -1 and 0 get the same reason, as do 101 and 10,001; a bad rating on the optional field", async () => {
    t = await startTestApp();
    await answer(t, 12, "/add_show");
    const [seasonQ] = await answer(t, 12, "Severance");
    const outOfRange = "The season must be a whole number from 1 to 100.";
    for (const bad of ["0", "-1", "101", "1.5"]) expect(await answer(t, 12, bad)).toEqual([`${outOfRange}\n\n${seasonQ}`]);
    expect(await answer(t, 12, "two")).toEqual([`Please send the season as a whole number, like 2 (1–100).\n\n${seasonQ}`]);
    const [episodeQ] = await answer(t, 12, "2");
    expect(episodeQ).toMatch(/episode/i);
    for (const bad of ["10001", "-3", "0"]) expect(await answer(t, 12, bad)).toEqual([`The episode must be a whole number from 1 to 10,000.\n\n${episodeQ}`]);
    const [ratingQ] = await answer(t, 12, "5");
    expect(await answer(t, 12, "6")).toEqual([`The rating must be a number of stars from 1 to 5 (half stars like 3.5 are fine).\n\n${ratingQ}`]);
    expect(await answer(t, 12, "/skip")).toEqual(["Saved the show: Severance, season 2, episode 5."]);
    expect(entries(t, 12)).toEqual([{ ...EMPTY, kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" }]);
  });

  it("quotes: empty and over 2,000 characters; authors over 200 characters; /skip names the quote text", async () => {
    t = await startTestApp();
    const [quoteQ] = await answer(t, 13, "/add_quote");
    expect(await answer(t, 13, " \n ")).toEqual([`The quote text can't be empty.\n\n${quoteQ}`]);
    expect(await answer(t, 13, "x".repeat(2001))).toEqual([`That quote is too long: 2,001 characters, and the most I keep is 2,000. Please shorten it.\n\n${quoteQ}`]);
    expect(await answer(t, 13, "/skip")).toEqual([`The quote text is needed, so it can't be skipped.\n\n${quoteQ}`]);
    await answer(t, 13, "Short and sweet.");
    const [authorQ] = await answer(t, 13, "Hamlet");
    expect(await answer(t, 13, "y".repeat(201))).toEqual([`That author's name is too long: 201 characters, and the most I keep is 200. Please shorten it.\n\n${authorQ}`]);
    await answer(t, 13, "William Shakespeare");
    expect(entries(t, 13)).toEqual([{ ...EMPTY, kind: "quote", title: "Hamlet", author: "William Shakespeare", quoteText: "Short and sweet." }]);
  });

  it("an unknown command, /help, a photo and a sticker mid-dialog get one message each: the answer and the same question", async () => {
    t = await startTestApp();
    await answer(t, 14, "/add_book");
    const [authorQ] = await answer(t, 14, "Piranesi");
    expect(await answer(t, 14, "/frobnicate")).toEqual([`I don't know /frobnicate. Send /help to see what I can do.\n\n${authorQ}`]);
    const [help] = await answer(t, 14, "/help");
    expect(help).toMatch(/^I remember what you read, watch and quote\.\n\n\/add_book: /);
    expect(help!.endsWith(`\n\n${authorQ}`)).toBe(true);
    const aside = `I can only read text messages and files I can import. Send /help to see what I can do.\n\n${authorQ}`;
    expect((await postHandled(t, 14, nonText(14, 500, { photo: [{ file_id: "p", file_unique_id: "p", width: 1, height: 1 }] }))).texts).toEqual([aside]);
    expect((await postHandled(t, 14, nonText(14, 501, { sticker: { file_id: "s" } }))).texts).toEqual([aside]);
    await answer(t, 14, "Susanna Clarke");
    expect(await answer(t, 14, "5")).toEqual(["Saved the book: Piranesi by Susanna Clarke, ★★★★★ 5/5."]);
    expect(entries(t, 14)).toEqual([{ ...EMPTY, kind: "book", title: "Piranesi", author: "Susanna Clarke", rating: 5 }]);
  });

  it("outside a dialog, an unknown command gets the list of commands, and a sticker a short note", async () => {
    t = await startTestApp();
    const [unknown] = await answer(t, 15, "/frobnicate");
    expect(unknown).toMatch(/^I don't know \/frobnicate\. Here's what I can do:\n\nI remember/);
    expect((await postHandled(t, 15, nonText(15, 502, { sticker: { file_id: "s" } }))).texts).toEqual([
      "I can only read text messages and files I can import. Send /help to see what I can do.",
    ]);
  });
});

describe("edited messages and deep links", () => {
  it("an edited answer changes nothing, and the person is told so once", async () => {
    t = await startTestApp();
    await answer(t, 16, "/add_movie");
    await answer(t, 16, "Heat");
    const [ratingQ] = await answer(t, 16, "1995");
    // The person edits their year ("1995" → "1996"): the year stays, the dialog still waits for the rating.
    const edit = { update_id: 700, edited_message: { message_id: 10_002, date: 1, edit_date: 2, chat: { id: 16, type: "private" }, from: { id: 16, is_bot: false, first_name: "A" }, text: "1996" } };
    expect((await postHandled(t, 16, edit)).texts).toEqual(["I can't take edited messages, so that edit changed nothing. Please send it again as a new message."]);
    expect(ratingQ).toMatch(/rating/);
    expect(await answer(t, 16, "4")).toEqual(["Saved the movie: Heat (1995), ★★★★☆ 4/5."]);
    // Outside a dialog too; in a group, only an edit that may be meant for the bot gets the note.
    const later = { ...edit, update_id: 701, edited_message: { ...edit.edited_message, text: "4 stars" } };
    expect((await postHandled(t, 16, later)).texts).toHaveLength(1);
    const group = { update_id: 702, edited_message: { message_id: 5, date: 1, chat: { id: -16, type: "group" }, from: { id: 16, is_bot: false, first_name: "A" }, text: "chatter" } };
    expect((await postHandled(t, -16, group)).texts).toEqual([]);
    expect(entries(t, 16)).toEqual([{ ...EMPTY, kind: "movie", title: "Heat", year: 1995, rating: 4, watchedOn: expect.any(String) }]);
  });

  it("/start <payload> starts the matching command; any other payload is a plain greeting", async () => {
    t = await startTestApp();
    expect(await answer(t, 17, "/start add_movie")).toEqual([expect.stringMatching(/^What's the movie's title\?/)]);
    expect(await answer(t, 17, "Arrival")).toEqual([expect.stringMatching(/^What year did it come out\?/)]);
    // In a dialog, the deep link asks before dropping it, naming the command it stands for.
    expect(await answer(t, 17, "/start books")).toEqual(["You're in the middle of adding a movie. Drop it and run /books?"]);
    await answer(t, 17, "/cancel");
    expect(await answer(t, 17, "/start books")).toEqual(["You haven't added any books yet. Add one with /add_book."]);
    const [hello] = await answer(t, 17, "/start ../../etc");
    expect(hello).toMatch(/^Hi! I remember what you read/);
    expect(await answer(t, 17, "/start start")).toEqual([hello]);
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
    await converse(t, 20, [["zero", 1]]); // refused: no re-arm
    expect(armedTimers(t, 20)).toBe(1);

    clock.set(T0 + 70_000); // past the first deadline only
    await t.app.runtime.fireDueTimers();
    await converse(t, 20, [["2", 1]]); // still in the dialog: season accepted, episode asked
    expect(t.replies(20).at(-1)).toMatch(/episode/i);

    clock.set(T0 + 70_000 + MINUTE + 1);
    await t.app.runtime.fireDueTimers();
    const replies = await expectReplies(t, 20, 5);
    expect(replies[4]).toBe("Your unfinished show was dropped after 1 minute without an answer. Start again with /add_show.");
    expect(armedTimers(t, 20)).toBe(0);

    // The dialog is gone: an answer now is just text, and nothing was stored.
    await converse(t, 20, [["5", 1]]);
    expect(t.replies(20).at(-1)).toMatch(/didn't understand/);
    expect(entries(t, 20)).toEqual([]);
  });

  it("disarms the timer when the dialog is saved, canceled or dropped for another command", async () => {
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

  it("an edit left unanswered says which change it stopped", async () => {
    const clock = fakeClock(T0);
    t = await startTestApp({ DIALOG_TIMEOUT_MINUTES: "1" }, false, { clock });
    await seed(t, 32, [{ id: "m1", kind: "movie", title: "Heat", year: 1995 }]);
    await postHandled(t, 32, makeCallbackUpdate(nextAnswerId++, 32, "ed:m1:year"));
    clock.set(T0 + MINUTE + 1);
    await t.app.runtime.fireDueTimers();
    await t.api.waitFor(() => t!.replies(32).length === 2);
    expect(t.replies(32)[1]).toBe("I stopped changing the year after 1 minute without an answer. Nothing changed.");
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

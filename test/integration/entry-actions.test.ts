// The buttons under a listed entry, through the front door: its card, and the card's actions each
// changing that same message in place (edit menu, status, delete with a confirmation), ⭐ Rate and
// the edit menu as dialogs that take typed answers and survive a restart, and ids that are stale,
// forged or another chat's, refused without changing anything.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type RecordedCall, makeCallbackUpdate, makeTextUpdate } from "../support/fake-bot-api.js";
import { seed, replies } from "../support/entries.js";
import { type Answer, postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const apps: TestApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  const replayErrors = apps.flatMap((a) => a.logs.filter((l) => l.includes("replay check failed")));
  for (const app of apps.splice(0)) await app.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  expect(replayErrors).toEqual([]);
});

/** A clock that reads 2024-05-17 (UTC) and moves with real time. */
const START = Date.now();
const clock = { now: () => Date.UTC(2024, 4, 17, 12) + (Date.now() - START) };

async function start(options: Parameters<typeof startTestApp>[2] = {}): Promise<TestApp> {
  const app = await startTestApp({}, false, { clock, ...options });
  apps.push(app);
  return app;
}

function row(app: TestApp, chatId: number, id: string) {
  return app.app.db.prepare("SELECT * FROM entries WHERE chat_id = ? AND id = ?").get(String(chatId), id) as Record<string, unknown> | undefined;
}

function toasts(app: TestApp): unknown[] {
  return app.api.calls.filter((c) => c.method === "answerCallbackQuery").map((c) => c.params.text);
}

async function waitToasts(app: TestApp, count: number): Promise<unknown[]> {
  await app.api.waitFor(() => toasts(app).length >= count, 10_000);
  return toasts(app);
}

function lastMessage(app: TestApp, chatId: number): RecordedCall {
  return app.api.sent(chatId).filter((c) => c.method === "sendMessage").at(-1)!;
}

function buttonData(call: { params: Record<string, unknown> } | undefined): string[] {
  const markup = call?.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data);
}

function messageId(call: RecordedCall): number {
  return (call.result as { message_id: number }).message_id;
}

/** Update ids of the helpers below, apart from those of t.say and t.press. */
let nextUpdateId = 100_000;

/** Types `text` and returns exactly what the bot did in answer (sends, edits, toasts). */
function type(app: TestApp, chatId: number, text: string): Promise<Answer> {
  return postHandled(app, chatId, makeTextUpdate(nextUpdateId++, chatId, text));
}

/** Taps a button under the bot's message `messageId` and returns exactly what the bot did in answer. */
function tap(app: TestApp, chatId: number, data: string, messageId: number): Promise<Answer> {
  return postHandled(app, chatId, makeCallbackUpdate(nextUpdateId++, chatId, data, messageId));
}

/** Opens the entry's card (as from a list) and returns its message id. */
async function openCard(app: TestApp, chatId: number, id: string): Promise<number> {
  const answer = await tap(app, chatId, `e:${id}`, 1);
  expect(answer.texts[0]).toMatch(/^(📖|🎬|📺|💬) /);
  return messageId(lastMessage(app, chatId));
}

/** The editMessageText calls Telegram got for one message, in order. */
function editsOf(app: TestApp, chatId: number, message: number) {
  return app.api.calls.filter((c) => c.method === "editMessageText" && c.params.chat_id === chatId && c.params.message_id === message && !c.failedWith);
}

describe("entry buttons", () => {
  it("opens an entry's card from a list with edit, rate, status and delete buttons (+1 episode on shows)", async () => {
    const t = await start();
    await seed(t, 1, [
      { id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 4, status: "reading" },
      { id: "m1", kind: "movie", title: "Heat", year: 1995 },
      { id: "q1", kind: "quote", title: "Dune", quoteText: "Fear is the mind-killer." },
      { id: "s1", kind: "show", title: "Lost", season: 1, episode: 3 },
    ]);
    await t.say(1, "/books");
    await replies(t, 1, 1);
    expect(buttonData(lastMessage(t, 1))).toContain("e:b1");
    await t.press(1, "e:b1");
    const card = (await replies(t, 1, 2))[1]!;
    expect(card).toContain("Title: Dune");
    expect(card).toContain("Author: Frank Herbert");
    expect(card).toContain("Status: reading");
    expect(card).toContain("Rating: ★★★★☆ 4/5");
    expect(buttonData(lastMessage(t, 1))).toEqual(["ef:b1", "rt:b1", "st:b1", "dl:b1"]);

    await t.press(1, "e:m1");
    await replies(t, 1, 3);
    expect(buttonData(lastMessage(t, 1))).toEqual(["ef:m1", "rt:m1", "st:m1", "dl:m1"]);
    await t.press(1, "e:q1");
    expect((await replies(t, 1, 4))[3]).toContain("«Fear is the mind-killer.»");
    expect(buttonData(lastMessage(t, 1))).toEqual(["ef:q1", "dl:q1"]);

    // "+1 episode" on a show's card moves it on and shows the card again in place.
    const showCard = await openCard(t, 1, "s1");
    expect(buttonData(lastMessage(t, 1))).toEqual(["wt:s1:c", "ef:s1", "rt:s1", "st:s1", "dl:s1"]);
    const plusOne = await tap(t, 1, "wt:s1:c", showCard);
    expect(plusOne.texts).toEqual([]);
    expect(plusOne.toasts).toEqual(["Now at S1E4."]);
    expect(plusOne.edits[0]).toMatch(/Episode: 4/);
    expect(row(t, 1, "s1")).toMatchObject({ season: 1, episode: 4, status: "watching" });
  });

  it("⭐ Rate is a dialog: a typed 3.5 or a tapped star; the card shows the new rating in place; quotes have none", async () => {
    const t = await start();
    await seed(t, 2, [{ id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 4 }, { id: "q1", kind: "quote", title: "Dune", quoteText: "Fear." }]);
    const card = await openCard(t, 2, "b1");
    const asked = await tap(t, 2, "rt:b1", card);
    expect(asked.texts).toEqual([
      "Changing the rating of «Dune». Now: ★★★★☆ 4/5\n\n" +
        'Your new rating, 1 to 5 stars? Tap a button or type it (half stars like 3.5 are fine). Send "clear" to remove it, or /skip to leave it as it is.\n' +
        "(/cancel to stop changing the rating)",
    ]);
    expect(buttonData(lastMessage(t, 2))).toEqual(["answer:1", "answer:2", "answer:3", "answer:4", "answer:5"]);
    // Typed, with half stars (it used to answer "I didn't understand that").
    const typed = await type(t, 2, "3.5");
    expect(typed.texts).toEqual(["Changed the rating: Dune — Frank Herbert, ★★★½☆ 3.5/5"]);
    expect(typed.edits).toEqual([expect.stringContaining("Rating: ★★★½☆ 3.5/5")]);
    expect(editsOf(t, 2, card).at(-1)!.params.text).toContain("Rating: ★★★½☆ 3.5/5");
    expect(row(t, 2, "b1")!.rating).toBe(3.5);

    // Tapped: the star button under the question answers it.
    await tap(t, 2, "rt:b1", card);
    const question = messageId(lastMessage(t, 2));
    const tapped = await tap(t, 2, "answer:5", question);
    expect(tapped.texts).toEqual(["Changed the rating: Dune — Frank Herbert, ★★★★★ 5/5"]);
    expect(row(t, 2, "b1")!.rating).toBe(5);

    // Quotes: no rating. Old star buttons ("rs:", before ⭐ Rate was a dialog) still work, in place.
    expect((await tap(t, 2, "rt:q1", 1)).toasts).toEqual(["Quotes don't have a rating."]);
    expect((await tap(t, 2, "rs:q1:5", 1)).toasts).toEqual(["Quotes don't have a rating."]);
    expect((await tap(t, 2, "rs:b1:9", 1)).toasts).toEqual(["That button is no longer active."]);
    const legacy = await tap(t, 2, "rs:b1:2", question);
    expect(legacy).toMatchObject({ texts: [], edits: ["Rated: Dune — Frank Herbert, ★★☆☆☆ 2/5"] });
    expect(row(t, 2, "q1")!.rating).toBeNull();
  });

  it("changes status in place; a finished book gets today's date unless it has one", async () => {
    const t = await start();
    await seed(t, 3, [
      { id: "b1", kind: "book", title: "Dune", status: "reading" },
      { id: "b2", kind: "book", title: "Emma", finishedOn: "2020-01-01" },
      { id: "m1", kind: "movie", title: "Heat" },
      { id: "s1", kind: "show", title: "Lost" },
      { id: "q1", kind: "quote", title: "Dune", quoteText: "Fear is the mind-killer." },
    ]);
    const card = await openCard(t, 3, "b1");
    const ask = await tap(t, 3, "st:b1", card);
    expect(ask.texts).toEqual([]);
    expect(ask.edits[0]).toMatch(/^📖 Book\nTitle: Dune\n[\s\S]*\n\nWhich status for «Dune»\?$/);
    expect(buttonData(editsOf(t, 3, card).at(-1))).toEqual(["ss:b1:want", "ss:b1:reading", "ss:b1:finished", "ss:b1:dropped", "bk:b1"]);
    const set = await tap(t, 3, "ss:b1:finished", card);
    expect(set).toMatchObject({ texts: [], toasts: ["Marked finished."] });
    expect(set.edits[0]).toMatch(/Status: finished\n(.*\n)*Finished on: 2024-05-17/);
    expect(buttonData(editsOf(t, 3, card).at(-1))).toEqual(["ef:b1", "rt:b1", "st:b1", "dl:b1"]);
    expect(row(t, 3, "b1")).toMatchObject({ status: "finished", finished_on: "2024-05-17" });

    await tap(t, 3, "ss:b2:finished", 1);
    expect(row(t, 3, "b2")).toMatchObject({ status: "finished", finished_on: "2020-01-01" });
    await tap(t, 3, "ss:s1:paused", 1);
    expect(row(t, 3, "s1")!.status).toBe("paused");
    // « Back shows the card's own buttons again, and changes nothing.
    await tap(t, 3, "st:b1", card);
    expect((await tap(t, 3, "bk:b1", card)).edits[0]).toMatch(/^📖 Book\nTitle: Dune/);
    expect(buttonData(editsOf(t, 3, card).at(-1))).toEqual(["ef:b1", "rt:b1", "st:b1", "dl:b1"]);

    expect((await tap(t, 3, "st:q1", 1)).toasts).toEqual(["Quotes don't have a status."]);
    expect((await tap(t, 3, "ss:b1:done", 1)).toasts).toEqual(["That button is no longer active."]);
    expect((await tap(t, 3, "ss:s1:reading", 1)).toasts).toEqual(["That button is no longer active."]);
    expect(row(t, 3, "b1")!.status).toBe("finished");
    expect(row(t, 3, "s1")!.status).toBe("paused");

    // Movies are wanted or watched; marked watched, one gets today's date.
    const movieCard = await openCard(t, 3, "m1");
    await tap(t, 3, "st:m1", movieCard);
    expect(buttonData(editsOf(t, 3, movieCard).at(-1))).toEqual(["ss:m1:want", "ss:m1:watched", "bk:m1"]);
    expect((await tap(t, 3, "ss:m1:watched", movieCard)).toasts).toEqual(["Marked watched."]);
    expect(row(t, 3, "m1")).toMatchObject({ status: "watched", watched_on: "2024-05-17" });
  });

  it("deletes only after Yes, and says so once, in place; No shows the card again; a deleted entry's buttons say it no longer exists", async () => {
    const t = await start();
    await seed(t, 4, [{ id: "b1", kind: "book", title: "Dune", author: "Frank Herbert" }]);
    const card = await openCard(t, 4, "b1");
    expect((await tap(t, 4, "dl:b1", card)).edits).toEqual(["Delete «Dune»? This can't be undone."]);
    expect(buttonData(editsOf(t, 4, card).at(-1))).toEqual(["dy:b1", "dn:b1"]);
    const kept = await tap(t, 4, "dn:b1", card);
    expect(kept.edits[0]).toMatch(/^📖 Book\nTitle: Dune/);
    expect(buttonData(editsOf(t, 4, card).at(-1))).toEqual(["ef:b1", "rt:b1", "st:b1", "dl:b1"]);
    expect(row(t, 4, "b1")).toBeDefined();

    await tap(t, 4, "dl:b1", card);
    const deleted = await tap(t, 4, "dy:b1", card);
    expect(deleted).toMatchObject({ texts: [], edits: ["Deleted: Dune — Frank Herbert"], toasts: [""] });
    expect(buttonData(editsOf(t, 4, card).at(-1))).toEqual([]);
    expect(row(t, 4, "b1")).toBeUndefined();

    for (const data of ["e:b1", "dy:b1", "rs:b1:3", "ss:b1:finished", "ef:b1", "ed:b1:title", "dn:b1", "rt:b1", "bk:b1", "wt:b1:c"]) {
      expect(await tap(t, 4, data, card)).toMatchObject({ texts: [], edits: [], toasts: ["That entry no longer exists."] });
    }
  });

  it("refuses another chat's entry id in every button and leaves the entry intact", async () => {
    const t = await start();
    await seed(t, 10, [{ id: "x1", kind: "book", title: "Secret", rating: 2, status: "reading" }]);
    const forged = ["dy:x1", "rs:x1:5", "ss:x1:finished", "e:x1", "ed:x1:title", "dl:x1", "wt:x1", "pp:x1:10", "ns:x1:1", "rt:x1", "bk:x1", "wt:x1:c", "dn:x1", "e:../../x1", "dy:"];
    for (const data of forged) await t.press(11, data);
    const all = await waitToasts(t, forged.length);
    expect(all.slice(0, 13)).toEqual(Array(13).fill("That entry no longer exists."));
    expect(all.slice(13).every((x) => typeof x === "string")).toBe(true);
    expect(t.api.sent(11)).toEqual([]);
    expect(row(t, 10, "x1")).toMatchObject({ title: "Secret", rating: 2, status: "reading", current_page: null });
    expect(t.app.db.prepare("SELECT dialog FROM (SELECT json_extract(state_json, '$.dialog') AS dialog FROM agent_state WHERE agent_key = '11')").pluck().get() ?? null).toBeNull();
  });

  it("edits a field with a dialog: the menu in place of the card, one message per answer, /skip and clear on optional fields", async () => {
    const t = await start();
    await seed(t, 5, [{ id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", notes: "old" }]);
    const card = await openCard(t, 5, "b1");
    const menu = await tap(t, 5, "ef:b1", card);
    expect(menu.texts).toEqual([]);
    expect(menu.edits[0]).toMatch(/^📖 Book\nTitle: Dune\n[\s\S]*\n\nWhat do you want to change\?$/);
    expect(buttonData(editsOf(t, 5, card).at(-1))).toEqual(["ed:b1:title", "ed:b1:author", "ed:b1:rating", "ed:b1:page", "ed:b1:finished", "ed:b1:notes", "bk:b1"]);

    // The field's button: the card gets its own buttons back; the question comes with what it is now.
    const started = await tap(t, 5, "ed:b1:title", card);
    const titleQ = "What's the new title?\n(/cancel to stop changing the title)";
    expect(started.texts).toEqual([`Changing the title of «Dune». Now: Dune\n\n${titleQ}`]);
    expect(buttonData(editsOf(t, 5, card).at(-1))).toEqual(["ef:b1", "rt:b1", "st:b1", "dl:b1"]);
    expect((await type(t, 5, "   ")).texts).toEqual([`The title can't be empty.\n\n${titleQ}`]);
    expect((await type(t, 5, "/skip")).texts).toEqual([`The title is needed, so it can't be skipped.\n\n${titleQ}`]);
    const changed = await type(t, 5, "Dune Messiah");
    expect(changed.texts).toEqual(["Changed the title: Dune Messiah — Frank Herbert"]);
    expect(changed.edits).toEqual([expect.stringMatching(/^📖 Book\nTitle: Dune Messiah\n/)]);
    expect(row(t, 5, "b1")!.title).toBe("Dune Messiah");

    // Optional fields say what "clear" and /skip do, with "them" for notes.
    expect((await tap(t, 5, "ed:b1:author", card)).texts).toEqual([
      'Changing the author of «Dune Messiah». Now: Frank Herbert\n\nWho\'s the author? Send "clear" to remove it, or /skip to leave it as it is.\n(/cancel to stop changing the author)',
    ]);
    expect((await type(t, 5, "clear")).texts).toEqual(["Removed the author: Dune Messiah"]);
    expect((await tap(t, 5, "ed:b1:notes", card)).texts[0]).toBe(
      'Changing the notes of «Dune Messiah». Now: old\n\nWhat notes should it have? They replace the old ones. Send "clear" to remove them, or /skip to leave them as they are.\n(/cancel to stop changing the notes)',
    );
    expect((await type(t, 5, "/skip")).texts).toEqual(["Nothing changed: Dune Messiah"]);
    await tap(t, 5, "ed:b1:page", card);
    expect((await type(t, 5, "-3")).texts[0]).toMatch(/^The page must be a whole number from 0 to 100,000\.\n\nWhich page are you on\?/);
    expect((await type(t, 5, "250")).texts).toEqual(["Changed the page: Dune Messiah, p. 250"]);
    expect(row(t, 5, "b1")).toMatchObject({ author: null, notes: "old", current_page: 250 });

    // The edit menu covers the finish date.
    expect((await tap(t, 5, "ed:b1:finished", card)).texts[0]).toMatch(/^Changing the finish date of «Dune Messiah»\. Now: not set\n\nWhen did you finish it\? /);
    expect((await type(t, 5, "2024-02-30")).texts[0]).toMatch(/^There's no such day as 2024-02-30\./);
    expect((await type(t, 5, "2024-05-01")).texts).toEqual(["Changed the finish date of «Dune Messiah» to 2024-05-01."]);
    expect(row(t, 5, "b1")!.finished_on).toBe("2024-05-01");
    await tap(t, 5, "ed:b1:finished", card);
    expect((await type(t, 5, "clear")).texts).toEqual(["Removed the finish date of «Dune Messiah»."]);
    expect(row(t, 5, "b1")!.finished_on).toBeNull();
  });

  it("a movie's edit menu covers the watch date", async () => {
    const t = await start();
    await seed(t, 8, [{ id: "m1", kind: "movie", title: "Heat", year: 1995 }]);
    const card = await openCard(t, 8, "m1");
    await tap(t, 8, "ef:m1", card);
    expect(buttonData(editsOf(t, 8, card).at(-1))).toEqual(["ed:m1:title", "ed:m1:year", "ed:m1:rating", "ed:m1:watched", "ed:m1:notes", "bk:m1"]);
    await tap(t, 8, "ed:m1:watched", card);
    expect((await type(t, 8, "2023/12/5")).texts).toEqual(["Changed the watch date: Heat (1995), watched 2023-12-05"]);
    expect(row(t, 8, "m1")!.watched_on).toBe("2023-12-05");
  });

  it("an edit asks before replacing a dialog in progress, and /cancel drops the edit", async () => {
    const t = await start();
    await seed(t, 6, [{ id: "m1", kind: "movie", title: "Heat", year: 1995 }]);
    await type(t, 6, "/add_movie");
    expect((await tap(t, 6, "ed:m1:year", 1)).texts).toEqual(["You're in the middle of adding a movie. Finish it or /cancel it first, then tap the button again."]);
    expect((await tap(t, 6, "rt:m1", 1)).texts).toEqual(["You're in the middle of adding a movie. Finish it or /cancel it first, then tap the button again."]);
    await type(t, 6, "/cancel");
    expect((await tap(t, 6, "ed:m1:year", 1)).texts[0]).toMatch(/year/);
    expect((await type(t, 6, "/cancel")).texts).toEqual(["OK, I dropped the change."]);
    expect(row(t, 6, "m1")!.year).toBe(1995);
  });

  it("an edit waits across a restart of the bot", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-edit-"));
    dirs.push(dir);
    const first = await start({ dir });
    await seed(first, 7, [{ id: "m1", kind: "movie", title: "Heat", year: 1959 }]);
    const [question] = (await tap(first, 7, "ed:m1:year", 1)).texts;
    expect(question).toMatch(/^Changing the year of «Heat»\. Now: 1959\n\nWhat year did it come out\?/);
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const second = await start({ dir, firstUpdateId: 1000 });
    expect((await type(second, 7, "nineteen")).texts).toEqual([expect.stringMatching(/^Please send the year as a number.*\n\nWhat year did it come out\?/s)]);
    expect((await type(second, 7, "1995")).texts).toEqual(["Changed the year: Heat (1995)"]);
    expect(row(second, 7, "m1")!.year).toBe(1995);
  });
});

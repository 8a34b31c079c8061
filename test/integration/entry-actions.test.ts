// The buttons under a listed entry, through the front door: its card, rate, status (a finished
// book gets its date), delete with a confirmation, edits as dialogs that survive a restart, and
// ids that are stale, forged or another chat's, refused without changing anything.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-bot-api.js";
import { seed, replies } from "../support/entries.js";
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

function buttonData(call: RecordedCall): string[] {
  const markup = call.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data);
}

function messageId(call: RecordedCall): number {
  return (call.result as { message_id: number }).message_id;
}

describe("entry buttons", () => {
  it("opens an entry's card from a list with edit, rate, status and delete buttons", async () => {
    const t = await start();
    seed(t, 1, [
      { id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 4, status: "reading" },
      { id: "m1", kind: "movie", title: "Heat", year: 1995 },
      { id: "q1", kind: "quote", title: "Dune", quoteText: "Fear is the mind-killer." },
    ]);
    await t.say(1, "/books");
    await replies(t, 1, 1);
    expect(buttonData(lastMessage(t, 1))).toContain("e:b1");
    await t.press(1, "e:b1");
    const card = (await replies(t, 1, 2))[1]!;
    expect(card).toContain("Title: Dune");
    expect(card).toContain("Author: Frank Herbert");
    expect(card).toContain("Status: reading");
    expect(buttonData(lastMessage(t, 1))).toEqual(["ef:b1", "rt:b1", "st:b1", "dl:b1"]);

    await t.press(1, "e:m1");
    await replies(t, 1, 3);
    expect(buttonData(lastMessage(t, 1))).toEqual(["ef:m1", "rt:m1", "st:m1", "dl:m1"]);
    await t.press(1, "e:q1");
    expect((await replies(t, 1, 4))[3]).toContain("«Fear is the mind-killer.»");
    expect(buttonData(lastMessage(t, 1))).toEqual(["ef:q1", "dl:q1"]);
  });

  it("rates with star buttons; quotes have no rating", async () => {
    const t = await start();
    seed(t, 2, [{ id: "b1", kind: "book", title: "Dune", author: "Frank Herbert" }, { id: "q1", kind: "quote", title: "Dune", quoteText: "Fear." }]);
    await t.press(2, "rt:b1");
    await replies(t, 2, 1);
    const ask = lastMessage(t, 2);
    expect(buttonData(ask)).toEqual(["rs:b1:1", "rs:b1:2", "rs:b1:3", "rs:b1:4", "rs:b1:5"]);
    await t.press(2, "rs:b1:4", messageId(ask));
    expect((await replies(t, 2, 2))[1]).toBe("Rated: Dune — Frank Herbert, ★★★★☆ 4/5");
    expect(row(t, 2, "b1")!.rating).toBe(4);
    await t.api.waitFor(() => t.api.calls.some((c) => c.method === "editMessageReplyMarkup" && c.params.message_id === messageId(ask)));

    await t.press(2, "rt:q1");
    await t.press(2, "rs:q1:5");
    await t.press(2, "rs:b1:9");
    expect(await waitToasts(t, 5)).toEqual([undefined, undefined, "Quotes don't have a rating.", "Quotes don't have a rating.", "That button is no longer active."]);
    expect(row(t, 2, "q1")!.rating).toBeNull();
    expect(row(t, 2, "b1")!.rating).toBe(4);
  });

  it("changes status; a finished book gets today's date unless it has one", async () => {
    const t = await start();
    seed(t, 3, [
      { id: "b1", kind: "book", title: "Dune", status: "reading" },
      { id: "b2", kind: "book", title: "Emma", finishedOn: "2020-01-01" },
      { id: "m1", kind: "movie", title: "Heat" },
      { id: "s1", kind: "show", title: "Lost" },
      { id: "q1", kind: "quote", title: "Dune", quoteText: "Fear is the mind-killer." },
    ]);
    await t.press(3, "st:b1");
    await replies(t, 3, 1);
    expect(t.replies(3)[0]).toMatch(/Which status for «Dune»\? \(now: reading\)/);
    expect(buttonData(lastMessage(t, 3))).toEqual(["ss:b1:want", "ss:b1:reading", "ss:b1:finished", "ss:b1:dropped"]);
    await t.press(3, "ss:b1:finished", messageId(lastMessage(t, 3)));
    expect((await replies(t, 3, 2))[1]).toBe("Status changed to finished (finished on 2024-05-17): Dune, finished");
    expect(row(t, 3, "b1")).toMatchObject({ status: "finished", finished_on: "2024-05-17" });

    await t.press(3, "ss:b2:finished");
    expect((await replies(t, 3, 3))[2]).toBe("Status changed to finished: Emma, finished");
    expect(row(t, 3, "b2")!.finished_on).toBe("2020-01-01");

    await t.press(3, "ss:s1:paused");
    expect((await replies(t, 3, 4))[3]).toBe("Status changed to paused: Lost, paused");
    await t.press(3, "st:q1");
    await t.press(3, "ss:b1:done");
    await t.press(3, "ss:s1:reading");
    const all = await waitToasts(t, 7);
    expect(all.slice(4)).toEqual(["Quotes don't have a status.", "That button is no longer active.", "That button is no longer active."]);
    expect(row(t, 3, "b1")!.status).toBe("finished");
    expect(row(t, 3, "s1")!.status).toBe("paused");

    // Movies are wanted or watched; marked watched, one gets today's date.
    await t.press(3, "st:m1");
    await replies(t, 3, 5);
    expect(buttonData(lastMessage(t, 3))).toEqual(["ss:m1:want", "ss:m1:watched"]);
    await t.press(3, "ss:m1:watched", messageId(lastMessage(t, 3)));
    expect((await replies(t, 3, 6))[5]).toMatch(/^Status changed to watched \(watched on 2024-05-17\): Heat/);
    expect(row(t, 3, "m1")).toMatchObject({ status: "watched", watched_on: "2024-05-17" });
  });

  it("deletes only after Yes; No keeps it; a deleted entry's buttons say it no longer exists", async () => {
    const t = await start();
    seed(t, 4, [{ id: "b1", kind: "book", title: "Dune", author: "Frank Herbert" }]);
    await t.press(4, "dl:b1");
    expect((await replies(t, 4, 1))[0]).toBe("Delete «Dune»? This can't be undone.");
    expect(buttonData(lastMessage(t, 4))).toEqual(["dy:b1", "dn:b1"]);
    await t.press(4, "dn:b1", messageId(lastMessage(t, 4)));
    expect((await replies(t, 4, 2))[1]).toMatch(/kept it: Dune — Frank Herbert/);
    expect(row(t, 4, "b1")).toBeDefined();

    await t.press(4, "dl:b1");
    await replies(t, 4, 3);
    await t.press(4, "dy:b1", messageId(lastMessage(t, 4)));
    expect((await replies(t, 4, 4))[3]).toBe("Deleted: Dune — Frank Herbert");
    expect(row(t, 4, "b1")).toBeUndefined();

    for (const data of ["e:b1", "dy:b1", "rs:b1:3", "ss:b1:finished", "ef:b1", "ed:b1:title", "dn:b1"]) await t.press(4, data);
    const all = await waitToasts(t, 4 + 7);
    expect(all.slice(4)).toEqual(Array(7).fill("That entry no longer exists."));
    expect(t.replies(4)).toHaveLength(4);
  });

  it("refuses another chat's entry id in every button and leaves the entry intact", async () => {
    const t = await start();
    seed(t, 10, [{ id: "x1", kind: "book", title: "Secret", rating: 2, status: "reading" }]);
    const forged = ["dy:x1", "rs:x1:5", "ss:x1:finished", "e:x1", "ed:x1:title", "dl:x1", "wt:x1", "pp:x1:10", "ns:x1:1", "e:../../x1", "dy:"];
    for (const data of forged) await t.press(11, data);
    const all = await waitToasts(t, forged.length);
    expect(all.slice(0, 9)).toEqual(Array(9).fill("That entry no longer exists."));
    expect(all.slice(9).every((x) => typeof x === "string")).toBe(true);
    expect(t.replies(11)).toEqual([]);
    expect(row(t, 10, "x1")).toMatchObject({ title: "Secret", rating: 2, status: "reading", current_page: null });
    expect(t.app.db.prepare("SELECT dialog FROM (SELECT json_extract(state_json, '$.dialog') AS dialog FROM agent_state WHERE agent_key = '11')").pluck().get() ?? null).toBeNull();
  });

  it("edits a field with a dialog: invalid input re-asked, /skip and clear on optional fields", async () => {
    const t = await start();
    seed(t, 5, [{ id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", notes: "old" }]);
    await t.press(5, "ef:b1");
    expect((await replies(t, 5, 1))[0]).toMatch(/What do you want to change in «Dune»\?/);
    expect(buttonData(lastMessage(t, 5))).toEqual(["ed:b1:title", "ed:b1:author", "ed:b1:rating", "ed:b1:page", "ed:b1:notes"]);

    await t.press(5, "ed:b1:title");
    await t.say(5, "   ");
    await t.say(5, "/skip");
    await t.say(5, "Dune Messiah");
    const r = await replies(t, 5, 8);
    expect(r[1]).toBe("Changing the title of «Dune». Now: Dune");
    expect(r[2]).toMatch(/new title/);
    expect(r[3]).toMatch(/can't be empty/);
    expect(r[4]).toBe(r[2]);
    expect(r[5]).toMatch(/can't be skipped/);
    expect(r[6]).toBe(r[2]);
    expect(r[7]).toBe("Changed the title: Dune Messiah — Frank Herbert");
    expect(row(t, 5, "b1")!.title).toBe("Dune Messiah");

    await t.press(5, "ed:b1:author");
    await t.say(5, "clear");
    await t.press(5, "ed:b1:notes");
    await t.say(5, "/skip");
    await t.press(5, "ed:b1:page");
    await t.say(5, "-3");
    await t.say(5, "250");
    const s = await replies(t, 5, 19);
    expect(s[8]).toBe("Changing the author of «Dune Messiah». Now: Frank Herbert");
    expect(s[9]).toMatch(/author.*clear.*\/skip/s);
    expect(s[10]).toBe("Removed the author: Dune Messiah");
    expect(s[13]).toBe("Nothing changed: Dune Messiah");
    expect(s[16]).toMatch(/whole number/);
    expect(s[18]).toBe("Changed the page: Dune Messiah, p. 250");
    expect(row(t, 5, "b1")).toMatchObject({ author: null, notes: "old", current_page: 250 });

    // A typed rating in an edit takes half stars, which the star buttons cannot give.
    await t.press(5, "ed:b1:rating");
    await t.say(5, "6");
    await t.say(5, "3.5");
    const u = await replies(t, 5, 24);
    expect(u[21]).toMatch(/1 to 5/);
    expect(u[23]).toMatch(/^Changed the rating: Dune Messiah.*3\.5\/5/);
    expect(row(t, 5, "b1")!.rating).toBe(3.5);
  });

  it("an edit asks before replacing a dialog in progress, and /cancel drops the edit", async () => {
    const t = await start();
    seed(t, 6, [{ id: "m1", kind: "movie", title: "Heat", year: 1995 }]);
    await t.say(6, "/add_movie");
    await t.press(6, "ed:m1:year");
    const r = await replies(t, 6, 2);
    expect(r[1]).toMatch(/middle of adding a movie.*\/cancel/);
    await t.say(6, "/cancel");
    await t.press(6, "ed:m1:year");
    await t.say(6, "/cancel");
    const s = await replies(t, 6, 6);
    expect(s[4]).toMatch(/year/);
    expect(s[5]).toMatch(/dropped the change/);
    expect(row(t, 6, "m1")!.year).toBe(1995);
  });

  it("an edit waits across a restart of the bot", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-edit-"));
    dirs.push(dir);
    const first = await start({ dir });
    seed(first, 7, [{ id: "m1", kind: "movie", title: "Heat", year: 1959 }]);
    await first.press(7, "ed:m1:year");
    expect((await replies(first, 7, 2))[1]).toMatch(/year/);
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const second = await start({ dir, firstUpdateId: 1000 });
    await second.say(7, "nineteen");
    await second.say(7, "1995");
    const r = await replies(second, 7, 3);
    expect(r[0]).toMatch(/number/);
    expect(r[1]).toMatch(/year/);
    expect(r[2]).toBe("Changed the year: Heat (1995)");
    expect(row(second, 7, "m1")!.year).toBe(1995);
  });
});

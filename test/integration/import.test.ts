// Imports end to end: a file sent to the bot is downloaded from the (fake) Bot API, summarised with
// Import/Cancel buttons, and applied once; the same file again adds nothing; bad files are refused.
import { strToU8, zipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import { makeDocumentUpdate, postUpdate } from "../support/fake-bot-api.js";
import { importButton, press, sendFile } from "../support/files.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";
import { addEntries, listOf } from "../support/entries.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function entries(app: TestApp, chatId: number) {
  return listOf(app.app.store, chatId);
}

const GOODREADS = [
  "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies",
  `1215032,"The Wise Man's Fear (The Kingkiller Chronicle, #2)",Patrick Rothfuss,"Rothfuss, Patrick",,"=""0756404738""","=""9780756404734""",5,4.55,DAW Books,Hardcover,994,2011,2011,2022/01/30,2022/01/25,,,read,,,,1,0`,
  `28825810,Ghosts of the Tristan Basin,Brian McClellan,"McClellan, Brian",,,,0,4.29,Amazon,Kindle Edition,90,2016,2016,,2025/07/02,to-read,to-read (#30),to-read,,,,0,0`,
  `39298848,"White Sand, Volume 3",Brandon Sanderson,"Sanderson, Brandon",,,,3,3.64,Dynamite,Hardcover,160,2019,2019,,2021/08/11,,,currently-reading,,,"note 1
note 2",1,0`,
  `5,,Nobody,,,,,4,,,,,,,,2021/08/11,,,read,,,,1,0`,
].join("\n");

describe("importing a Goodreads library export", () => {
  it("summarises, imports on the button, and adds nothing the second time", async () => {
    t = await startTestApp();
    const summary = await sendFile(t, 1, "goodreads_library_export.csv", GOODREADS);
    expect(summary).toMatch(/^Goodreads library export \(goodreads_library_export\.csv\): 3 books\./);
    expect(summary).toContain("row 5: no title");
    expect(await entries(t, 1)).toEqual([]);
    const button = importButton(t, 1)!;
    expect(button).toMatch(/^im:/);

    const result = await press(t, 1, button);
    expect(result).toBe("Imported 3 entries; 0 were already in your list; skipped 1.\n• row 5: no title");
    const books = (await entries(t, 1)).map((e) => [e.title, e.rating, e.status]);
    expect(books).toEqual([
      ["White Sand, Volume 3", 3, "reading"],
      ["The Wise Man's Fear (The Kingkiller Chronicle, #2)", 5, "finished"],
      ["Ghosts of the Tristan Basin", undefined, "want"],
    ]);

    // The same button again, and the same file again: nothing more.
    expect(await press(t, 1, button)).toMatch(/imported already/);
    const again = await sendFile(t, 1, "goodreads_library_export.csv", GOODREADS);
    expect(again).toMatch(/3 are already in your list/);
    expect(again).toMatch(/Nothing new to import/);
    expect(importButton(t, 1)).toBeUndefined();
    expect(await entries(t, 1)).toHaveLength(3);
  });

  it("Cancel imports nothing; forged and stale buttons are refused", async () => {
    t = await startTestApp();
    await sendFile(t, 2, "books.csv", GOODREADS);
    const id = importButton(t, 2)!.slice(3);
    expect(await press(t, 2, "im:not-a-real-import")).toMatch(/no longer active/);
    // Another chat can't press this chat's import.
    expect(await press(t, 3, `im:${id}`)).toMatch(/no longer active/);
    expect(await entries(t, 3)).toEqual([]);
    expect(await press(t, 2, `ic:${id}`)).toMatch(/imported nothing/);
    expect(await press(t, 2, `im:${id}`)).toMatch(/no longer active/);
    expect(await entries(t, 2)).toEqual([]);
  });
});

describe("importing Letterboxd and Yamtrack", () => {
  it("imports a Letterboxd ZIP, then diary.csv alone adds nothing (and offers its other rating)", async () => {
    t = await startTestApp();
    const diary = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2024-08-18,The Godfather,1972,https://boxd.it/a,4.5,,,2024-08-18\n2024-08-19,\"Paris, Texas\",1984,https://boxd.it/b,0.5,,,2024-08-19\n";
    const zip = zipSync({
      "diary.csv": strToU8(diary),
      "ratings.csv": strToU8("Date,Name,Year,Letterboxd URI,Rating\n2024-08-20,The Godfather,1972,https://boxd.it/c,5\n"),
      "watched.csv": strToU8("Date,Name,Year,Letterboxd URI\n2024-08-18,The Godfather,1972,https://boxd.it/c\n2024-08-19,\"Paris, Texas\",1984,https://boxd.it/d\n2024-08-20,Heat,1995,https://boxd.it/e\n"),
    });
    const summary = await sendFile(t, 4, "letterboxd-me-2024-08-20.zip", Buffer.from(zip));
    expect(summary).toMatch(/^Letterboxd export .*: 3 movies\./);
    expect(await press(t, 4, importButton(t, 4)!)).toMatch(/^Imported 3 entries; 0 were already/);
    expect((await entries(t, 4)).map((e) => [e.title, e.year, e.rating, e.watchedOn]).sort()).toEqual([
      ["Heat", 1995, undefined, undefined],
      ["Paris, Texas", 1984, 1, "2024-08-19"],
      ["The Godfather", 1972, 5, "2024-08-18"],
    ]);
    const again = await sendFile(t, 4, "diary.csv", diary);
    // Both films are there; the diary's own rating (4.5) differs from ratings.csv's (5): offered, not done.
    expect(again).toBe([
      "Letterboxd export (diary.csv): 2 movies.",
      "1 rating under 1 star (like ½★) raised to 1★, the lowest rating here.",
      "2 are already in your list; for 1 of them the file has something newer:",
      "• The Godfather: rating 5 → 4.5",
      "",
      "Nothing new to add. Update the one already in your list?",
    ].join("\n"));
    expect(JSON.stringify(t.api.sent(4).at(-1)!.params.reply_markup)).toMatch(/"Update 1","callback_data":"iu:[^"]+"/);
    expect(await entries(t, 4)).toHaveLength(3);
  });

  it("imports a Yamtrack CSV with scores halved and statuses mapped", async () => {
    t = await startTestApp();
    const csv = [
      "media_id,source,media_type,title,image,season_number,episode_number,score,progress,status,repeats,start_date,end_date,notes,created_at",
      "1668,tmdb,tv,Friends,,,,8,24,In progress,0,2024-02-09,,,2024-02-09T12:00:00Z",
      "1668,tmdb,season,Friends,,3,,,7,In progress,0,2024-02-09,,,2024-02-09T12:00:00Z",
      "10494,tmdb,movie,Perfect Blue,,,,9.0,1,Completed,0,,2024-02-09,\"so good,\nreally\",2024-02-09T12:00:00Z",
      "OL1,openlibrary,book,Dune,,,,10,0,Planning,0,,,,2024-02-09T12:00:00Z",
      "227,mal,game,Some Game,,,,,,Completed,0,,,,",
    ].join("\n");
    const summary = await sendFile(t, 5, "yamtrack.csv", csv);
    expect(summary).toMatch(/^Yamtrack export \(yamtrack\.csv\): 1 book, 1 movie, 1 show\./);
    expect(summary).toContain("row 6: game isn't something I track");
    await press(t, 5, importButton(t, 5)!);
    const byTitle = Object.fromEntries((await entries(t, 5)).map((e) => [e.title, e]));
    expect(byTitle["Friends"]).toMatchObject({ kind: "show", rating: 4, status: "watching", season: 3, episode: 7 });
    expect(byTitle["Perfect Blue"]).toMatchObject({ kind: "movie", rating: 4.5, watchedOn: "2024-02-09", notes: "so good,\nreally" });
    expect(byTitle["Dune"]).toMatchObject({ kind: "book", rating: 5, status: "want" });
  });
});

describe("files that can't be imported", () => {
  it("refuses other file types, files over 5 MB, malformed and unknown files, storing nothing", async () => {
    t = await startTestApp();
    expect(await sendFile(t, 6, "photo.png", "x")).toMatch(/CSV, JSON or ZIP/);
    expect(await sendFile(t, 6, "big.csv", "x", 6 * 1024 * 1024)).toMatch(/up to 5 MB/);
    expect(await sendFile(t, 6, "bad.csv", 'Title,Author\n"unclosed,x\n')).toMatch(/malformed/);
    expect(await sendFile(t, 6, "other.csv", "foo,bar\n1,2\n")).toMatch(/recognize/);
    expect(await sendFile(t, 6, "bad.zip", Buffer.from([0x50, 0x4b, 3, 4, 9, 9]))).toMatch(/ZIP/);
    expect(await sendFile(t, 6, "list.json", '{"nope": 1}')).toMatch(/isn't one of my exports/);
    expect(await entries(t, 6)).toEqual([]);
    expect(t.app.db.prepare("SELECT COUNT(*) FROM imports").pluck().get()).toBe(0);
  });

  it("says when Telegram won't give the file", async () => {
    t = await startTestApp();
    await postUpdate(t.webhookUrl, makeDocumentUpdate(9000, 7, { fileId: "UNKNOWN", fileName: "x.csv", fileSize: 10 }), SECRET);
    await t.api.waitFor(() => t!.replies(7).length === 1);
    expect(t.replies(7)[0]).toMatch(/couldn't get that file/);
  });

  it("our own export sent back to the same chat is all already there", async () => {
    t = await startTestApp();
    await addEntries(t.app.store, "8", [{ id: "x1", kind: "movie", title: "Heat", year: 1995, addedAtMs: 1 }]);
    const json = JSON.stringify([{ kind: "movie", title: "Heat", year: 1995, id: "x1", addedAt: new Date(1).toISOString() }]);
    expect(await sendFile(t, 8, "media-tracker.json", json)).toMatch(/1 is already in your list[\s\S]*Nothing new/);
  });
});

describe("hostile files get one short answer", () => {
  /** Sends the file; returns every message the bot sent the chat for it (waits until the inbox is idle). */
  async function answersTo(app: TestApp, chatId: number, name: string, bytes: string): Promise<string[]> {
    const before = app.replies(chatId).length;
    await sendFile(app, chatId, name, bytes);
    await app.api.waitFor(async () => (await app.app.runtime.stats.pendingCount()) === 0 && (await app.app.runtime.stats.unsentCount()) === 0);
    return app.replies(chatId).slice(before);
  }

  it("quotes megabyte header cells, skip reasons and file names short: one message per file, and one for its import", async () => {
    t = await startTestApp();
    const huge = (c: string) => c.repeat(200_000);
    const unknown = await answersTo(t, 9, "cells.csv", `${["A", "B", "C", "D", "E", "F", "G"].map(huge).join(",")}\n1,2,3,4,5,6,7\n`);
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatch(/^I don't recognize this file's columns \("A{30}…", "B{30}…", .*, "F{30}…", …\)\. I can import /);
    expect(unknown[0]!.length).toBeLessThan(600);

    // Yamtrack: 2,000 rows of a 2 KB media_type, and one movie.
    const rows = ["media_id,source,media_type,title,score,status", "1,tmdb,movie,Heat,8,Completed"];
    for (let i = 0; i < 2000; i++) rows.push(`${i},tmdb,${"podcast\u202e".repeat(250)},Show ${i},,`);
    const name = `${"very long name ".repeat(40)}.csv`;
    const summary = await answersTo(t, 9, name, rows.join("\n"));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(/^Yamtrack export \(very long name very long name very long name very long name…\): 1 movie\.\nSkipped 2000 rows:\n/);
    expect(summary[0]).toContain("• and 1990 more\n\nImport it?");
    expect(summary[0]!.length).toBeLessThan(2000);
    const result = await press(t, 9, importButton(t, 9)!);
    expect(result).toMatch(/^Imported 1 entry; 0 were already in your list; skipped 2000\.\n• row 3: podcast/);
    expect(result!.length).toBeLessThan(2000);
    expect(t.replies(9)).toHaveLength(3);
  });

  it("quotes a malformed file's error short", async () => {
    t = await startTestApp();
    const json = await answersTo(t, 10, "big.json", `[{"title": "${"x".repeat(100_000)}" "kind": 1}]`);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatch(/^That JSON file is malformed, so I imported nothing \(/);
    expect(json[0]!.length).toBeLessThan(400);
    const csv = await answersTo(t, 10, "big.csv", `Title,Author\n"${"y".repeat(100_000)}"x,1\n`);
    expect(csv).toHaveLength(1);
    expect(csv[0]!.length).toBeLessThan(400);
  });
});

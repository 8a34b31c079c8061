// Reading import files: format detection by columns, the services' published column names, rating
// and status mapping, skipped rows with reasons, and round trips of our own exports.
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { exportEntries, exportFile } from "../../agents/media-tracker/export/formats.js";
import { readImportFile } from "../../agents/media-tracker/import/read.js";
import type { ImportRead } from "../../agents/media-tracker/import/types.js";
import type { Entry } from "../../agents/media-tracker/media-store.js";

let n = 0;
const options = { nowMs: Date.UTC(2025, 0, 1), newId: () => `id-${++n}` };
const read = (text: string | Uint8Array, name = "file.csv") => readImportFile(typeof text === "string" ? Buffer.from(text) : text, name, options);
function ok(result: ImportRead) {
  if (!result.ok) throw new Error(result.error);
  return result;
}

const GOODREADS = [
  "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies",
  `1215032,"The Wise Man's Fear (The Kingkiller Chronicle, #2)",Patrick Rothfuss,"Rothfuss, Patrick",,"=""0756404738""","=""9780756404734""",5,4.55,DAW Books,Hardcover,994,2011,2011,2022/01/30,2022/01/25,,,read,"Loved it,
really",,,1,0`,
  `28825810,Ghosts of the Tristan Basin,Brian McClellan,"McClellan, Brian",,"=""""","=""""",0,4.29,Amazon,Kindle Edition,90,2016,2016,,2025/07/02,to-read,to-read (#30),to-read,,,,0,0`,
  `39298848,"White Sand, Volume 3",Brandon Sanderson,"Sanderson, Brandon",,,,3,3.64,Dynamite,Hardcover,160,2019,2019,,2021/08/11,,,currently-reading,,,private 🙂,1,0`,
  `1,,Nobody,,,,,4,,,,,,,,2021/08/11,,,read,,,,1,0`,
].join("\n");

describe("Goodreads library export", () => {
  it("maps columns, shelves, ratings (0 = unrated), ISBN, pages and Read Count, and skips a row without a title", async () => {
    const r = ok(await read(GOODREADS, "goodreads_library_export.csv"));
    expect(r.source).toBe("goodreads");
    expect(r.entries.map(({ id: _, ...e }) => e)).toEqual([
      {
        kind: "book", title: "The Wise Man's Fear (The Kingkiller Chronicle, #2)", author: "Patrick Rothfuss", rating: 5, status: "finished",
        finishedOn: "2022-01-30", notes: "Loved it,\nreally", addedAtMs: Date.UTC(2022, 0, 25), importKey: "goodreads:1215032",
        isbn: "9780756404734", pages: 994, readCount: 1,
      },
      {
        kind: "book", title: "Ghosts of the Tristan Basin", author: "Brian McClellan", status: "want", addedAtMs: Date.UTC(2025, 6, 2), importKey: "goodreads:28825810",
        pages: 90, readCount: 0,
      },
      {
        kind: "book", title: "White Sand, Volume 3", author: "Brandon Sanderson", rating: 3, status: "reading", notes: "private 🙂", addedAtMs: Date.UTC(2021, 7, 11), importKey: "goodreads:39298848",
        pages: 160, readCount: 1,
      },
    ]);
    expect(r.skipped).toEqual([{ where: "row 5", reason: "no title" }]);
  });
});

describe("Letterboxd", () => {
  const diary = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2024-08-18,The Godfather Part II,1974,https://boxd.it/a,3,Yes,,2024-02-24\n2024-08-18,The Godfather Part II,1974,https://boxd.it/b,3.5,,,2024-05-01\n2024-08-19,Tetsuo: The Iron Man,1989,https://boxd.it/c,0.5,,,2024-08-18\n";
  const ratings = "Date,Name,Year,Letterboxd URI,Rating\n2024-09-01,The Godfather Part II,1974,https://boxd.it/x,4.5\n";
  const watched = "Date,Name,Year,Letterboxd URI\n2024-01-01,The Godfather Part II,1974,https://boxd.it/x\n2024-01-02,\"Paris, Texas\",1984,https://boxd.it/y\n2024-01-03,,1984,https://boxd.it/z\n";
  const reviews = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n2024-08-18,The Godfather Part II,1974,https://boxd.it/a,3,Yes,\"Long,\nbut great\",,2024-02-24\n";

  it("reads diary.csv alone: one movie per film, the latest watch date, half stars kept", async () => {
    const r = ok(await read(diary, "diary.csv"));
    expect(r.source).toBe("letterboxd");
    expect(r.entries.map((e) => [e.title, e.year, e.rating, e.watchedOn, e.importKey])).toEqual([
      ["The Godfather Part II", 1974, 3.5, "2024-05-01", "letterboxd:the godfather part ii|1974"],
      ["Tetsuo: The Iron Man", 1989, 1, "2024-08-18", "letterboxd:tetsuo: the iron man|1989"],
    ]);
  });

  it("reads ratings.csv and watched.csv alone, by their columns", async () => {
    expect(ok(await read(ratings, "ratings.csv")).entries[0]).toMatchObject({ title: "The Godfather Part II", rating: 4.5 });
    const w = ok(await read(watched, "x.csv"));
    expect(w.entries.map((e) => [e.title, e.year, e.rating])).toEqual([["The Godfather Part II", 1974, undefined], ["Paris, Texas", 1984, undefined]]);
    expect(w.skipped).toEqual([{ where: "row 4", reason: "no title" }]);
  });

  it("merges the ZIP's files: ratings.csv's rating, the diary's date, the review as notes", async () => {
    const zip = zipSync({
      "diary.csv": strToU8(diary), "ratings.csv": strToU8(ratings), "reviews.csv": strToU8(reviews),
      "watched.csv": strToU8("Date,Name,Year,Letterboxd URI\n2024-01-01,The Godfather Part II,1974,https://boxd.it/x\n2024-01-02,\"Paris, Texas\",1984,https://boxd.it/y\n"),
      "watchlist.csv": strToU8("Date,Name,Year,Letterboxd URI\n2024-01-01,Unseen,2000,https://boxd.it/w\n"),
      "deleted/diary.csv": strToU8("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2024-01-01,Deleted,2000,u,1,,,2024-01-01\n"),
      "profile.csv": strToU8("Date Joined,Username\n2020-01-01,me\n"),
    });
    const r = ok(await read(zip, "letterboxd-me-2024.zip"));
    expect(r.entries.map((e) => [e.title, e.year, e.rating, e.watchedOn, e.notes])).toEqual([
      ["The Godfather Part II", 1974, 4.5, "2024-05-01", "Long,\nbut great"],
      ["Paris, Texas", 1984, undefined, undefined, undefined],
      ["Tetsuo: The Iron Man", 1989, 1, "2024-08-18", undefined],
    ]);
    expect(r.entries[0]!.addedAtMs).toBe(Date.UTC(2024, 0, 1));
  });

  it("reads Letterboxd's import format (our export) and refuses a watchlist", async () => {
    const r = ok(await read("Title,Year,Rating,WatchedDate,Rewatch,Tags,Review\nHeat,1995,3.5,2023-12-24,,,\"great\"\n"));
    expect(r.entries[0]).toMatchObject({ title: "Heat", year: 1995, rating: 3.5, watchedOn: "2023-12-24", notes: "great" });
    const w = await read("Date,Name,Year,Letterboxd URI\n2024-01-01,Unseen,2000,u\n", "watchlist.csv");
    expect(w.ok).toBe(false);
  });
});

describe("Yamtrack CSV", () => {
  const csv = [
    `"media_id","source","media_type","title","image","season_number","episode_number","score","progress","status","start_date","end_date","notes","progress_changed"`,
    `"1668","tmdb","tv","Friends","img","","","","24","In progress","2024-02-09","2024-02-09","","2024-02-09T12:00:00Z"`,
    `"10494","tmdb","movie","Perfect Blue","img","","","9.0","1","Completed","","2024-02-09","wow, \"\"really\"\"","2024-02-09T15:30:00Z"`,
    `"1668","tmdb","season","Friends","img","1","","8.0","24","Completed","2024-02-09","2024-02-09","",""`,
    `"1668","tmdb","season","Friends","img","2","","","3","In progress","2024-02-09","","",""`,
    `"1668","tmdb","episode","Friends","img","2","4","","","","","2024-02-09","",""`,
    `"OL1","openlibrary","book","Dune","img","","","3","120","Paused","","","",""`,
    `"19562","igdb","game","Resident Evil 7","img","","","","3h 00min","Completed","","2024-02-09","",""`,
    `"5","manual","movie","","","","","","","","","","",""`,
  ].join("\n");

  it("maps media types, 0-10 scores (halved), statuses, and a show's seasons and episodes to one show", async () => {
    const r = ok(await read(csv, "yamtrack.csv"));
    expect(r.source).toBe("yamtrack");
    const byTitle = Object.fromEntries(r.entries.map(({ id: _, addedAtMs: __, ...e }) => [e.title, e]));
    expect(byTitle["Friends"]).toEqual({ kind: "show", title: "Friends", status: "watching", season: 2, episode: 4, rating: 4, importKey: "yamtrack:tmdb:tv:1668", tmdbId: 1668 });
    expect(byTitle["Perfect Blue"]).toEqual({ kind: "movie", title: "Perfect Blue", rating: 4.5, watchedOn: "2024-02-09", notes: "wow, \"really\"", importKey: "yamtrack:tmdb:movie:10494", tmdbId: 10494 });
    expect(byTitle["Dune"]).toEqual({ kind: "book", title: "Dune", rating: 1.5, status: "reading", currentPage: 120, importKey: "yamtrack:openlibrary:book:OL1" });
    expect(r.skipped).toEqual([{ where: "row 8", reason: "game isn't something I track" }, { where: "row 9", reason: "no title" }]);
  });
});

describe("our own exports", () => {
  const T = Date.UTC(2024, 0, 2);
  const entries: Entry[] = [
    { chatId: "1", id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 4.5, status: "reading", currentPage: 42, notes: "a,\n\"b\" 🚀 שלום", addedAtMs: T, updatedAtMs: T + 5 },
    { chatId: "1", id: "m1", kind: "movie", title: "Heat", year: 1995, rating: 3, watchedOn: "2024-01-01", addedAtMs: T, updatedAtMs: T },
    { chatId: "1", id: "s1", kind: "show", title: "Dark", season: 3, episode: 8, status: "paused", addedAtMs: T, updatedAtMs: T },
    { chatId: "1", id: "q1", kind: "quote", title: "Solaris", author: "Lem", quoteText: "line 1\nline 2, \"x\"", addedAtMs: T, updatedAtMs: T },
  ];
  const strip = (list: Array<Record<string, unknown>>) => list.map(({ id: _, chatId: __, importKey: ___, ...rest }) => rest);

  it.each(["json", "csv"] as const)("reads its own %s export back field for field", async (format) => {
    const r = ok(await read(exportEntries(entries, format), `media-tracker.${format}`));
    expect(r.source).toBe("media-tracker");
    expect(r.skipped).toEqual([]);
    expect(r.entries.map((e) => e.importKey)).toEqual(["mt:b1", "mt:m1", "mt:s1", "mt:q1"]);
    expect(strip(r.entries as never)).toEqual(strip(entries as never));
  });

  it("reads its Goodreads, Letterboxd and Yamtrack files back", async () => {
    expect(ok(await read(exportFile(entries, "goodreads").content)).entries[0]).toMatchObject({ kind: "book", title: "Dune", author: "Frank Herbert", rating: 5, status: "reading", notes: "a,\n\"b\" 🚀 שלום" });
    expect(ok(await read(exportFile(entries, "letterboxd").content)).entries[0]).toMatchObject({ kind: "movie", title: "Heat", year: 1995, rating: 3, watchedOn: "2024-01-01" });
    const yam = ok(await read(exportFile(entries, "yamtrack").content)).entries;
    expect(yam.map((e) => [e.kind, e.title, e.rating, e.status])).toEqual([
      ["book", "Dune", 4.5, "reading"], ["movie", "Heat", 3, undefined], ["show", "Dark", undefined, "paused"],
    ]);
    expect(yam[2]).toMatchObject({ season: 3, episode: 8 });
    expect(yam[0]).toMatchObject({ currentPage: 42 });
  });

  it("texts made spreadsheet-safe in CSV come back exactly, from our CSV and the services' files", async () => {
    const texts = ["=1+1", "+cmd", "-5", "@x", "'=quoted", "''-two", "'plain", "\t=tab", "Plain"];
    const hostile: Entry[] = texts.flatMap((text, i) => [
      { chatId: "1", id: `q${i}`, kind: "quote" as const, title: text.trim(), author: text, quoteText: text, notes: text, addedAtMs: T, updatedAtMs: T },
      { chatId: "1", id: `b${i}`, kind: "book" as const, title: text.trim(), author: text, status: "reading", notes: text, addedAtMs: T, updatedAtMs: T },
      { chatId: "1", id: `m${i}`, kind: "movie" as const, title: text.trim(), year: 2000 + i, notes: text, addedAtMs: T, updatedAtMs: T },
    ]);
    const own = ok(await read(exportEntries(hostile, "csv"), "media-tracker.csv"));
    expect(strip(own.entries as never)).toEqual(strip(hostile as never));
    const titles = async (format: "goodreads" | "letterboxd" | "yamtrack") => ok(await read(exportFile(hostile, format).content)).entries.map((e) => [e.title, e.notes]);
    const expected = (...kinds: string[]) => hostile.filter((e) => kinds.includes(e.kind)).map((e) => [e.title, e.notes]);
    expect(await titles("goodreads")).toEqual(expected("book"));
    expect(await titles("letterboxd")).toEqual(expected("movie"));
    expect(await titles("yamtrack")).toEqual(expected("book", "movie"));
  });

  it("skips entries without a kind or title, with the item number", async () => {
    const r = ok(await read(JSON.stringify([{ kind: "book", title: "A" }, { kind: "song", title: "B" }, { kind: "movie" }, 7]), "x.json"));
    expect(r.entries).toHaveLength(1);
    expect(r.skipped).toEqual([{ where: "item 4", reason: "not an entry" }, { where: "item 2", reason: 'unknown kind "song"' }, { where: "item 3", reason: "no title" }]);
  });
});

describe("bad files", () => {
  it("refuses malformed, unknown, binary, empty and broken ZIP files with a reason", async () => {
    expect(await read('a,b\n"unclosed,1\n')).toMatchObject({ ok: false, error: expect.stringMatching(/malformed/) });
    expect(await read("foo,bar\n1,2\n")).toMatchObject({ ok: false, error: expect.stringMatching(/recognize/) });
    expect(await read(new Uint8Array([0xff, 0xfe, 0x00, 0x41]))).toMatchObject({ ok: false, error: expect.stringMatching(/UTF-8/) });
    expect(await read("")).toMatchObject({ ok: false, error: expect.stringMatching(/empty/) });
    expect(await read(new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3]), "x.zip")).toMatchObject({ ok: false, error: expect.stringMatching(/ZIP/) });
    expect(await read("[1, 2", "x.json")).toMatchObject({ ok: false, error: expect.stringMatching(/malformed/) });
    expect(await read(Buffer.alloc(5 * 1024 * 1024 + 1, 0x61))).toMatchObject({ ok: false, error: expect.stringMatching(/5 MB/) });
  });
});

// The bounds of an import (agents/media-tracker/import/bounds.ts): rows, columns, JSON values and
// nesting, ZIPs that declare or really unpack to too much; reading in slices that let the event
// loop run; the compact form the journal keeps; and how much of a file a reply quotes.
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { MAX_IMPORT_ROWS, MAX_UNZIPPED_BYTES, quoted } from "../../agents/media-tracker/import/bounds.js";
import { entryCount, listed, packRead, unpackEntries } from "../../agents/media-tracker/import/packed.js";
import { readImportFile } from "../../agents/media-tracker/import/read.js";
import type { ImportRead } from "../../agents/media-tracker/import/types.js";
import { unzipWanted } from "../../agents/media-tracker/import/zip.js";

let n = 0;
const options = { nowMs: Date.UTC(2025, 0, 1), newId: () => `id-${++n}` };
const read = (bytes: string | Uint8Array, name = "file.csv") => readImportFile(typeof bytes === "string" ? Buffer.from(bytes) : bytes, name, options);

function goodreads(rows: number, pad = 0): string {
  const lines = ["Book Id,Title,Author,My Rating,Exclusive Shelf"];
  for (let i = 1; i <= rows; i++) lines.push(`${i},Book ${i}${"x".repeat(pad)},Author ${i % 7},${i % 6},read`);
  return lines.join("\n");
}
function ok(result: ImportRead) {
  if (!result.ok) throw new Error(result.error);
  return result;
}

describe("rows and columns", () => {
  it("reads a file of exactly 20,000 rows, and refuses one more with the limit in words", async () => {
    expect(ok(await read(goodreads(MAX_IMPORT_ROWS))).entries).toHaveLength(MAX_IMPORT_ROWS);
    expect(await read(goodreads(MAX_IMPORT_ROWS + 1))).toEqual({
      ok: false,
      error: "That file has more than 20,000 rows, more than I can import at once. Split it into files of up to 20,000 rows and send them one at a time.",
    });
  });

  it("counts a ZIP's files together against the row limit", async () => {
    const diary = (rows: number) => ["Date,Name,Year,Letterboxd URI,Rating,Watched Date", ...Array.from({ length: rows }, (_, i) => `2024-01-01,F${i},2000,u,4,2024-01-01`)].join("\n");
    const half = MAX_IMPORT_ROWS / 2;
    expect(ok(await read(zipSync({ "diary.csv": strToU8(diary(half)), "ratings.csv": strToU8(diary(half)) }), "l.zip")).entries).toHaveLength(half);
    const over = await read(zipSync({ "diary.csv": strToU8(diary(half)), "ratings.csv": strToU8(diary(half + 1)) }), "l.zip");
    expect(over).toMatchObject({ ok: false, error: expect.stringMatching(/^That ZIP's files have more than 20,000 rows together/) });
  });

  it("refuses a row of more than 200 columns (a line of commas) without building it into a table", async () => {
    expect(await read(`Title,My Rating\n${",".repeat(100_000)}\n`)).toMatchObject({ ok: false, error: expect.stringMatching(/rows of more than 200 columns/) });
  });

  it("refuses JSON with more entries than the limit, or nested deeper than an export, before parsing it", async () => {
    const many = JSON.stringify(Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => ({ kind: "book", title: `B${i}` })));
    expect(await read(many, "x.json")).toMatchObject({ ok: false, error: expect.stringMatching(/more than 20,000 entries/) });
    // A million tiny values in 3 MB: refused by the count, never built.
    expect(await read(`[${"0,".repeat(1_000_000)}0]`, "x.json")).toMatchObject({ ok: false, error: expect.stringMatching(/more than 20,000 entries/) });
    expect(await read(`${"[".repeat(100_000)}${"]".repeat(100_000)}`, "x.json")).toMatchObject({ ok: false, error: expect.stringMatching(/isn't one of my exports/) });
    // Brackets inside strings are text, not nesting.
    expect(ok(await read(JSON.stringify([{ kind: "book", title: "[[[[[[[[[[[[ {{{{{{{{{{ \"]]" }]), "x.json")).entries).toHaveLength(1);
  });
});

describe("ZIP bombs", () => {
  const diary = "Date,Name,Year,Letterboxd URI,Rating,Watched Date\n2024-01-01,Heat,1995,u,4,2024-01-01\n";

  it("refuses a ZIP whose files declare more than 10 MB, before unpacking them", async () => {
    const bomb = zipSync({ "diary.csv": new Uint8Array(MAX_UNZIPPED_BYTES + 1).fill(0x61) });
    expect(bomb.length).toBeLessThan(100_000);
    expect(await read(bomb, "l.zip")).toEqual({ ok: false, error: "That ZIP unpacks to more than 10 MB, more than I can import at once." });
  });

  it("refuses a ZIP whose file unpacks past the size it declares (zlib stops at the declared size)", async () => {
    // A stored-small, deflated-huge file: the central directory says 100 bytes, it holds 50 MB.
    const lying = withDeclaredSize(zipSync({ "diary.csv": new Uint8Array(50 * 1024 * 1024).fill(0x61) }), 100);
    expect(await unzipWanted(lying, () => true, MAX_UNZIPPED_BYTES)).toEqual({ ok: false, reason: "too-big" });
    expect(await read(lying, "l.zip")).toMatchObject({ ok: false, error: expect.stringMatching(/unpacks to more than 10 MB/) });
  });

  it("unpacks an honest ZIP, stored or deflated, and only the files asked for", async () => {
    const zip = zipSync({ "diary.csv": [strToU8(diary), { level: 0 }], "other.txt": strToU8("x"), "ratings.csv": strToU8(diary) });
    const result = await unzipWanted(zip, (p) => p.endsWith(".csv"), MAX_UNZIPPED_BYTES);
    expect(result.ok && result.files.map((f) => [f.path, Buffer.from(f.data).toString()])).toEqual([["diary.csv", diary], ["ratings.csv", diary]]);
    // Deflated data cut short is refused, not half-read.
    const cut = patchHeaders(zipSync({ "diary.csv": strToU8(diary.repeat(20)) }), (view, at, central) => view.setUint32(at + (central ? 20 : 18), 3, true));
    expect(await unzipWanted(cut, () => true, MAX_UNZIPPED_BYTES)).toEqual({ ok: false, reason: "damaged" });
  });
});

describe("Trakt's and TV Time's ZIPs", () => {
  const traktMovie = (i: number) => ({ plays: 1, last_watched_at: "2024-01-01T00:00:00Z", movie: { title: `M${i}`, ids: { trakt: i + 1 } } });
  const traktFile = (from: number, count: number) => strToU8(JSON.stringify(Array.from({ length: count }, (_, i) => traktMovie(from + i))));

  it("unpack through the same bounded reader: a Trakt file unpacking past the size it declares is refused", async () => {
    const lying = withDeclaredSize(zipSync({ "watched-movies.json": new Uint8Array(50 * 1024 * 1024).fill(0x20) }), 100);
    expect(await read(lying, "trakt.zip")).toEqual({ ok: false, error: "That ZIP unpacks to more than 10 MB, more than I can import at once." });
  });

  it("count a Trakt ZIP's JSON items together against the row limit", async () => {
    const half = MAX_IMPORT_ROWS / 2;
    const fits = zipSync({ "watched-movies.json": traktFile(0, half), "history-1.json": strToU8("[]"), "watchlist.json": traktFile(half, half) });
    expect(ok(await read(fits, "trakt.zip")).entries).toHaveLength(MAX_IMPORT_ROWS);
    const over = await read(zipSync({ "watched-movies.json": traktFile(0, half), "watchlist.json": traktFile(half, half + 1) }), "trakt.zip");
    expect(over).toEqual({
      ok: false,
      error: "That ZIP's files have more than 20,000 rows together, more than I can import at once. Send one of its JSON files from it on its own.",
    });
  });

  it("count a Trakt ZIP's JSON values together before parsing them, and refuse a deep nest", async () => {
    // Two files of one item holding 500,000 tiny values each: each alone is under the count, together they are not.
    const tiny = strToU8(`[{"v":[${"0,".repeat(500_000)}0]}]`);
    expect(await read(zipSync({ "watched-movies.json": tiny, "watchlist.json": tiny }), "trakt.zip")).toMatchObject({
      ok: false, error: expect.stringMatching(/^That ZIP's files have more than 20,000 rows together/),
    });
    const deep = strToU8(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(await read(zipSync({ "watched-movies.json": deep }), "trakt.zip")).toMatchObject({ ok: false, error: expect.stringMatching(/nests too deep/) });
  });

  it("count a TV Time ZIP's CSV rows together against the row limit", async () => {
    const seen = (rows: number) => strToU8(["tv_show_name,episode_season_number,episode_number", ...Array.from({ length: rows }, (_, i) => `Show ${i},1,1`)].join("\n"));
    const half = MAX_IMPORT_ROWS / 2;
    expect(ok(await read(zipSync({ "seen_episode.csv": seen(half), "tracking-prod-records.csv": seen(half) }), "tvtime.zip")).source).toBe("tvtime");
    expect(await read(zipSync({ "seen_episode.csv": seen(half), "tracking-prod-records.csv": seen(half + 1) }), "tvtime.zip")).toMatchObject({
      ok: false, error: expect.stringMatching(/^That ZIP's files have more than 20,000 rows together.* Send seen_episode\.csv or tracking-prod-records\.csv from it on its own\.$/),
    });
  });

  it("refuse a Trakt JSON file alone with more items than the limit", async () => {
    const many = JSON.stringify(Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => traktMovie(i)));
    expect(await read(many, "watched-movies.json")).toMatchObject({ ok: false, error: expect.stringMatching(/more than 20,000 entries/) });
  });

  it("name the files a ZIP leaves out quoted short, so the summary stays one message", async () => {
    const name = `${"n".repeat(5000)}.json`;
    const r = ok(await read(zipSync({ "watched-movies.json": traktFile(0, 1), [name]: strToU8("[]") }), "trakt.zip"));
    const note = r.notes!.find((x) => x.startsWith("Not imported from the ZIP"))!;
    expect(note.length).toBeLessThan(120);
  });
});

describe("reading in slices", () => {
  it("gives the event loop a turn at least every 16 KB of a CSV", async () => {
    const csv = goodreads(MAX_IMPORT_ROWS, 150); // about 3.5 MB
    let turns = 0;
    let reading = true;
    const tick = () => {
      turns += 1;
      if (reading) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await read(csv);
    reading = false;
    expect(ok(result).entries).toHaveLength(MAX_IMPORT_ROWS);
    // A reader that held the thread for the whole file would let no turn (or one) happen.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(Buffer.byteLength(csv) / (16 * 1024)) - 1);
  });
});

describe("the journaled form", () => {
  it("keeps the entries deflated and without ids, and gives them back with fresh ids", async () => {
    const result = ok(await read(goodreads(MAX_IMPORT_ROWS, 20)));
    const packed = await packRead(result);
    if (!packed.ok) throw new Error("refused");
    const asObjects = JSON.stringify(result).length;
    const journaled = JSON.stringify(packed).length;
    expect(journaled).toBeLessThan(asObjects / 10);
    const ids = ["a", "b"];
    const back = await unpackEntries(packed, () => ids.shift() ?? `fresh-${++n}`);
    expect(back.map(({ id: _, ...e }) => e)).toEqual(result.entries.map(({ id: _, ...e }) => e));
    expect(back.slice(0, 2).map((e) => e.id)).toEqual(["a", "b"]);
    expect(new Set(back.map((e) => e.id)).size).toBe(back.length);
  });

  it("keeps a read's notes and its entries' dated history in the journaled form", async () => {
    const trakt = JSON.stringify([{ plays: 2, last_watched_at: "2024-03-09T21:14:00Z", movie: { title: "Heat", year: 1995, ids: { trakt: 1 } } }]);
    const history = JSON.stringify([
      { watched_at: "2023-01-01T20:00:00Z", type: "movie", movie: { title: "Heat", year: 1995, ids: { trakt: 1 } } },
      { watched_at: "2024-03-09T21:14:00Z", type: "movie", movie: { title: "Heat", year: 1995, ids: { trakt: 1 } } },
    ]);
    const result = ok(await read(zipSync({ "watched-movies.json": strToU8(trakt), "history.json": strToU8(history) }), "trakt.zip"));
    expect(result.notes!.length).toBeGreaterThan(0);
    expect(result.entries[0]!.history!.length).toBeGreaterThan(0);
    const packed = await packRead(result);
    if (!packed.ok) throw new Error("refused");
    expect(packed.notes).toEqual(result.notes);
    const back = await unpackEntries(packed, () => "fresh");
    expect(back.map(({ id: _, ...e }) => e)).toEqual(result.entries.map(({ id: _, ...e }) => e));
  });

  it("still reads a read-import result journaled by an older release (the entries as objects)", async () => {
    const entries = ok(await read(goodreads(3))).entries;
    const old = { ok: true as const, source: "goodreads" as const, entries, skipped: [{ where: "row 5", reason: "no title" }] };
    expect(entryCount(old)).toBe(3);
    expect(await unpackEntries(old, () => "unused")).toEqual(entries);
    expect(listed(old.skipped)).toEqual({ total: 1, first: [{ where: "row 5", reason: "no title" }] });
  });

  it("keeps the number of skipped rows and only the first ten, quoted short", () => {
    const skipped = Array.from({ length: 5000 }, (_, i) => ({ where: `row ${i + 2}`, reason: `${"game".repeat(10_000)} isn't something I track` }));
    const kept = listed(skipped);
    expect(kept.total).toBe(5000);
    expect(kept.first).toHaveLength(10);
    expect(kept.first.every((s) => s.reason.length <= 101)).toBe(true);
    expect(listed(kept)).toBe(kept);
  });
});

describe("quoting a file's values", () => {
  it("keeps short values, cuts long ones, and puts everything on one line without control characters", () => {
    expect(quoted("Date Read")).toBe("Date Read");
    expect(quoted("x".repeat(1_000_000))).toBe(`${"x".repeat(40)}…`);
    expect(quoted("a\nb\r\n\tc\u0000d\u202ee", 100)).toBe("a b cde");
    expect([...quoted("🎬".repeat(50), 10)]).toHaveLength(11);
  });
});

/** The ZIP with its only file's uncompressed size set to `size`, in the central directory and the local header. */
function withDeclaredSize(zip: Uint8Array, size: number): Uint8Array {
  return patchHeaders(zip, (view, at, central) => view.setUint32(at + (central ? 24 : 22), size, true));
}

/** A copy of the ZIP with `patch` applied to each local header and central directory entry. */
function patchHeaders(zip: Uint8Array, patch: (view: DataView, at: number, central: boolean) => void): Uint8Array {
  const copy = zip.slice();
  const view = new DataView(copy.buffer);
  for (let at = 0; at + 4 <= copy.length; at++) {
    const sig = view.getUint32(at, true);
    if (sig === 0x04034b50) patch(view, at, false);
    if (sig === 0x02014b50) patch(view, at, true);
  }
  return copy;
}

// What a title provider gave an entry travels with it: our JSON and CSV exports carry tmdbId,
// openLibraryKey, isbn, tvmazeId and coverUrl when known (absent otherwise), our import reads them
// back, and "already in your list" matches by provider id first (a TVmaze id too).
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { exportEntries } from "../../agents/media-tracker/export/formats.js";
import { planImport } from "../../agents/media-tracker/import/match.js";
import { readOwn } from "../../agents/media-tracker/import/own.js";
import type { ImportedEntry } from "../../agents/media-tracker/import/types.js";
import type { Entry } from "../../agents/media-tracker/media-store.js";

const T = Date.UTC(2024, 0, 2);
const base = { chatId: "1", addedAtMs: T, updatedAtMs: T };
const PICKED: Entry[] = [
  { ...base, id: "m1", kind: "movie", title: "Dune", year: 2021, rating: 4, tmdbId: 438631, coverUrl: "https://image.tmdb.org/t/p/w500/d5NX.jpg" },
  { ...base, id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 5, openLibraryKey: "OL893415W", isbn: "9780441172719", coverUrl: "https://covers.openlibrary.org/b/id/11481354-L.jpg" },
  { ...base, id: "s1", kind: "show", title: "Severance", season: 2, episode: 5, tvmazeId: 44933, seasonEpisodes: { "1": 9, "2": 10 }, coverUrl: "https://static.tvmaze.com/x.jpg" },
  { ...base, id: "t1", kind: "movie", title: "Typed by hand", year: 1999 },
];

describe("exports carry the provider's data when known", () => {
  it("JSON: the ids and cover of picked entries; none of those keys on an entry typed by hand", () => {
    const json = JSON.parse(exportEntries(PICKED, "json")) as Array<Record<string, unknown>>;
    expect(json[0]).toMatchObject({ tmdbId: 438631, coverUrl: "https://image.tmdb.org/t/p/w500/d5NX.jpg" });
    expect(json[1]).toMatchObject({ openLibraryKey: "OL893415W", isbn: "9780441172719", coverUrl: expect.stringContaining("11481354") });
    expect(json[2]).toMatchObject({ tvmazeId: 44933, coverUrl: "https://static.tvmaze.com/x.jpg" });
    for (const key of ["tmdbId", "openLibraryKey", "isbn", "tvmazeId", "coverUrl"]) expect(json[3]).not.toHaveProperty(key);
  });

  it("CSV: a column per field some entry has; empty cells where an entry has none", () => {
    const rows = parse(exportEntries(PICKED, "csv"), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(["tmdbId", "openLibraryKey", "isbn", "tvmazeId", "coverUrl"]));
    expect(rows[2]).toMatchObject({ tvmazeId: "44933", tmdbId: "" });
    expect(rows[3]).toMatchObject({ tmdbId: "", tvmazeId: "", coverUrl: "" });
    const typed = parse(exportEntries([PICKED[3]!], "csv"), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(typed[0]!)).not.toContain("tvmazeId");
  });

  it("our import reads the ids back (a round trip keeps them)", () => {
    const records = (JSON.parse(exportEntries(PICKED, "json")) as Array<Record<string, unknown>>).map((values, i) => ({ where: `#${i + 1}`, values }));
    let n = 0;
    const { entries } = readOwn(records, { nowMs: T, newId: () => `new${++n}` });
    expect(entries.map((e) => [e.tmdbId, e.openLibraryKey, e.isbn, e.tvmazeId, e.coverUrl])).toEqual([
      [438631, undefined, undefined, undefined, PICKED[0]!.coverUrl],
      [undefined, "OL893415W", "9780441172719", undefined, PICKED[1]!.coverUrl],
      [undefined, undefined, undefined, 44933, PICKED[2]!.coverUrl],
      [undefined, undefined, undefined, undefined, undefined],
    ]);
  });
});

describe("'already in your list' matches by provider id first", () => {
  let n = 0;
  const file = (e: Omit<ImportedEntry, "id" | "addedAtMs" | "importKey">): ImportedEntry => ({ id: `f${++n}`, addedAtMs: T, importKey: `mt:f${n}`, ...e });

  it("a show with the same TVmaze id is the same show whatever its title; another id with the same title is not", () => {
    const plan = planImport(PICKED, [
      file({ kind: "show", title: "Severance (US)", season: 2, episode: 5, tvmazeId: 44933 }),
      file({ kind: "show", title: "Severance", season: 1, episode: 1, tvmazeId: 99999 }),
    ], "media-tracker");
    expect(plan.same).toBe(1);
    expect(plan.fresh.map((e) => e.tvmazeId)).toEqual([99999]);
  });

  it("a movie matches by TMDB id and a book by Open Library key, across different titles", () => {
    const plan = planImport(PICKED, [
      file({ kind: "movie", title: "Dune: Part One", year: 2021, rating: 4, tmdbId: 438631 }),
      file({ kind: "book", title: "Dune (40th Anniversary Edition)", author: "F. Herbert", rating: 5, openLibraryKey: "OL893415W" }),
    ], "media-tracker");
    expect(plan.same + plan.updates.length).toBe(2);
    expect(plan.fresh).toEqual([]);
  });

  it("a show typed by hand takes the TVmaze id an import brings", () => {
    const typed: Entry = { ...base, id: "s2", kind: "show", title: "The Office", season: 3, episode: 1 };
    const plan = planImport([typed], [file({ kind: "show", title: "The Office", season: 3, episode: 1, tvmazeId: 526 })], "media-tracker");
    expect(plan.updates).toHaveLength(1);
    expect(plan.updates[0]!.patch).toMatchObject({ tvmazeId: 526 });
  });
});

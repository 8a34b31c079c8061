// Reading the exports people move with, from the sample files in test/fixtures/: Trakt's export ZIP
// (and its JSON files alone), TV Time's data export, StoryGraph's CSV; their dated history, the
// rows they skip with the reason, and files that are hostile or broken.
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { eventAt } from "../../agents/media-tracker/import/events.js";
import { readImportFile } from "../../agents/media-tracker/import/read.js";
import { finishDays } from "../../agents/media-tracker/import/storygraph.js";
import type { ImportRead, ImportedEntry } from "../../agents/media-tracker/import/types.js";
import { fixture, fixtureZip } from "../support/fixtures.js";

let n = 0;
const options = { nowMs: Date.UTC(2025, 0, 1), newId: () => `id-${++n}` };
const read = (bytes: string | Uint8Array, name: string) => readImportFile(typeof bytes === "string" ? Buffer.from(bytes) : bytes, name, options);
function ok(result: ImportRead) {
  if (!result.ok) throw new Error(result.error);
  return result;
}
const byTitle = (entries: ImportedEntry[], title: string) => entries.find((e) => e.title === title)!;
const withoutIds = (entries: ImportedEntry[]) => entries.map(({ id: _, history: __, ...e }) => e);

describe("Trakt export", () => {
  it("reads the ZIP: movies with watch dates and rewatches, shows at the furthest episode, ratings halved, the watchlist", async () => {
    const r = ok(await read(fixtureZip("trakt-export"), "trakt-export.zip"));
    expect(r.source).toBe("trakt");
    expect(withoutIds(r.entries)).toEqual([
      {
        kind: "movie", title: "Inception", year: 2010, tmdbId: 27205, rating: 4.5, watchCount: 2, watchedOn: "2024-03-09",
        addedAtMs: Date.parse("2023-07-16T20:00:00Z"), importKey: "trakt:movie:16662",
      },
      { kind: "movie", title: "Die Hard", year: 1988, tmdbId: 562, watchedOn: "2023-12-24", addedAtMs: Date.parse("2023-12-24T19:00:00Z"), importKey: "trakt:movie:1015" },
      { kind: "show", title: "Severance", tmdbId: 95396, season: 2, episode: 2, rating: 4, addedAtMs: Date.parse("2022-02-19T20:00:00Z"), importKey: "trakt:show:154997" },
      { kind: "show", title: "The Bear", tmdbId: 136315, season: 1, episode: 2, addedAtMs: Date.parse("2023-07-01T19:00:00Z"), importKey: "trakt:show:197317" },
      // Trakt's 1 is half a star: raised to 1.
      { kind: "movie", title: "Cats", year: 2019, tmdbId: 536869, rating: 1, addedAtMs: Date.parse("2020-01-05T12:00:00Z"), importKey: "trakt:movie:400123" },
      // On the watchlist and not watched: wanted. (Die Hard is on it too, but watched.)
      { kind: "movie", title: "Dune: Part Two", year: 2024, tmdbId: 693134, status: "want", addedAtMs: Date.parse("2024-05-01T10:00:00Z"), importKey: "trakt:movie:693134" },
    ]);
    expect(byTitle(r.entries, "Inception").history).toEqual([
      { at: "2023-07-16T20:00:00.000Z", event: "watched" },
      { at: "2024-03-09T21:14:00.000Z", event: "watched" },
      { at: "2024-03-09T23:00:00.000Z", event: "rated", rating: 4.5 },
    ]);
    // Every episode watched, dated by the history where it has them, else by the watched list.
    expect(byTitle(r.entries, "Severance").history).toEqual([
      { at: "2022-02-19T20:00:00.000Z", event: "episode", season: 1, episode: 1 },
      { at: "2022-02-19T21:00:00.000Z", event: "episode", season: 1, episode: 2 },
      { at: "2022-02-26T20:00:00.000Z", event: "episode", season: 1, episode: 3 },
      { at: "2025-01-17T21:00:00.000Z", event: "episode", season: 2, episode: 1 },
      { at: "2025-01-24T21:05:00.000Z", event: "episode", season: 2, episode: 2 },
      { at: "2025-01-25T10:00:00.000Z", event: "rated", rating: 4 },
    ]);
    expect(byTitle(r.entries, "Dune: Part Two").history).toBeUndefined();
    expect(r.skipped).toEqual([
      { where: "watched-movies.json item 3", reason: "no title" },
      { where: "watched-shows.json item 3", reason: "not a watched show as Trakt lists them" },
      { where: "history-1.json item 5", reason: "a watch without a readable date" },
      { where: "ratings-movies.json item 3", reason: "not a Trakt rating (1–10)" },
    ]);
    expect(r.notes).toEqual([
      "1 rewatch counted: one entry per movie, with how many times you watched it.",
      "7 dated episodes watched kept in the shows' history; each show is at the furthest episode you watched.",
      "Trakt's 1–10 ratings are halved into stars: 7 becomes 3.5★.",
      "1 rating under 1 star (like ½★) raised to 1★, the lowest rating here.",
      "1 season and episode rating left out: ratings here are per show.",
      "1 show on your watchlist left out: shows here are ones you watch.",
      "Not imported from the ZIP: collection-movies.json (not a watch log).",
    ]);
  });

  it("reads one of its JSON files alone, by its items", async () => {
    const shows = ok(await read(fixture("trakt-export/watched-shows.json"), "watched-shows.json"));
    expect(shows.source).toBe("trakt");
    expect(shows.entries.map((e) => [e.title, e.season, e.episode, e.history?.length])).toEqual([["Severance", 2, 2, 5], ["The Bear", 1, 2, 2]]);
    expect(shows.skipped).toEqual([{ where: "item 3", reason: "not a watched show as Trakt lists them" }]);
    const history = ok(await read(fixture("trakt-export/history-1.json"), "history.json"));
    expect(history.entries.map((e) => [e.title, e.watchCount, e.watchedOn, e.season, e.episode])).toEqual([
      ["Severance", undefined, undefined, 2, 2],
      ["Inception", 2, "2024-03-09", undefined, undefined],
    ]);
  });

  it("skips hostile items with a reason and never throws", async () => {
    const hostile = [
      1, "text", null, [], { movie: { ids: {} } }, { watched_at: "2024-01-01T00:00:00Z", type: "movie" },
      { watched_at: "2024-01-01T00:00:00Z", type: "episode", episode: { season: 1e9, number: 1 }, show: { title: "Big", ids: { trakt: 5 } } },
      { plays: 1, last_watched_at: "2024-01-01T00:00:00Z", movie: { title: "x".repeat(301), ids: { trakt: 6 } } },
      { rated_at: "2024-01-01T00:00:00Z", rating: 8, type: "movie", movie: { title: "Fine", year: 99999, ids: { trakt: 7, tmdb: -3 } } },
      { __proto__: { polluted: true }, plays: 1, movie: { title: "Proto", ids: { trakt: 8 } } },
    ];
    const r = ok(await read(JSON.stringify([{ plays: 1, last_watched_at: "2024-01-01T00:00:00Z", movie: { title: "Real", ids: { trakt: 1 } } }, ...hostile]), "watched.json"));
    expect(r.entries.map((e) => [e.title, e.year, e.tmdbId])).toEqual([["Real", undefined, undefined], ["Fine", undefined, undefined], ["Proto", undefined, undefined]]);
    expect(r.skipped.map((s) => s.reason)).toEqual([
      "not a Trakt item", "not a Trakt item", "not a Trakt item", "not a Trakt item",
      "not a Trakt watch, rating or watchlist item",
      "no movie",
      "an episode without a season and number",
      "title longer than 300 characters",
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses a ZIP whose file is not JSON, or that unpacks to more than the limit", async () => {
    const broken = fixtureZip("trakt-export", { "trakt-export/watched-movies.json": "[{ not json" });
    expect(await read(broken, "trakt.zip")).toEqual({ ok: false, error: "watched-movies.json in that ZIP is malformed JSON, so I imported nothing." });
    // 11 MB of white space in one file deflates to a few KB: refused by what it declares, before unpacking.
    const big = fixtureZip("trakt-export", { "trakt-export/history-2.json": `[${" ".repeat(11 * 1024 * 1024)}]` });
    expect(big.length).toBeLessThan(100_000);
    expect(await read(big, "trakt.zip")).toEqual({ ok: false, error: "That ZIP unpacks to more than 10 MB, more than I can import at once." });
  });
});

describe("TV Time data export", () => {
  it("reads the ZIP: shows followed and at the furthest episode with every watch dated, movies watched and to watch", async () => {
    const r = ok(await read(fixtureZip("tvtime-export", { "__MACOSX/tvtime-export/._seen_episode.csv": "junk" }), "tvtime-gdpr.zip"));
    expect(r.source).toBe("tvtime");
    expect(withoutIds(r.entries)).toEqual([
      { kind: "show", title: "Breaking Bad", season: 2, episode: 1, addedAtMs: Date.parse("2021-03-01T09:00:00Z"), importKey: "tvtime:show:breaking bad" },
      { kind: "show", title: "The Boys", season: 1, episode: 1, addedAtMs: Date.parse("2022-08-01T12:00:00Z"), importKey: "tvtime:show:the boys" },
      // Only a special watched: the place is season 0.
      { kind: "show", title: "Doctor Who (2005)", season: 0, episode: 1, addedAtMs: Date.parse("2019-12-24T08:00:00Z"), importKey: "tvtime:show:doctor who (2005)" },
      {
        kind: "movie", title: "Inception", year: 2010, watchCount: 2, watchedOn: "2024-01-05", addedAtMs: Date.parse("2022-06-01T21:00:00Z"),
        importKey: "tvtime:movie:8bd3f0c2-1e0f-4b1c-9a7e-1f6f4c1d2a01",
      },
      { kind: "movie", title: "Oppenheimer", year: 2023, status: "want", addedAtMs: Date.parse("2023-08-01T09:00:00Z"), importKey: "tvtime:movie:0a6c1a54-77b2-4f0e-8d1e-3c2b9f8e7d02" },
    ]);
    // A rewatched episode is a second event; the place stays the furthest one.
    expect(byTitle(r.entries, "Breaking Bad").history).toEqual([
      { at: "2021-03-02T20:11:05.000Z", event: "episode", season: 1, episode: 1 },
      { at: "2021-03-03T21:40:12.000Z", event: "episode", season: 1, episode: 2 },
      { at: "2021-03-10T20:02:44.000Z", event: "episode", season: 2, episode: 1 },
      { at: "2023-11-20T19:15:00.000Z", event: "episode", season: 1, episode: 1 },
    ]);
    expect(byTitle(r.entries, "Inception").history).toEqual([
      { at: "2022-06-01T21:00:00.000Z", event: "watched" },
      { at: "2024-01-05T20:30:00.000Z", event: "watched" },
    ]);
    expect(r.skipped).toEqual([
      { where: "followed_tv_show.csv row 5", reason: "no show name" },
      { where: "seen_episode.csv row 7", reason: "no show name, only TV Time's episode id" },
      { where: "seen_episode.csv row 8", reason: "no season or episode number" },
      { where: "tracking-prod-records.csv row 5", reason: "no title" },
      { where: "tracking-prod-records.csv row 7", reason: "a badge record, not a movie or episode watched" },
    ]);
    expect(r.notes).toContain("Not imported from the ZIP: emotion.csv (not shows or movies watched).");
  });

  it("reads seen_episode.csv and tracking-prod-records.csv alone, by their columns", async () => {
    const seen = ok(await read(fixture("tvtime-export/seen_episode.csv"), "seen_episode.csv"));
    expect(seen.source).toBe("tvtime");
    expect(seen.entries.map((e) => [e.title, e.season, e.episode])).toEqual([["Breaking Bad", 2, 1], ["Doctor Who (2005)", 0, 1]]);
    expect(seen.skipped.map((s) => s.where)).toEqual(["row 7", "row 8"]);
    const tracking = ok(await read(fixture("tvtime-export/tracking-prod-records.csv"), "tracking-prod-records-v2.csv"));
    expect(tracking.entries.map((e) => [e.kind, e.title])).toEqual([["movie", "Inception"], ["movie", "Oppenheimer"], ["show", "The Boys"]]);
  });

  it("says a password-protected ZIP must be unzipped first", async () => {
    const zip = zipSync({ "seen_episode.csv": strToU8("tv_show_name,episode_season_number,episode_number\nLost,1,1\n") });
    zip[6] = zip[6]! | 1; // the encryption flag TV Time's ZIP carries
    const r = await read(zip, "tvtime.zip");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/password-protected .* Unzip it with the password/);
  });
});

describe("StoryGraph CSV", () => {
  it("maps statuses, quarter-star ratings, ISBN, reviews and every dated read", async () => {
    const r = ok(await read(fixture("storygraph-export.csv"), "storygraph_export.csv"));
    expect(r.source).toBe("storygraph");
    expect(withoutIds(r.entries)).toEqual([
      {
        kind: "book", title: "Project Hail Mary", author: "Andy Weir", status: "finished", rating: 5, isbn: "9780593135204",
        notes: "Rocky is the best.\nRead it twice.", readCount: 2, finishedOn: "2023-02-14", addedAtMs: Date.UTC(2023, 0, 2), importKey: "storygraph:9780593135204",
      },
      {
        kind: "book", title: "The Left Hand of Darkness", author: "Ursula K. Le Guin", status: "reading", isbn: "9780441478125", readCount: 0,
        addedAtMs: Date.UTC(2024, 2, 10), importKey: "storygraph:9780441478125",
      },
      { kind: "book", title: "Piranesi", author: "Susanna Clarke", status: "want", isbn: "9781635575637", readCount: 0, addedAtMs: Date.UTC(2024, 0, 20), importKey: "storygraph:9781635575637" },
      // Given up on: its dates are not reads finished.
      {
        kind: "book", title: "Infinite Jest", author: "David Foster Wallace", status: "dropped", rating: 2.5, isbn: "9780316066525", notes: "Too long for me.", readCount: 0,
        addedAtMs: Date.UTC(2022, 4, 1), importKey: "storygraph:9780316066525",
      },
      // StoryGraph's own id for a book without an ISBN keys it, and isn't taken for an ISBN.
      { kind: "book", title: "The Hobbit", author: "J.R.R. Tolkien", status: "finished", rating: 5, readCount: 1, finishedOn: "2020-02-01", addedAtMs: Date.UTC(2020, 0, 1), importKey: "storygraph:sg-5f2a9c1e" },
    ]);
    expect(byTitle(r.entries, "Project Hail Mary").history).toEqual([{ at: "2021-06-20", event: "finished" }, { at: "2023-02-14", event: "finished" }]);
    expect(byTitle(r.entries, "Infinite Jest").history).toBeUndefined();
    expect(r.skipped).toEqual([
      { where: "row 7", reason: "no title" },
      { where: "row 8", reason: 'unknown read status "read-ish"' },
      { where: "row 9", reason: "the same book as row 2" },
    ]);
    expect(r.notes).toEqual(["StoryGraph's quarter stars round up to the next half star: 3.25 becomes 3.5, 3.75 becomes 4 (2 ratings)."]);
  });

  it("reads the days of Dates Read: single days, spans (their last day), either separator", () => {
    expect(finishDays("2021/06/01-2021/06/20, 2023/02/14")).toEqual(["2021-06-20", "2023-02-14"]);
    expect(finishDays("2022-05-01-2022-06-10; nonsense, 2022/02/30")).toEqual(["2022-06-10"]);
    expect(finishDays("")).toEqual([]);
  });
});

describe("event dates", () => {
  it("keeps days, makes times ISO instants (a time without a zone is UTC), refuses nonsense", () => {
    expect(eventAt("2024-03-01")).toBe("2024-03-01");
    expect(eventAt("2024/3/1")).toBe("2024-03-01");
    expect(eventAt("2021-03-02 20:11:05")).toBe("2021-03-02T20:11:05.000Z");
    expect(eventAt("2024-03-09T21:14:00.000Z")).toBe("2024-03-09T21:14:00.000Z");
    expect(eventAt("2024-03-09T23:14:00+02:00")).toBe("2024-03-09T21:14:00.000Z");
    expect(eventAt("0001-01-01T00:00:00Z")).toBeUndefined();
    expect(eventAt("2024-02-30")).toBeUndefined();
    expect(eventAt("soon")).toBeUndefined();
    expect(eventAt(undefined)).toBeUndefined();
  });
});

// The statistics from known history (known numbers), the events a change records, and each chart
// as a real PNG: its signature, its size and its dimensions.
import { describe, expect, it } from "vitest";
import { eventsOfChange, readEvents } from "../../agents/media-tracker/history/events.js";
import type { ChatEvent, Entry } from "../../agents/media-tracker/media-store.js";
import { CHART_HEIGHT, CHART_NAMES, CHART_WIDTH, MAX_CHART_BYTES, chartSvg, renderChart } from "../../agents/media-tracker/stats/charts.js";
import { computeStats, statsText } from "../../agents/media-tracker/stats/compute.js";

const entry = (e: Partial<Entry> & Pick<Entry, "id" | "kind" | "title">): Entry => ({ chatId: "1", addedAtMs: 0, updatedAtMs: 0, ...e });

const ENTRIES: Entry[] = [
  entry({ id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", pages: 600, rating: 5 }),
  entry({ id: "b2", kind: "book", title: "Emma", author: "Jane Austen", rating: 3.5 }),
  entry({ id: "b3", kind: "book", title: "Children of Dune", author: "Frank Herbert", pages: 400 }),
  entry({ id: "m1", kind: "movie", title: "Heat", rating: 4 }),
  entry({ id: "s1", kind: "show", title: "Severance", rating: 4.5 }),
];
const EVENTS: ChatEvent[] = [
  { entryId: "b1", at: "2023-12-31", event: "finished" }, // another year
  { entryId: "b1", at: "2024-01-10", event: "finished" },
  { entryId: "b1", at: "2024-03-02", event: "finished" }, // read again
  { entryId: "b2", at: "2024-03-20", event: "finished" },
  { entryId: "b3", at: "2024-07-01T20:00:00.000Z", event: "finished" },
  { entryId: "m1", at: "2024-03-05", event: "watched" },
  { entryId: "m1", at: "2024-03-06", event: "rated", rating: 4 },
  { entryId: "s1", at: "2024-03-07T21:00:00.000Z", event: "episode", season: 1, episode: 1 },
  { entryId: "s1", at: "2024-03-08T21:00:00.000Z", event: "episode", season: 1, episode: 2 },
  { entryId: "s1", at: "2024-12-31T23:00:00.000Z", event: "episode", season: 1, episode: 3 },
  { entryId: "gone", at: "2024-03-09", event: "watched" }, // an entry no longer there
];

describe("year statistics", () => {
  it("counts a known year: books (rereads too), pages, movies, episodes, ratings, authors, months", () => {
    const s = computeStats(2024, ENTRIES, EVENTS);
    expect(s.booksFinished).toBe(4);
    expect(s.pages).toBe(600 + 600 + 400);
    expect(s.booksWithoutPages).toBe(1);
    expect(s.moviesWatched).toBe(1);
    expect(s.episodes).toBe(3);
    expect(s.shows).toBe(1);
    // Dune 5, Emma 3.5, Heat 4, Severance 4.5 (Children of Dune has no rating).
    expect(s.averageRating).toBe(4.3);
    expect(s.ratedCount).toBe(4);
    expect(s.ratings).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(s.topAuthors).toEqual([{ author: "Frank Herbert", books: 3 }, { author: "Jane Austen", books: 1 }]);
    expect(s.months[0]).toEqual({ books: 1, movies: 0, episodes: 0 });
    expect(s.months[2]).toEqual({ books: 2, movies: 1, episodes: 2 });
    expect(s.months[6]).toEqual({ books: 1, movies: 0, episodes: 0 });
    expect(s.months[11]).toEqual({ books: 0, movies: 0, episodes: 1 });
    const text = statsText(s);
    expect(text).toContain("4 books finished, 1,600 pages (1 without a page count)");
    expect(text).toContain("3 episodes of 1 show (I don't know episode lengths, so I count episodes, not hours)");
    expect(text).toContain("Average rating 4.3/5");
    expect(text).toContain("Busiest month: March");
  });

  it("says so when a year has nothing dated", () => {
    const s = computeStats(2020, ENTRIES, EVENTS);
    expect(s.booksFinished + s.moviesWatched + s.episodes).toBe(0);
    expect(s.averageRating).toBeNull();
    expect(statsText(s)).toMatch(/^Nothing dated in 2020 yet/);
  });
});

describe("events of a change", () => {
  const now = Date.parse("2024-05-01T10:00:00.000Z");
  it("records a new rating, a new status, a show moving forward and a new watch day", () => {
    expect(eventsOfChange("show", { season: 1, episode: 4, rating: 4 }, { season: 1, episode: 5, rating: 4, status: "watching" }, now)).toEqual([
      { at: "2024-05-01T10:00:00.000Z", event: "episode", season: 1, episode: 5 },
      { at: "2024-05-01T10:00:00.000Z", event: "status", status: "watching" },
    ]);
    expect(eventsOfChange("movie", { watchedOn: "2023-01-01" }, { watchedOn: "2024-04-30", rating: 3 }, now)).toEqual([
      { at: "2024-04-30", event: "watched" },
      { at: "2024-05-01T10:00:00.000Z", event: "rated", rating: 3 },
    ]);
    // Backwards (a correction) and unchanged fields are no events.
    expect(eventsOfChange("show", { season: 2, episode: 5 }, { season: 2, episode: 3 }, now)).toEqual([]);
    expect(eventsOfChange("book", { finishedOn: "2024-01-01", rating: 4 }, { finishedOn: "2024-01-01", rating: 4 }, now)).toEqual([]);
  });

  it("dates no event outside years 0000-9999 (an import's far-off added time), keeping the entry's own dated days", () => {
    const farOff = Date.parse("+099999-01-01T00:00:00.000Z");
    expect(eventsOfChange("movie", {}, { watchedOn: "2024-02-09", rating: 5 }, farOff)).toEqual([{ at: "2024-02-09", event: "watched" }]);
    expect(eventsOfChange("show", {}, { season: 1, episode: 2, status: "watching" }, Number.NaN)).toEqual([]);
  });

  it("reads a file's history keeping only well-formed events, each rebuilt from its own keys", () => {
    expect(readEvents([
      { at: "2024-01-02", event: "watched", extra: "<script>" },
      { at: "yesterday", event: "watched" },
      { at: "2024-01-03", event: "rated", rating: 9 },
      { at: "2024-01-04T10:00:00Z", event: "episode", season: 1, episode: 2 },
      { at: "2024-01-05", event: "explode" },
      "nonsense",
    ])).toEqual([{ at: "2024-01-02", event: "watched" }, { at: "2024-01-04T10:00:00Z", event: "episode", season: 1, episode: 2 }]);
    expect(readEvents("not a list")).toBeUndefined();
  });
});

describe("charts", () => {
  const stats = computeStats(2024, ENTRIES, EVENTS);
  for (const name of CHART_NAMES) {
    it(`renders the ${name} chart as a PNG of ${CHART_WIDTH}×${CHART_HEIGHT}, under ${MAX_CHART_BYTES / 1024} KB`, () => {
      const png = renderChart(name, stats);
      expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
      expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
      expect(png.readUInt32BE(16)).toBe(CHART_WIDTH);
      expect(png.readUInt32BE(20)).toBe(CHART_HEIGHT);
      expect(png.length).toBeGreaterThan(2_000);
      expect(png.length).toBeLessThan(MAX_CHART_BYTES);
      // The same numbers draw the same picture.
      expect(renderChart(name, stats).equals(png)).toBe(true);
    });
  }

  it("keeps names people typed as text, never as markup", () => {
    const hostile = computeStats(2024, [entry({ id: "b", kind: "book", title: "x", author: `</text><image href="file:///etc/passwd"/>&` })], [
      { entryId: "b", at: "2024-02-01", event: "finished" },
    ]);
    const svg = chartSvg("year", hostile);
    expect(svg).not.toContain("<image");
    expect(svg).toContain("&#60;/text&#62;");
    expect(renderChart("year", hostile).subarray(1, 4).toString("latin1")).toBe("PNG");
  });
});

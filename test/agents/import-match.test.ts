// Matching an import against the list (agents/media-tracker/import/match.ts): the same film, book
// or show from another source is found by provider id, or by kind + normalised title + year or
// author; a match only brings the entry forward (a new rating, later progress, missing fields).
import { describe, expect, it } from "vitest";
import { planImport, sameAuthor, titleKey } from "../../agents/media-tracker/import/match.js";
import type { ImportedEntry } from "../../agents/media-tracker/import/types.js";
import type { Entry } from "../../agents/media-tracker/media-store.js";

const T = Date.UTC(2024, 0, 2);
let n = 0;
const entry = (e: Omit<Entry, "id" | "chatId" | "addedAtMs" | "updatedAtMs"> & { id?: string }): Entry => ({ id: `x${++n}`, chatId: "1", addedAtMs: T, updatedAtMs: T, ...e });
const file = (e: Omit<ImportedEntry, "id" | "addedAtMs" | "importKey"> & { importKey?: string }): ImportedEntry => ({ id: `f${++n}`, addedAtMs: T, importKey: `letterboxd:${++n}`, ...e });

describe("titles and authors as matching sees them", () => {
  it("folds case, accents, punctuation, a leading article and Goodreads' series suffix", () => {
    expect(titleKey("The Wise Man's Fear (The Kingkiller Chronicle, #2)")).toBe(titleKey("wise mans fear"));
    expect(titleKey("Amélie")).toBe(titleKey("AMELIE!"));
    expect(titleKey("The Godfather")).toBe(titleKey("Godfather"));
    expect(titleKey("Tetsuo: The Iron Man")).toBe(titleKey("Tetsuo The Iron Man"));
    expect(titleKey("Dune")).not.toBe(titleKey("Dune Messiah"));
    expect(titleKey("🎬🎬")).toBe("🎬🎬");
  });

  it("knows an author written last name first, with or without initials' dots", () => {
    expect(sameAuthor("Frank Herbert", "Herbert, Frank")).toBe(true);
    expect(sameAuthor("J.R.R. Tolkien", "J. R. R. Tolkien")).toBe(true);
    expect(sameAuthor("Tolkien", "J.R.R. Tolkien")).toBe(true);
    expect(sameAuthor("Stanisław Lem", "Stanislaw Lem")).toBe(true);
    expect(sameAuthor("Frank Herbert", "Brian Herbert")).toBe(false);
  });
});

describe("planImport", () => {
  it("matches across sources by title and year (movies), title and author (books), title (shows)", () => {
    const list = [
      entry({ kind: "movie", title: "The Godfather", year: 1972, rating: 5 }),
      entry({ kind: "book", title: "The Wise Man's Fear", author: "Patrick Rothfuss", rating: 5, status: "finished" }),
      entry({ kind: "show", title: "Severance", season: 2, episode: 5 }),
    ];
    const plan = planImport(list, [
      file({ kind: "movie", title: "Godfather", year: 1972, rating: 5 }),
      file({ kind: "movie", title: "The Godfather", year: 1990 }), // another film of that name
      file({ kind: "book", title: "The Wise Man's Fear (The Kingkiller Chronicle, #2)", author: "Rothfuss, Patrick", rating: 5, status: "finished" }),
      file({ kind: "book", title: "The Wise Man's Fear", author: "Someone Else" }),
      file({ kind: "show", title: "severance", season: 2, episode: 5, status: "watching" }),
    ], "letterboxd");
    expect(plan.same).toBe(3);
    expect(plan.updates).toEqual([]);
    expect(plan.fresh.map((e) => [e.title, e.year ?? e.author])).toEqual([["The Godfather", 1990], ["The Wise Man's Fear", "Someone Else"]]);
  });

  it("matches by provider id even when the titles differ, and never against a different id", () => {
    const list = [
      entry({ kind: "movie", title: "Le Fabuleux Destin d'Amélie Poulain", tmdbId: 194 }),
      entry({ kind: "book", title: "Dune", author: "Frank Herbert", isbn: "9780441013593" }),
    ];
    const plan = planImport(list, [
      file({ kind: "movie", title: "Amélie", year: 2001, tmdbId: 194 }),
      file({ kind: "book", title: "Dune", author: "Frank Herbert", isbn: "9780340960196" }), // another edition's ISBN: not this entry
    ], "yamtrack");
    expect(plan.updates.map((u) => [u.title, u.changes])).toEqual([["Le Fabuleux Destin d'Amélie Poulain", ["adds year"]]]);
    expect(plan.fresh.map((e) => e.isbn)).toEqual(["9780340960196"]);
  });

  it("finds our own entries by their id (our export and our Yamtrack file sent back)", () => {
    const list = [entry({ id: "abc", kind: "movie", title: "Heat", year: 1995 })];
    const plan = planImport(list, [
      file({ kind: "movie", title: "Heat (renamed elsewhere)", importKey: "yamtrack:manual:movie:abc" }),
      file({ kind: "movie", title: "Heat again", importKey: "mt:abc" }),
    ], "yamtrack");
    // The first claims the entry; the second is left alone rather than changing it twice.
    expect(plan.same).toBe(2);
    expect(plan.fresh).toEqual([]);
  });

  it("brings entries forward only: a new rating, later progress and status, more watches, missing fields", () => {
    const list = [
      entry({ kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" }),
      entry({ kind: "show", title: "Lost", season: 6, episode: 17, status: "finished" }),
      entry({ kind: "book", title: "Dune", author: "Frank Herbert", status: "reading", currentPage: 100 }),
      entry({ kind: "book", title: "Emma", author: "Jane Austen", status: "finished", finishedOn: "2024-01-01" }),
      entry({ kind: "movie", title: "Alien", year: 1979, status: "want" }),
      entry({ kind: "movie", title: "Heat", year: 1995, rating: 4, watchCount: 2 }),
    ];
    const plan = planImport(list, [
      file({ kind: "show", title: "Severance", season: 3, episode: 1, status: "watching" }),
      file({ kind: "show", title: "Lost", season: 1, episode: 1, status: "watching" }), // an old file: behind
      file({ kind: "book", title: "Dune", author: "Frank Herbert", status: "reading", currentPage: 240, isbn: "0441013597", pages: 612 }),
      file({ kind: "book", title: "Emma", author: "Jane Austen", status: "want" }), // want after finished: behind
      file({ kind: "movie", title: "Alien", year: 1979, watchedOn: "2024-03-01", rating: 4.5 }),
      file({ kind: "movie", title: "Heat", year: 1995, rating: 4, watchCount: 3 }),
    ], "letterboxd");
    expect(plan.same).toBe(2);
    expect(plan.updates.map((u) => [u.title, u.changes])).toEqual([
      ["Severance", ["S2E5 → S3E1"]],
      ["Dune", ["page 100 → 240", "adds ISBN, pages"]],
      ["Alien", ["rated 4.5", "want → watched", "watched on 2024-03-01"]],
      ["Heat", ["watched 3 times"]],
    ]);
    expect(plan.updates[2]!.patch).toEqual({ rating: 4.5, status: "watched", watchedOn: "2024-03-01" });
    expect(plan.updates[0]!.patch).toEqual({ season: 3, episode: 1 });
  });

  it("reads Goodreads' whole stars as the same rating rounded, and a title shared by two films without a year as already there", () => {
    const list = [
      entry({ kind: "book", title: "Dune", author: "Frank Herbert", rating: 4.5 }),
      entry({ kind: "movie", title: "Dune", year: 1984 }),
      entry({ kind: "movie", title: "Dune", year: 2021 }),
    ];
    expect(planImport(list, [file({ kind: "book", title: "Dune", author: "Frank Herbert", rating: 5 })], "goodreads")).toMatchObject({ same: 1, updates: [] });
    expect(planImport(list, [file({ kind: "book", title: "Dune", author: "Frank Herbert", rating: 5 })], "letterboxd").updates[0]!.changes).toEqual(["rating 4.5 → 5"]);
    expect(planImport(list, [file({ kind: "movie", title: "Dune" })], "letterboxd")).toMatchObject({ same: 1, fresh: [], updates: [] });
    expect(planImport(list, [file({ kind: "movie", title: "Dune", year: 2021, rating: 4 })], "letterboxd").updates[0]!.changes).toEqual(["rated 4"]);
  });
});

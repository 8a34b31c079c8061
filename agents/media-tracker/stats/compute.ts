// A year in numbers, as a pure function of the chat's entries and that year's history events: what
// /stats says, what its charts draw and what the model's `stats` tool answers from.
import type { ChatEvent, Entry } from "../media-store.js";

export interface YearStats {
  year: number;
  booksFinished: number;
  /** Pages of the books finished (a book read twice counts twice); books with no page count add none. */
  pages: number;
  /** Books finished whose page count is unknown. */
  booksWithoutPages: number;
  moviesWatched: number;
  /**
   * Episodes watched: one per recorded episode event. Episode lengths are unknown here, so there are
   * no hours: the summary says so instead of guessing.
   */
  episodes: number;
  /** Shows with an episode watched in the year. */
  shows: number;
  /** The mean rating of the books, movies and shows done in the year that have one (one decimal), or null. */
  averageRating: number | null;
  ratedCount: number;
  /** The authors of the most books finished, most first, at most 3 (ties by name). */
  topAuthors: Array<{ author: string; books: number }>;
  /** Index 0 is January. */
  months: Array<{ books: number; movies: number; episodes: number }>;
  /** How many entries done in the year have each rating: 1, 1.5, … 5 (nine half-star buckets). */
  ratings: number[];
}

export const RATING_BUCKETS = [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5] as const;

/** The year's bounds as event dates compare: "2024" <= at < "2025". */
export function yearRange(year: number): { from: string; to: string } {
  return { from: String(year).padStart(4, "0"), to: String(year + 1).padStart(4, "0") };
}

export function computeStats(year: number, entries: readonly Entry[], events: readonly ChatEvent[]): YearStats {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const { from, to } = yearRange(year);
  const months = Array.from({ length: 12 }, () => ({ books: 0, movies: 0, episodes: 0 }));
  const done = new Set<string>();
  const shows = new Set<string>();
  const authors = new Map<string, number>();
  let booksFinished = 0;
  let pages = 0;
  let booksWithoutPages = 0;
  let moviesWatched = 0;
  let episodes = 0;
  for (const ev of events) {
    if (ev.at < from || ev.at >= to) continue;
    const entry = byId.get(ev.entryId);
    if (!entry) continue;
    const month = months[Number(ev.at.slice(5, 7)) - 1];
    if (!month) continue;
    if (ev.event === "finished" && entry.kind === "book") {
      booksFinished += 1;
      month.books += 1;
      done.add(entry.id);
      if (entry.pages !== undefined) pages += entry.pages;
      else booksWithoutPages += 1;
      if (entry.author) authors.set(entry.author, (authors.get(entry.author) ?? 0) + 1);
    } else if (ev.event === "watched" && entry.kind === "movie") {
      moviesWatched += 1;
      month.movies += 1;
      done.add(entry.id);
    } else if (ev.event === "episode" && entry.kind === "show") {
      episodes += 1;
      month.episodes += 1;
      done.add(entry.id);
      shows.add(entry.id);
    }
  }
  const ratings = RATING_BUCKETS.map(() => 0);
  let ratingSum = 0;
  let ratedCount = 0;
  for (const id of done) {
    const rating = byId.get(id)?.rating;
    if (rating === undefined) continue;
    ratedCount += 1;
    ratingSum += rating;
    const bucket = RATING_BUCKETS.indexOf(Math.round(rating * 2) / 2 as (typeof RATING_BUCKETS)[number]);
    if (bucket >= 0) ratings[bucket]! += 1;
  }
  const topAuthors = [...authors.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 3)
    .map(([author, books]) => ({ author, books }));
  return {
    year,
    booksFinished,
    pages,
    booksWithoutPages,
    moviesWatched,
    episodes,
    shows: shows.size,
    averageRating: ratedCount > 0 ? Math.round((ratingSum / ratedCount) * 10) / 10 : null,
    ratedCount,
    topAuthors,
    months,
    ratings,
  };
}

export const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** The summary /stats sends before its charts. */
export function statsText(s: YearStats): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const lines = [`Your ${s.year} in numbers:`];
  if (s.booksFinished + s.moviesWatched + s.episodes === 0) {
    return `Nothing dated in ${s.year} yet. Finish a book, watch a movie or an episode (/watched <show>) and it counts here.`;
  }
  const pages = s.pages > 0 ? `, ${n(s.pages)} pages${s.booksWithoutPages > 0 ? ` (${n(s.booksWithoutPages)} without a page count)` : ""}` : "";
  lines.push(`📖 ${n(s.booksFinished)} ${s.booksFinished === 1 ? "book" : "books"} finished${pages}`);
  lines.push(`🎬 ${n(s.moviesWatched)} ${s.moviesWatched === 1 ? "movie" : "movies"} watched`);
  lines.push(`📺 ${n(s.episodes)} ${s.episodes === 1 ? "episode" : "episodes"} of ${n(s.shows)} ${s.shows === 1 ? "show" : "shows"} (I don't know episode lengths, so I count episodes, not hours)`);
  if (s.averageRating !== null) lines.push(`⭐ Average rating ${s.averageRating}/5 over ${n(s.ratedCount)} rated`);
  if (s.topAuthors.length > 0) lines.push(`✍️ Top authors: ${s.topAuthors.map((a) => `${a.author} (${a.books})`).join(", ")}`);
  const busiest = s.months.map((m, i) => ({ i, total: m.books + m.movies + m.episodes })).sort((a, b) => b.total - a.total || a.i - b.i)[0]!;
  lines.push(`📅 Busiest month: ${MONTH_NAMES[busiest.i]}`);
  return lines.join("\n");
}

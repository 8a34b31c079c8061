// Every export format, as pure functions of a chat's entries:
// - json / csv: the contract's format (kind, title, the kind's fields, id, addedAt) plus the rest of
//   the entry (status, currentPage, finishedOn, watchedOn, notes, updatedAt, and what other services
//   told us: isbn, pages, readCount, watchCount, tmdbId, openLibraryKey, coverUrl when known), so
//   that re-importing our own export loses nothing;
// - goodreads: a Goodreads library export CSV of the books (Goodreads' import reads this shape);
// - letterboxd: Letterboxd's import CSV of the movies seen (Title, Year, Rating, WatchedDate, …);
// - yamtrack: Yamtrack's CSV (media_type, title, season_number, …) of books, movies and shows.
// Each service's file keeps every field it has a column for; what it cannot keep as it was (whole
// stars, a status it requires) is said in the file's notes. CSV cells are safe to open in a
// spreadsheet (csv-text.ts).
import { stringify } from "csv-stringify/sync";
import { movieStatus } from "../fields.js";
import type { BookStatus, Entry, EntryKind, HistoryEvent, ShowStatus } from "../media-store.js";
import { toCsvText } from "./csv-text.js";
import { BOOK_TO_SHELF, BOOK_TO_YAMTRACK, SHOW_TO_YAMTRACK, movieToYamtrack } from "./mappings.js";

export type ExportFormat = "json" | "csv" | "goodreads" | "letterboxd" | "yamtrack";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["json", "csv", "goodreads", "letterboxd", "yamtrack"];
/** The formats of other services, offered as buttons under /export. */
export const SERVICE_FORMATS = ["goodreads", "letterboxd", "yamtrack"] as const;
export type ServiceFormat = (typeof SERVICE_FORMATS)[number];

export const SERVICE_NAMES: Record<ServiceFormat, string> = { goodreads: "Goodreads", letterboxd: "Letterboxd", yamtrack: "Yamtrack" };
/** Which kinds each service takes. */
export const SERVICE_KINDS: Record<ServiceFormat, readonly EntryKind[]> = {
  goodreads: ["book"],
  letterboxd: ["movie"],
  yamtrack: ["book", "movie", "show"],
};

/** The contract's columns per kind, after kind and title; id and addedAt follow. */
const CONTRACT_FIELDS: Record<EntryKind, readonly string[]> = {
  book: ["author", "rating"],
  movie: ["year", "rating"],
  show: ["season", "episode", "rating"],
  quote: ["text", "author"],
};
/** The entry's other fields, after id and addedAt: always for their kind, for another kind when set. */
const DETAIL_FIELDS = ["status", "currentPage", "finishedOn", "watchedOn", "notes"] as const;
const DETAILS_BY_KIND: Record<EntryKind, ReadonlySet<string>> = {
  book: new Set(["status", "currentPage", "finishedOn", "notes"]),
  movie: new Set(["status", "watchedOn", "notes"]),
  show: new Set(["status", "notes"]),
  quote: new Set(["notes"]),
};

/** What other services told us about an entry: in an export only when known (a CSV column only when some entry has it). */
export const KNOWN_FIELDS = ["isbn", "pages", "readCount", "watchCount", "tmdbId", "openLibraryKey", "tvmazeId", "coverUrl"] as const;

export const CSV_COLUMNS = [
  "kind", "title", "author", "year", "season", "episode", "rating", "text", "id", "addedAt",
  "status", "currentPage", "finishedOn", "watchedOn", "notes", "updatedAt",
] as const;

export type ExportRecord = Record<string, string | number | null>;

export interface ExportOptions {
  /** Add each entry's chatId (exports of every chat; our own formats only). */
  withChat?: boolean;
}

export function toExportRecord(entry: Entry, options: ExportOptions = {}): ExportRecord {
  const all: ExportRecord = {
    author: entry.author ?? null,
    year: entry.year ?? null,
    season: entry.season ?? null,
    episode: entry.episode ?? null,
    rating: entry.rating ?? null,
    text: entry.quoteText ?? null,
    status: entry.status ?? null,
    currentPage: entry.currentPage ?? null,
    finishedOn: entry.finishedOn ?? null,
    watchedOn: entry.watchedOn ?? null,
    notes: entry.notes ?? null,
  };
  const record: ExportRecord = { kind: entry.kind, title: entry.title };
  for (const field of CONTRACT_FIELDS[entry.kind]) record[field] = all[field] ?? null;
  record.id = entry.id;
  record.addedAt = new Date(entry.addedAtMs).toISOString();
  for (const field of DETAIL_FIELDS) {
    if (DETAILS_BY_KIND[entry.kind].has(field) || all[field] !== null) record[field] = all[field] ?? null;
  }
  record.updatedAt = new Date(entry.updatedAtMs).toISOString();
  for (const field of KNOWN_FIELDS) {
    const value = entry[field];
    if (value !== undefined) record[field] = value;
  }
  if (options.withChat) record.chatId = entry.chatId;
  return record;
}

/** JSON's record: the CSV's fields plus the entry's dated history (`[{ at, event, … }]`, oldest first). */
function toJsonRecord(entry: Entry, options: ExportOptions): Record<string, unknown> {
  return { ...toExportRecord(entry, options), history: (entry.history ?? []).map((e) => ({ ...e })) };
}

/**
 * Times a movie was watched or a book read: the dated events, or the count an import brought when
 * it is larger (migration 0011 turned no undated count into invented dates).
 */
export function timesDone(entry: Entry): number {
  const done: HistoryEvent["event"] = entry.kind === "book" ? "finished" : "watched";
  const dated = (entry.history ?? []).filter((e) => e.event === done).length;
  return Math.max(dated, (entry.kind === "book" ? entry.readCount : entry.watchCount) ?? 0);
}

export interface ExportFile {
  fileName: string;
  content: string;
  /** Entries written. */
  count: number;
  /** Entries of kinds the format cannot hold (quotes in Yamtrack, …). */
  left: number;
  /** What the format could not keep as it was (rounded ratings, a status it requires, …), in sentences. */
  notes: string[];
}

/** The text of an export in one format. */
export function exportEntries(entries: Entry[], format: ExportFormat, options: ExportOptions = {}): string {
  return exportFile(entries, format, options).content;
}

export function exportFile(entries: Entry[], format: ExportFormat, options: ExportOptions = {}): ExportFile {
  switch (format) {
    case "json": {
      const records = entries.map((e) => toJsonRecord(e, options));
      return { fileName: "media-tracker.json", content: `${JSON.stringify(records, null, 2)}\n`, count: entries.length, left: 0, notes: [] };
    }
    case "csv": {
      const records = entries.map((e) => toExportRecord(e, options));
      // A numeric chat id (negative for groups) is a number, not a text a spreadsheet could misread.
      if (options.withChat) for (const r of records) if (/^(0|-?[1-9]\d{0,14})$/.test(String(r.chatId))) r.chatId = Number(r.chatId);
      const known = KNOWN_FIELDS.filter((f) => entries.some((e) => e[f] !== undefined));
      const columns = [...(options.withChat ? ["chatId"] : []), ...CSV_COLUMNS, ...known];
      return { fileName: "media-tracker.csv", content: csv(records, columns), count: entries.length, left: 0, notes: [] };
    }
    case "goodreads":
    case "letterboxd":
    case "yamtrack": {
      const kinds = SERVICE_KINDS[format];
      const chosen = entries.filter((e) => kinds.includes(e.kind));
      const written = format === "goodreads" ? goodreadsCsv(chosen) : format === "letterboxd" ? letterboxdCsv(chosen) : yamtrackCsv(chosen);
      return { fileName: `media-tracker-${format}.csv`, ...written, left: entries.length - chosen.length };
    }
  }
}

/** A service file's text, how many entries it holds, and what it could not keep. */
type Written = { content: string; count: number; notes: string[] };

/** CSV with a header; text cells made safe to open in a spreadsheet, numbers as they are. */
function csv(records: Array<Record<string, unknown>>, columns: readonly string[]): string {
  return stringify(records, {
    header: true,
    columns: [...columns],
    cast: { string: toCsvText, number: String, boolean: (b) => (b ? "true" : "false") },
  });
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The service's own id in an entry's import key: "goodreads:123" → "123" for "goodreads"; else undefined. */
function origin(entry: Entry, service: string): string | undefined {
  const prefix = `${service}:`;
  return entry.importKey?.startsWith(prefix) ? entry.importKey.slice(prefix.length) : undefined;
}

// === Goodreads: the library export's columns (its import reads the same file)

export const GOODREADS_COLUMNS = [
  "Book Id", "Title", "Author", "Author l-f", "Additional Authors", "ISBN", "ISBN13", "My Rating", "Average Rating",
  "Publisher", "Binding", "Number of Pages", "Year Published", "Original Publication Year", "Date Read", "Date Added",
  "Bookshelves", "Bookshelves with positions", "Exclusive Shelf", "My Review", "Spoiler", "Private Notes", "Read Count",
  "Owned Copies",
] as const;

function goodreadsCsv(books: Entry[]): Written {
  let halves = 0;
  let noShelf = 0;
  const rows = books.map((b) => {
    const status = b.status as BookStatus | undefined;
    // A book without a status goes without a shelf: the file does not claim it was read.
    const shelf = status && status in BOOK_TO_SHELF ? BOOK_TO_SHELF[status] : "";
    if (!shelf) noShelf += 1;
    if (b.rating !== undefined && !Number.isInteger(b.rating)) halves += 1;
    const bookId = origin(b, "goodreads");
    return {
      "Book Id": bookId && /^\d+$/.test(bookId) ? bookId : "",
      "Title": b.title,
      "Author": b.author ?? "",
      "Author l-f": lastFirst(b.author),
      "ISBN": b.isbn?.length === 10 ? b.isbn : "",
      "ISBN13": b.isbn?.length === 13 ? b.isbn : "",
      // Goodreads takes whole stars only: a half star rounds up (said in the notes).
      "My Rating": b.rating !== undefined ? Math.round(b.rating) : 0,
      "Number of Pages": b.pages ?? "",
      "Date Read": slashDate(b.finishedOn),
      "Date Added": slashDate(isoDay(b.addedAtMs)),
      "Bookshelves": shelf === "did-not-finish" ? shelf : "",
      "Exclusive Shelf": shelf,
      "Private Notes": b.notes ?? "",
      "Read Count": b.readCount !== undefined || timesDone(b) > 0 ? timesDone(b) : "",
    };
  });
  const notes: string[] = [];
  if (halves > 0) notes.push(`${plural(halves, "half-star rating", "half-star ratings")} rounded up to whole stars (Goodreads has whole stars only).`);
  if (noShelf > 0) notes.push(`${plural(noShelf, "book has", "books have")} no status, so no shelf.`);
  return { content: csv(rows, GOODREADS_COLUMNS), count: books.length, notes };
}

function lastFirst(author: string | undefined): string {
  if (!author) return "";
  const parts = author.trim().split(/\s+/);
  if (parts.length < 2) return author;
  return `${parts.at(-1)}, ${parts.slice(0, -1).join(" ")}`;
}

// === Letterboxd: the import format (https://letterboxd.com/about/importing-data/)

export const LETTERBOXD_COLUMNS = ["Title", "Year", "Rating", "WatchedDate", "Rewatch", "Tags", "Review"] as const;

/** The movies seen; one you want to see has no place in a file Letterboxd imports as films watched. */
function letterboxdCsv(movies: Entry[]): Written {
  const seen = movies.filter((m) => movieStatus(m) === "watched");
  const rows = seen.map((m) => ({
    Title: m.title,
    Year: m.year ?? "",
    Rating: m.rating ?? "",
    WatchedDate: m.watchedOn ?? "",
    // One row per movie: a movie watched more than once (its history or its count) is a rewatch.
    Rewatch: timesDone(m) > 1 ? "Yes" : "",
    Tags: "",
    Review: m.notes ?? "",
    tmdbID: m.tmdbId ?? "",
  }));
  const columns = seen.some((m) => m.tmdbId !== undefined) ? [...LETTERBOXD_COLUMNS, "tmdbID"] : LETTERBOXD_COLUMNS;
  const wanted = movies.length - seen.length;
  const notes = wanted > 0 ? [`${plural(wanted, "movie", "movies")} you want to see left out (Letterboxd imports this file as films watched).`] : [];
  return { content: csv(rows, columns), count: seen.length, notes };
}

// === Yamtrack: its CSV export/import shape; an entry is its provider's item when we know the id, else a "manual" one

export const YAMTRACK_COLUMNS = [
  "media_id", "source", "media_type", "title", "image", "season_number", "episode_number", "score", "progress", "status",
  "repeats", "start_date", "end_date", "notes", "created_at", "progressed_at",
] as const;

function yamtrackCsv(entries: Entry[]): Written {
  const rows: Array<Record<string, string | number>> = [];
  const forced = { book: 0, show: 0 };
  for (const e of entries) {
    const base = {
      ...yamtrackId(e),
      title: e.title,
      image: e.coverUrl ?? "",
      score: e.rating !== undefined ? e.rating * 2 : "",
      repeats: 0,
      notes: e.notes ?? "",
      created_at: new Date(e.addedAtMs).toISOString(),
      progressed_at: new Date(e.updatedAtMs).toISOString(),
    };
    if (e.kind === "book") {
      const status = e.status as BookStatus | undefined;
      if (!(status && status in BOOK_TO_YAMTRACK)) forced.book += 1;
      // Yamtrack needs a status: a book without one is Completed when rated or finished, else Planning.
      const yam = status && status in BOOK_TO_YAMTRACK ? BOOK_TO_YAMTRACK[status] : e.rating !== undefined || e.finishedOn ? "Completed" : "Planning";
      rows.push({ ...base, media_type: "book", progress: e.currentPage ?? 0, status: yam, repeats: repeats(e.readCount), end_date: e.finishedOn ?? "" });
    } else if (e.kind === "movie") {
      const yam = movieToYamtrack(movieStatus(e));
      rows.push({ ...base, media_type: "movie", progress: yam === "Completed" ? 1 : 0, status: yam, repeats: repeats(e.watchCount), end_date: e.watchedOn ?? "" });
    } else if (e.kind === "show") {
      const status = e.status as ShowStatus | undefined;
      if (!(status && status in SHOW_TO_YAMTRACK)) forced.show += 1;
      const yam = status && status in SHOW_TO_YAMTRACK ? SHOW_TO_YAMTRACK[status] : "In progress";
      rows.push({ ...base, media_type: "tv", progress: 0, status: yam });
      if (e.season !== undefined) {
        // Where the person is: the season, with the episodes watched in it as its progress.
        rows.push({ ...base, media_type: "season", season_number: e.season, score: "", notes: "", progress: e.episode ?? 0, status: yam });
      }
    }
  }
  const notes: string[] = [];
  if (forced.book > 0) notes.push(`${plural(forced.book, "book", "books")} without a status went as Completed (rated or finished) or Planning: Yamtrack needs a status.`);
  if (forced.show > 0) notes.push(`${plural(forced.show, "show", "shows")} without a status went as In progress: Yamtrack needs a status.`);
  return { content: csv(rows, YAMTRACK_COLUMNS), count: entries.length, notes };
}

/**
 * Which item a row is: the provider's id when we know it (TMDB for movies and shows, Open Library
 * for books), else the source and id Yamtrack gave it when it came from Yamtrack, else our own id.
 */
function yamtrackId(e: Entry): { media_id: string | number; source: string } {
  if (e.tmdbId !== undefined && (e.kind === "movie" || e.kind === "show")) return { media_id: e.tmdbId, source: "tmdb" };
  if (e.openLibraryKey !== undefined && e.kind === "book") return { media_id: e.openLibraryKey, source: "openlibrary" };
  const from = /^([^:]+):[^:]+:(.+)$/.exec(origin(e, "yamtrack") ?? "");
  if (from) return { media_id: from[2]!, source: from[1]! };
  return { media_id: e.id, source: "manual" };
}

/** Yamtrack counts repeats: the times after the first. */
function repeats(times: number | undefined): number {
  return times !== undefined && times > 1 ? times - 1 : 0;
}

// === Dates

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function slashDate(day: string | undefined): string {
  return day ? day.replaceAll("-", "/") : "";
}

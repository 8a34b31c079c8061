// Every export format, as pure functions of a chat's entries:
// - json / csv: the contract's format (kind, title, the kind's fields, id, addedAt) plus the rest of
//   the entry (status, currentPage, finishedOn, watchedOn, notes, updatedAt), so that re-importing
//   our own export loses nothing;
// - goodreads: a Goodreads library export CSV of the books (Goodreads' import reads this shape);
// - letterboxd: Letterboxd's import CSV of the movies (Title, Year, Rating, WatchedDate, …);
// - yamtrack: Yamtrack's CSV (media_type, title, season_number, …) of books, movies and shows.
import { stringify } from "csv-stringify/sync";
import type { BookStatus, Entry, EntryKind, ShowStatus } from "../media-store.js";
import { BOOK_TO_SHELF, BOOK_TO_YAMTRACK, SHOW_TO_YAMTRACK } from "./mappings.js";

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
  movie: new Set(["watchedOn", "notes"]),
  show: new Set(["status", "notes"]),
  quote: new Set(["notes"]),
};

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
  if (options.withChat) record.chatId = entry.chatId;
  return record;
}

export interface ExportFile {
  fileName: string;
  content: string;
  /** Entries written. */
  count: number;
  /** Entries of kinds the format cannot hold (quotes in Yamtrack, …). */
  left: number;
}

/** The text of an export in one format. */
export function exportEntries(entries: Entry[], format: ExportFormat, options: ExportOptions = {}): string {
  return exportFile(entries, format, options).content;
}

export function exportFile(entries: Entry[], format: ExportFormat, options: ExportOptions = {}): ExportFile {
  switch (format) {
    case "json": {
      const records = entries.map((e) => toExportRecord(e, options));
      return { fileName: "media-tracker.json", content: `${JSON.stringify(records, null, 2)}\n`, count: entries.length, left: 0 };
    }
    case "csv": {
      const records = entries.map((e) => toExportRecord(e, options));
      const columns = options.withChat ? ["chatId", ...CSV_COLUMNS] : [...CSV_COLUMNS];
      return { fileName: "media-tracker.csv", content: csv(records, columns), count: entries.length, left: 0 };
    }
    case "goodreads":
    case "letterboxd":
    case "yamtrack": {
      const kinds = SERVICE_KINDS[format];
      const chosen = entries.filter((e) => kinds.includes(e.kind));
      const content = format === "goodreads" ? goodreadsCsv(chosen) : format === "letterboxd" ? letterboxdCsv(chosen) : yamtrackCsv(chosen);
      return { fileName: `media-tracker-${format}.csv`, content, count: chosen.length, left: entries.length - chosen.length };
    }
  }
}

function csv(records: Array<Record<string, unknown>>, columns: readonly string[]): string {
  return stringify(records, { header: true, columns: [...columns], cast: { number: String, boolean: (b) => (b ? "true" : "false") } });
}

// === Goodreads: the library export's columns (its import reads the same file)

export const GOODREADS_COLUMNS = [
  "Book Id", "Title", "Author", "Author l-f", "Additional Authors", "ISBN", "ISBN13", "My Rating", "Average Rating",
  "Publisher", "Binding", "Number of Pages", "Year Published", "Original Publication Year", "Date Read", "Date Added",
  "Bookshelves", "Bookshelves with positions", "Exclusive Shelf", "My Review", "Spoiler", "Private Notes", "Read Count",
  "Owned Copies",
] as const;

function goodreadsCsv(books: Entry[]): string {
  const rows = books.map((b) => {
    const status = b.status as BookStatus | undefined;
    const shelf = status && status in BOOK_TO_SHELF ? BOOK_TO_SHELF[status] : b.rating !== undefined || b.finishedOn ? "read" : "to-read";
    return {
      "Title": b.title,
      "Author": b.author ?? "",
      "Author l-f": lastFirst(b.author),
      // Goodreads takes whole stars only: a half star rounds up.
      "My Rating": b.rating !== undefined ? Math.round(b.rating) : 0,
      "Date Read": slashDate(b.finishedOn),
      "Date Added": slashDate(isoDay(b.addedAtMs)),
      "Bookshelves": shelf === "did-not-finish" ? shelf : "",
      "Exclusive Shelf": shelf,
      "Private Notes": b.notes ?? "",
      "Read Count": shelf === "read" ? 1 : 0,
      "Owned Copies": 0,
    };
  });
  return csv(rows, GOODREADS_COLUMNS);
}

function lastFirst(author: string | undefined): string {
  if (!author) return "";
  const parts = author.trim().split(/\s+/);
  if (parts.length < 2) return author;
  return `${parts.at(-1)}, ${parts.slice(0, -1).join(" ")}`;
}

// === Letterboxd: the import format (https://letterboxd.com/about/importing-data/)

export const LETTERBOXD_COLUMNS = ["Title", "Year", "Rating", "WatchedDate", "Rewatch", "Tags", "Review"] as const;

function letterboxdCsv(movies: Entry[]): string {
  const rows = movies.map((m) => ({
    Title: m.title,
    Year: m.year ?? "",
    Rating: m.rating ?? "",
    WatchedDate: m.watchedOn ?? "",
    Rewatch: "",
    Tags: "",
    Review: m.notes ?? "",
  }));
  return csv(rows, LETTERBOXD_COLUMNS);
}

// === Yamtrack: its CSV export/import shape; entries are "manual" items (no provider id)

export const YAMTRACK_COLUMNS = [
  "media_id", "source", "media_type", "title", "image", "season_number", "episode_number", "score", "progress", "status",
  "repeats", "start_date", "end_date", "notes", "created_at", "progressed_at",
] as const;

function yamtrackCsv(entries: Entry[]): string {
  const rows: Array<Record<string, string | number>> = [];
  for (const e of entries) {
    const base = {
      media_id: e.id,
      source: "manual",
      title: e.title,
      image: "",
      score: e.rating !== undefined ? e.rating * 2 : "",
      repeats: 0,
      notes: e.notes ?? "",
      created_at: new Date(e.addedAtMs).toISOString(),
      progressed_at: new Date(e.updatedAtMs).toISOString(),
    };
    if (e.kind === "book") {
      const status = e.status as BookStatus | undefined;
      const yam = status && status in BOOK_TO_YAMTRACK ? BOOK_TO_YAMTRACK[status] : e.rating !== undefined || e.finishedOn ? "Completed" : "Planning";
      rows.push({ ...base, media_type: "book", progress: e.currentPage ?? 0, status: yam, end_date: e.finishedOn ?? "" });
    } else if (e.kind === "movie") {
      rows.push({ ...base, media_type: "movie", progress: 1, status: "Completed", end_date: e.watchedOn ?? "" });
    } else if (e.kind === "show") {
      const status = e.status as ShowStatus | undefined;
      const yam = status && status in SHOW_TO_YAMTRACK ? SHOW_TO_YAMTRACK[status] : "In progress";
      rows.push({ ...base, media_type: "tv", progress: 0, status: yam });
      if (e.season !== undefined) {
        // Where the person is: the season, with the episodes watched in it as its progress.
        rows.push({ ...base, media_type: "season", season_number: e.season, score: "", notes: "", progress: e.episode ?? 0, status: yam });
      }
    }
  }
  return csv(rows, YAMTRACK_COLUMNS);
}

// === Dates

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function slashDate(day: string | undefined): string {
  return day ? day.replaceAll("-", "/") : "";
}

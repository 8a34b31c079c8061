// Readers for other services' files, by their published column names: the Goodreads library
// export, Letterboxd's export (diary.csv, ratings.csv, watched.csv, reviews.csv) and import CSV,
// and Yamtrack's CSV. Each turns rows into entries with a stable import key, or a skip reason, and
// keeps every field we have a place for (ISBN, pages, read and watch counts, provider ids, covers);
// what our scale changed (a ½★ raised to 1★) and what it counted (rewatches) goes in the notes.
import type { EntryKind } from "../media-store.js";
import { MAX_PAGE } from "../edit-fields.js";
import { MAX_EPISODE, MAX_SEASON, MAX_YEAR, MIN_YEAR } from "../fields.js";
import { fromCsvText } from "../export/csv-text.js";
import { RatingReader, shelfToBookStatus, toRating, yamtrackToStatus } from "../export/mappings.js";
import { quoted } from "./bounds.js";
import type { CsvTable, ImportedEntry, ReadOptions, SkippedRow } from "./types.js";
import { MAX_TIMES, coverUrl, cleanTitle, day, isbn, lower, number, openLibraryKey, text, timeMs, wholeNumber } from "./values.js";

/** TMDB ids are positive 32-bit integers. */
const MAX_TMDB_ID = 2 ** 31 - 1;

export interface Parsed {
  entries: ImportedEntry[];
  skipped: SkippedRow[];
  /** What the reader changed or counted, in sentences for the summary. */
  notes: string[];
}

/** A table's rows with each cell as it was before our CSV export made it spreadsheet-safe (csv-text.ts). */
function rowsOf(table: CsvTable): CsvTable["rows"] {
  return table.rows.map(({ row, values }) => ({
    row,
    values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fromCsvText(v)])),
  }));
}

function where(table: CsvTable, row: number, withName: boolean): string {
  return withName ? `${table.name} row ${row}` : `row ${row}`;
}

// === Goodreads

export function isGoodreads(headers: string[]): boolean {
  return headers.includes("Title") && (headers.includes("My Rating") || headers.includes("Exclusive Shelf") || headers.includes("Book Id"));
}

export function readGoodreads(table: CsvTable, options: ReadOptions): Parsed {
  const out: Parsed = { entries: [], skipped: [], notes: [] };
  const ratings = new RatingReader();
  const seen = new Map<string, number>();
  for (const { row, values: v } of rowsOf(table)) {
    const title = cleanTitle(v["Title"]);
    if (!title.ok) {
      out.skipped.push({ where: `row ${row}`, reason: title.reason });
      continue;
    }
    const author = text(v["Author"])?.trim().replace(/\s+/g, " ");
    const bookId = v["Book Id"]?.trim();
    const key = bookId ? `goodreads:${bookId}` : `goodreads:t:${lower(title.value)}|${lower(author ?? "")}`;
    const first = seen.get(key);
    if (first !== undefined) {
      out.skipped.push({ where: `row ${row}`, reason: `the same book as row ${first}` });
      continue;
    }
    seen.set(key, row);
    const myRating = number(v["My Rating"]);
    const notes = [text(v["My Review"]), text(v["Private Notes"])].filter((n) => n !== undefined).join("\n\n");
    const status = shelfToBookStatus(v["Exclusive Shelf"] ?? "");
    const entry: ImportedEntry = {
      id: options.newId(),
      kind: "book",
      title: title.value,
      addedAtMs: timeMs(v["Date Added"]) ?? options.nowMs,
      importKey: key,
    };
    if (author) entry.author = author;
    const rating = myRating && myRating > 0 ? ratings.read(entry, myRating) : undefined; // 0 = not rated
    if (rating !== undefined) entry.rating = rating;
    if (status) entry.status = status;
    const read = day(v["Date Read"]);
    if (read) entry.finishedOn = read;
    if (notes) entry.notes = notes;
    const code = isbn(v["ISBN13"]) ?? isbn(v["ISBN"]);
    if (code) entry.isbn = code;
    const pages = wholeNumber(v["Number of Pages"], 1, MAX_PAGE);
    if (pages !== undefined) entry.pages = pages;
    const readCount = wholeNumber(v["Read Count"], 0, MAX_TIMES);
    if (readCount !== undefined) entry.readCount = readCount;
    out.entries.push(entry);
  }
  out.notes.push(...ratings.notes());
  return out;
}

// === Letterboxd

export type LetterboxdFile = "diary" | "ratings" | "watched" | "reviews" | "watchlist" | "import";

/** Which Letterboxd file a table is, by its columns (and name, for the watchlist). */
export function letterboxdFile(headers: string[], fileName: string): LetterboxdFile | undefined {
  if (headers.includes("Name") && (headers.includes("Letterboxd URI") || headers.includes("Date"))) {
    if (/watchlist/i.test(fileName)) return "watchlist";
    if (headers.includes("Review")) return "reviews";
    if (headers.includes("Watched Date")) return "diary";
    if (headers.includes("Rating")) return "ratings";
    return "watched";
  }
  const importColumns = ["WatchedDate", "Rewatch", "Review", "Rating10", "LetterboxdURI", "tmdbID", "imdbID", "Directors"];
  if (headers.includes("Title") && (importColumns.some((c) => headers.includes(c)) || (headers.includes("Year") && headers.includes("Rating")))) {
    return "import";
  }
  return undefined;
}

interface Film {
  entry: ImportedEntry;
  /** Which file last set the rating (ratings.csv wins over the diary). */
  ratedBy?: LetterboxdFile;
  /** Viewings logged (diary rows, or rows of an import file). */
  views: number;
  /** The earliest logged viewing, and whether it was already a rewatch (one more, unlogged). */
  earliest?: { date: string; rewatch: boolean };
}

/** Why a CSV in a Letterboxd ZIP is not read, or undefined for the files that are. */
export function letterboxdZipSkip(path: string): string | undefined {
  const m = /^(?:([^/]+)\/)?([^/]+)\.csv$/i.exec(path);
  if (!m) return undefined;
  const folder = m[1]?.toLowerCase();
  const base = m[2]!.toLowerCase();
  if (folder === "deleted" || folder === "orphaned") return "deleted entries";
  if (folder === "likes") return "likes";
  if (folder === "lists") return "a list";
  if (["diary", "ratings", "watched", "reviews"].includes(base)) return undefined;
  if (base === "watchlist") return "films not seen yet";
  return "not a film log";
}

/** Most names of left-out files a summary lists. */
const MAX_NAMED_FILES = 5;

/**
 * Reads one or more Letterboxd files (a ZIP's, or one CSV); a film seen in several is one entry,
 * and a film logged several times (rewatches) is one entry with how many times it was watched.
 * `leftOut`: the ZIP's other CSV files with the reason, named in the notes.
 */
export function readLetterboxd(
  tables: Array<{ table: CsvTable; file: LetterboxdFile }>,
  options: ReadOptions,
  leftOut: Array<{ name: string; reason: string }> = [],
): Parsed {
  const out: Parsed = { entries: [], skipped: [], notes: [] };
  const ratings = new RatingReader();
  const films = new Map<string, Film>();
  const withName = tables.length > 1;
  // Watched first (the log), then the diary (dates, ratings), then ratings and reviews.
  const order: LetterboxdFile[] = ["watched", "import", "diary", "ratings", "reviews"];
  const sorted = [...tables].sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file));
  for (const { table, file } of sorted) {
    for (const { row, values: v } of rowsOf(table)) {
      const title = cleanTitle(file === "import" ? v["Title"] : v["Name"]);
      const at = where(table, row, withName);
      if (!title.ok) {
        out.skipped.push({ where: at, reason: title.reason });
        continue;
      }
      const year = wholeNumber(v["Year"], MIN_YEAR, MAX_YEAR);
      const key = `letterboxd:${lower(title.value)}|${year ?? ""}`;
      let film = films.get(key);
      const addedAtMs = timeMs(v["Date"]) ?? timeMs(v["WatchedDate"]) ?? options.nowMs;
      if (!film) {
        film = { entry: { id: options.newId(), kind: "movie", title: title.value, addedAtMs, importKey: key }, views: 0 };
        if (year !== undefined) film.entry.year = year;
        films.set(key, film);
        out.entries.push(film.entry);
      } else if (file !== "import") {
        film.entry.addedAtMs = Math.min(film.entry.addedAtMs, addedAtMs);
      }
      const e = film.entry;
      const stars = number(v["Rating"]) ?? (number(v["Rating10"]) !== undefined ? number(v["Rating10"])! / 2 : undefined);
      if (toRating(stars) !== undefined && (file === "ratings" || film.ratedBy !== "ratings")) {
        e.rating = ratings.read(e, stars);
        film.ratedBy = file;
      }
      const watched = day(v["Watched Date"] ?? v["WatchedDate"]);
      if (watched && (!e.watchedOn || watched > e.watchedOn)) e.watchedOn = watched;
      if (file === "diary" || file === "import") {
        film.views += 1;
        const rewatch = /^(yes|true|1)$/i.test(v["Rewatch"]?.trim() ?? "");
        const date = watched ?? "";
        if (!film.earliest || date < film.earliest.date) film.earliest = { date, rewatch };
      }
      const review = text(v["Review"]);
      if (review && !e.notes?.includes(review)) e.notes = e.notes ? `${e.notes}\n\n${review}` : review;
      const tmdbId = wholeNumber(v["tmdbID"], 1, MAX_TMDB_ID);
      if (tmdbId !== undefined) e.tmdbId = tmdbId;
    }
  }
  let rewatches = 0;
  for (const film of films.values()) {
    const times = Math.min(MAX_TIMES, film.views + (film.earliest?.rewatch ? 1 : 0));
    if (times > 1) {
      film.entry.watchCount = times;
      rewatches += times - 1;
    }
  }
  if (rewatches > 0) {
    out.notes.push(`${rewatches} ${rewatches === 1 ? "rewatch" : "rewatches"} counted: one entry per film, with how many times you watched it.`);
  }
  out.notes.push(...ratings.notes());
  if (leftOut.length > 0) {
    const named = leftOut.slice(0, MAX_NAMED_FILES).map((f) => `${quoted(f.name, 60)} (${f.reason})`);
    if (leftOut.length > MAX_NAMED_FILES) named.push(`${leftOut.length - MAX_NAMED_FILES} more`);
    out.notes.push(`Not imported from the ZIP: ${named.join(", ")}.`);
  }
  return out;
}

// === Yamtrack

export function isYamtrack(headers: string[]): boolean {
  return headers.includes("media_type") && headers.includes("title");
}

const YAMTRACK_KIND: Record<string, EntryKind> = {
  movie: "movie", tv: "show", season: "show", episode: "show", anime: "show", book: "book", manga: "book", comic: "book",
};

export function readYamtrack(table: CsvTable, options: ReadOptions): Parsed {
  const out: Parsed = { entries: [], skipped: [], notes: [] };
  const ratings = new RatingReader();
  const byKey = new Map<string, ImportedEntry>();
  // A show's tv row, its season rows and its episode rows share (source, media_id): one entry.
  const rank = (type: string) => (type === "tv" ? 0 : type === "season" ? 1 : type === "episode" ? 2 : 0);
  const rows = rowsOf(table).sort((a, b) => rank(a.values["media_type"] ?? "") - rank(b.values["media_type"] ?? ""));
  for (const { row, values: v } of rows) {
    const type = (v["media_type"] ?? "").trim().toLowerCase();
    const kind = YAMTRACK_KIND[type];
    if (!kind) {
      out.skipped.push({ where: `row ${row}`, reason: type ? `${type} isn't something I track` : "no media_type" });
      continue;
    }
    const title = cleanTitle(v["title"]);
    if (!title.ok) {
      out.skipped.push({ where: `row ${row}`, reason: title.reason });
      continue;
    }
    const source = v["source"]?.trim() || "manual";
    const mediaId = v["media_id"]?.trim();
    const id = mediaId || lower(title.value);
    const group = kind === "show" ? "tv" : type;
    const key = `yamtrack:${source}:${group}:${id}`;
    const season = wholeNumber(v["season_number"], 0, MAX_SEASON);
    const episodeNumber = wholeNumber(v["episode_number"], 0, MAX_EPISODE);
    const progress = wholeNumber(v["progress"], 0, kind === "book" ? MAX_PAGE : MAX_EPISODE);
    const status = v["status"] ? yamtrackToStatus(kind, v["status"]) : undefined;
    // Yamtrack scores are 0–10: halved; 0 means unscored.
    const score = number(v["score"]);
    const stars = score !== undefined ? score / 2 : undefined;
    let e = byKey.get(key);
    if (e && type !== "season" && type !== "episode") {
      out.skipped.push({ where: `row ${row}`, reason: "the same item as an earlier row" });
      continue;
    }
    if (!e) {
      e = {
        id: options.newId(),
        kind,
        title: title.value,
        addedAtMs: timeMs(v["created_at"]) ?? timeMs(v["start_date"]) ?? timeMs(v["progress_changed"]) ?? options.nowMs,
        importKey: key,
      };
      if (status) e.status = status;
      if (toRating(stars) !== undefined) e.rating = ratings.read(e, stars);
      const tmdbId = source === "tmdb" && (kind === "movie" || kind === "show") ? wholeNumber(mediaId, 1, MAX_TMDB_ID) : undefined;
      if (tmdbId !== undefined) e.tmdbId = tmdbId;
      const olKey = source === "openlibrary" && kind === "book" ? openLibraryKey(mediaId) : undefined;
      if (olKey) e.openLibraryKey = olKey;
      const cover = coverUrl(v["image"]);
      if (cover) e.coverUrl = cover;
      // Repeats are the times after the first.
      const repeats = wholeNumber(v["repeats"], 0, MAX_TIMES - 1);
      if (repeats) {
        if (kind === "book") e.readCount = repeats + 1;
        if (kind === "movie") e.watchCount = repeats + 1;
      }
      byKey.set(key, e);
      out.entries.push(e);
    }
    const notes = text(v["notes"]);
    if (notes && !e.notes) e.notes = notes;
    if (kind === "movie") {
      const watched = day(v["end_date"]);
      if (watched) e.watchedOn = watched;
    } else if (kind === "book") {
      const finished = day(v["end_date"]);
      if (finished && e.status === "finished") e.finishedOn = finished;
      if (progress && e.status !== "finished" && type === "book") e.currentPage = progress;
    } else if (type === "season" && season !== undefined) {
      if (e.season === undefined || season > e.season) {
        e.season = season;
        if (progress) e.episode = progress;
        else delete e.episode;
      }
      if (e.rating === undefined && toRating(stars) !== undefined) e.rating = ratings.read(e, stars);
      if (!e.status && status) e.status = status;
    } else if (type === "episode" && season !== undefined && episodeNumber !== undefined) {
      if (e.season === undefined || season > e.season || (season === e.season && episodeNumber > (e.episode ?? 0))) {
        e.season = season;
        e.episode = episodeNumber;
      }
    } else if (type === "anime" && progress) {
      e.episode = progress;
    }
  }
  out.notes.push(...ratings.notes());
  return out;
}

// Our own export (JSON or CSV, see export/formats.ts) read back: every kind and every field, keyed
// "mt:<id>" so that importing it twice, or into the chat it came from, adds nothing. CSV cells are
// read as they were before the export made them spreadsheet-safe; JSON is taken as it is.
import { ENTRY_KINDS, type EntryKind } from "../media-store.js";
import { fromCsvText } from "../export/csv-text.js";
import { toRating } from "../export/mappings.js";
import { readEvents } from "../history/events.js";
import { MAX_PAGE } from "../edit-fields.js";
import { KIND_STATUSES, MAX_EPISODE, MAX_SEASON, MAX_YEAR, MIN_YEAR } from "../fields.js";
import type { CsvTable, ImportedEntry, ReadOptions, SkippedRow } from "./types.js";
import { MAX_TIMES, cleanTitle, coverUrl, day, isbn, number, openLibraryKey, text, timeMs, wholeNumber } from "./values.js";

export function isOwnCsv(headers: string[]): boolean {
  return headers.includes("kind") && headers.includes("title") && (headers.includes("id") || headers.includes("addedAt"));
}

type Value = string | number | null | undefined;

/** Reads our CSV export: its rows as records, each cell as it was before the export. */
export function readOwnCsv(table: CsvTable, options: ReadOptions): { entries: ImportedEntry[]; skipped: SkippedRow[] } {
  const records = table.rows.map(({ row, values }) => ({
    where: `row ${row}`,
    values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, fromCsvText(v)])) as Record<string, unknown>,
  }));
  return readOwn(records, options);
}

/** Reads our records (JSON objects or CSV rows as objects). */
export function readOwn(
  records: Array<{ where: string; values: Record<string, unknown> }>,
  options: ReadOptions,
): { entries: ImportedEntry[]; skipped: SkippedRow[] } {
  const entries: ImportedEntry[] = [];
  const skipped: SkippedRow[] = [];
  const seen = new Set<string>();
  for (const { where, values } of records) {
    const get = (k: string): Value => {
      const v = values[k];
      return typeof v === "string" || typeof v === "number" ? v : undefined;
    };
    const str = (k: string): string | undefined => {
      const v = get(k);
      return v === undefined ? undefined : String(v);
    };
    const kind = str("kind")?.trim().toLowerCase() as EntryKind | undefined;
    if (!kind || !ENTRY_KINDS.includes(kind)) {
      skipped.push({ where, reason: kind ? `unknown kind "${kind}"` : "no kind" });
      continue;
    }
    const title = cleanTitle(str("title"));
    if (!title.ok) {
      skipped.push({ where, reason: title.reason });
      continue;
    }
    const sourceId = str("id")?.trim();
    const addedAtMs = timeMs(str("addedAt")) ?? options.nowMs;
    const key = sourceId ? `mt:${sourceId}` : `mt:${kind}|${title.value}|${addedAtMs}`;
    if (seen.has(key)) {
      skipped.push({ where, reason: "the same entry as an earlier one" });
      continue;
    }
    seen.add(key);
    const e: ImportedEntry = { id: options.newId(), kind, title: title.value, addedAtMs, importKey: key };
    const updatedAtMs = timeMs(str("updatedAt"));
    if (updatedAtMs !== undefined) e.updatedAtMs = updatedAtMs;
    const author = text(str("author"));
    if (author) e.author = author;
    const year = wholeNumber(get("year"), MIN_YEAR, MAX_YEAR);
    if (year !== undefined) e.year = year;
    const rating = toRating(number(get("rating")));
    if (rating !== undefined) e.rating = rating;
    const season = wholeNumber(get("season"), 0, MAX_SEASON);
    if (season !== undefined) e.season = season;
    const episode = wholeNumber(get("episode"), 0, MAX_EPISODE);
    if (episode !== undefined) e.episode = episode;
    // A status the bot would not offer for the kind is left out.
    const status = str("status")?.trim().toLowerCase();
    if (status && KIND_STATUSES[kind]?.includes(status)) e.status = status;
    const page = wholeNumber(get("currentPage"), 0, MAX_PAGE);
    if (page !== undefined) e.currentPage = page;
    const finished = day(str("finishedOn"));
    if (finished) e.finishedOn = finished;
    const watched = day(str("watchedOn"));
    if (watched) e.watchedOn = watched;
    const quote = text(kind === "quote" ? (str("text") ?? str("quoteText")) : undefined);
    if (quote) e.quoteText = quote;
    const notes = text(str("notes"));
    if (notes) e.notes = notes;
    const code = isbn(get("isbn"));
    if (code) e.isbn = code;
    const pages = wholeNumber(get("pages"), 1, MAX_PAGE);
    if (pages !== undefined) e.pages = pages;
    const readCount = wholeNumber(get("readCount"), 0, MAX_TIMES);
    if (readCount !== undefined) e.readCount = readCount;
    const watchCount = wholeNumber(get("watchCount"), 0, MAX_TIMES);
    if (watchCount !== undefined) e.watchCount = watchCount;
    const tmdbId = wholeNumber(get("tmdbId"), 1, 2 ** 31 - 1);
    if (tmdbId !== undefined) e.tmdbId = tmdbId;
    const olKey = openLibraryKey(str("openLibraryKey"));
    if (olKey) e.openLibraryKey = olKey;
    const tvmazeId = e.kind === "show" ? wholeNumber(get("tvmazeId"), 1, 2 ** 31 - 1) : undefined;
    if (tvmazeId !== undefined) e.tvmazeId = tvmazeId;
    const cover = coverUrl(str("coverUrl"));
    if (cover) e.coverUrl = cover;
    // JSON only: the dated history, as exported.
    const history = readEvents(values.history);
    if (history?.length) e.history = history;
    entries.push(e);
  }
  return { entries, skipped };
}

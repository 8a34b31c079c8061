// Reads a file sent for import: a ZIP (Letterboxd's, Trakt's or TV Time's export), JSON (Trakt's or
// our export) or CSV (Goodreads, Letterboxd, TV Time, StoryGraph, Yamtrack or ours), told apart by
// content and columns rather than by the file name.
// Bytes in, entries and skipped rows out, or a reason the file can't be read. Bounded (bounds.ts)
// and in slices: a file at the limits neither runs the process out of memory nor holds up other chats.
import {
  type LetterboxdFile, isGoodreads, isYamtrack, letterboxdFile, letterboxdZipSkip, readGoodreads, readLetterboxd, readYamtrack,
} from "./services.js";
import { isOwnCsv, readOwn, readOwnCsv } from "./own.js";
import { MAX_COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, MAX_UNZIPPED_BYTES, ROW_LIMIT_TEXT, SIZE_LIMIT_TEXT, quoted } from "./bounds.js";
import { type CsvRead, type RowBudget, readCsvTable } from "./csv-table.js";
import { entriesOf, readJsonValue } from "./json-list.js";
import { readMoverZip } from "./movers.js";
import { isStoryGraph, readStoryGraph } from "./storygraph.js";
import { looksLikeTrakt, readTrakt } from "./trakt.js";
import { readTvTime, tvTimeFile } from "./tvtime.js";
import type { CsvTable, ImportRead, ReadOptions } from "./types.js";
import { unzipWanted, zipPaths } from "./zip.js";

const LETTERBOXD_ZIP_FILES = ["diary", "ratings", "watched", "reviews"];
export const KNOWN_FORMATS = "a Goodreads library export (CSV), a Letterboxd export (the ZIP, or its diary.csv, ratings.csv or watched.csv), a Trakt export (the ZIP, or one of its JSON files), TV Time's data export (the ZIP, or its seen_episode.csv or tracking-prod-records.csv), a StoryGraph CSV, a Yamtrack CSV, or my own /export (CSV or JSON)";
const TOO_MANY_ROWS = `That file has more than ${ROW_LIMIT_TEXT} rows, more than I can import at once. Split it into files of up to ${ROW_LIMIT_TEXT} rows and send them one at a time.`;
const TOO_MANY_COLUMNS = `That file has rows of more than ${MAX_COLUMNS} columns, so it isn't an export I know. I can import ${KNOWN_FORMATS}.`;
const TOO_MANY_ITEMS = `That file has more than ${ROW_LIMIT_TEXT} entries, more than I can import at once. Split it and send the parts one at a time.`;

export async function readImportFile(bytes: Uint8Array, fileName: string, options: ReadOptions): Promise<ImportRead> {
  if (bytes.length === 0) return { ok: false, error: "That file is empty." };
  if (bytes.length > MAX_IMPORT_BYTES) return { ok: false, error: `That file is over ${SIZE_LIMIT_TEXT}, more than I can import at once.` };
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return (await readMoverZip(bytes, options, csvError)) ?? readZip(bytes, options);
  if (startsLikeJson(bytes)) return readJson(bytes, fileName, options);
  const csv = await readCsvTable(bytes, fileName, { left: MAX_IMPORT_ROWS });
  if (!csv.ok) return { ok: false, error: csvError(csv) };
  return readTable(csv.table, fileName, options);
}

function readTable(table: CsvTable, fileName: string, options: ReadOptions): ImportRead {
  const h = table.headers;
  if (isOwnCsv(h)) return { ok: true, source: "media-tracker", ...readOwnCsv(table, options) };
  if (isYamtrack(h)) return { ok: true, source: "yamtrack", ...readYamtrack(table, options) };
  // Before Goodreads and Letterboxd: StoryGraph's columns include a "Title" and a "Review".
  if (isStoryGraph(h)) return { ok: true, source: "storygraph", ...readStoryGraph(table, options) };
  const tvTime = tvTimeFile(h, fileName);
  if (tvTime) return { ok: true, source: "tvtime", ...readTvTime([{ table, file: tvTime }], options) };
  if (isGoodreads(h)) return { ok: true, source: "goodreads", ...readGoodreads(table, options) };
  const file = letterboxdFile(h, fileName);
  if (file === "watchlist") {
    return { ok: false, error: "That's a Letterboxd watchlist: films you haven't seen yet. Send diary.csv, ratings.csv, watched.csv or the whole ZIP instead." };
  }
  if (file) return { ok: true, source: "letterboxd", ...readLetterboxd([{ table, file }], options) };
  // Quoted short: a header cell can be megabytes long.
  const shown = h.slice(0, 6).map((c) => `"${quoted(c, 30)}"`).join(", ");
  return { ok: false, error: `I don't recognize this file's columns (${shown}${h.length > 6 ? ", …" : ""}). I can import ${KNOWN_FORMATS}.` };
}

function csvError(read: Exclude<CsvRead, { ok: true }>): string {
  switch (read.reason) {
    case "not-utf8":
      return "That file isn't UTF-8 text, so I can't read it. Export it again as CSV.";
    case "too-many-rows":
      return TOO_MANY_ROWS;
    case "too-many-columns":
      return TOO_MANY_COLUMNS;
    case "not-csv":
      return `That doesn't look like a CSV export. I can import ${KNOWN_FORMATS}.`;
    case "malformed":
      return `That CSV file is malformed, so I imported nothing (${quoted(read.detail, 160)}).`;
  }
}

/** JSON starts with [ or { (after a byte order mark and white space); CSV never does. */
function startsLikeJson(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x5b || bytes[i] === 0x7b;
}

async function readJson(bytes: Uint8Array, fileName: string, options: ReadOptions): Promise<ImportRead> {
  let body: string;
  try {
    body = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return { ok: false, error: "That file isn't UTF-8 text, so I can't read it. Export it again as JSON." };
  }
  const value = await readJsonValue(body);
  if (!value.ok) {
    switch (value.reason) {
      case "malformed":
        return { ok: false, error: `That JSON file is malformed, so I imported nothing (${quoted(value.detail, 160)}).` };
      case "too-many-rows":
        return { ok: false, error: TOO_MANY_ITEMS };
      case "too-deep":
        return { ok: false, error: "That JSON file isn't one of my exports (an array of entries)." };
    }
  }
  if (looksLikeTrakt(value.data)) {
    if ((value.data as unknown[]).length > MAX_IMPORT_ROWS) return { ok: false, error: TOO_MANY_ITEMS };
    return { ok: true, source: "trakt", ...readTrakt([{ name: fileName, data: value.data }], options) };
  }
  const read = entriesOf(value.data);
  if (!read.ok) {
    return read.reason === "too-many-rows"
      ? { ok: false, error: TOO_MANY_ITEMS }
      : { ok: false, error: "That JSON file isn't one of my exports (an array of entries)." };
  }
  const records: Array<{ where: string; values: Record<string, unknown> }> = [];
  const skipped = [];
  for (const [i, item] of read.items.entries()) {
    if (typeof item === "object" && item !== null && !Array.isArray(item)) records.push({ where: `item ${i + 1}`, values: item as Record<string, unknown> });
    else skipped.push({ where: `item ${i + 1}`, reason: "not an entry" });
  }
  const own = readOwn(records, options);
  return { ok: true, source: "media-tracker", entries: own.entries, skipped: [...skipped, ...own.skipped] };
}

async function readZip(bytes: Uint8Array, options: ReadOptions): Promise<ImportRead> {
  const unzipped = await unzipWanted(bytes, (path) => zipFileKind(path) !== undefined, MAX_UNZIPPED_BYTES);
  if (!unzipped.ok) {
    return unzipped.reason === "too-big"
      ? { ok: false, error: `That ZIP unpacks to more than ${MAX_UNZIPPED_BYTES / (1024 * 1024)} MB, more than I can import at once.` }
      : { ok: false, error: "That ZIP file is damaged or not a ZIP, so I imported nothing." };
  }
  // The ZIP's other CSV files, named in the summary with why they are left out.
  const leftOut: Array<{ name: string; reason: string }> = [];
  for (const path of zipPaths(bytes) ?? []) {
    const reason = zipFileKind(path) === undefined ? letterboxdZipSkip(path) : undefined;
    if (reason) leftOut.push({ name: path, reason });
  }
  const tables: Array<{ table: CsvTable; file: LetterboxdFile }> = [];
  // The ZIP's files share one row budget: its files together are one import.
  const budget: RowBudget = { left: MAX_IMPORT_ROWS };
  for (const { path, data } of unzipped.files.sort((a, b) => a.path.localeCompare(b.path))) {
    const base = path.split("/").pop()!;
    const parsed = await readCsvTable(data, base, budget);
    if (!parsed.ok) {
      if (parsed.reason === "not-utf8") return { ok: false, error: `${base} in that ZIP isn't UTF-8 text, so I imported nothing.` };
      if (parsed.reason === "too-many-rows") {
        return { ok: false, error: `That ZIP's files have more than ${ROW_LIMIT_TEXT} rows together, more than I can import at once. Send diary.csv, ratings.csv or watched.csv from it on its own.` };
      }
      return { ok: false, error: `${base}: ${csvError(parsed)}` };
    }
    const file = letterboxdFile(parsed.table.headers, base);
    if (file && file !== "watchlist") tables.push({ table: parsed.table, file });
  }
  if (tables.length === 0) {
    return { ok: false, error: "That ZIP has no diary.csv, ratings.csv or watched.csv, so it isn't a Letterboxd export I can import." };
  }
  return { ok: true, source: "letterboxd", ...readLetterboxd(tables, options, leftOut) };
}

/** Letterboxd's own files at the top of the ZIP (or in one folder), not the deleted/ or orphaned/ copies. */
function zipFileKind(path: string): string | undefined {
  const m = /^(?:([^/]+)\/)?([^/]+)\.csv$/i.exec(path);
  if (!m || (m[1] && /^(deleted|orphaned|likes|lists)$/i.test(m[1]))) return undefined;
  const base = m[2]!.toLowerCase();
  return LETTERBOXD_ZIP_FILES.includes(base) ? base : undefined;
}

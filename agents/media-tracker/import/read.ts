// Reads a file sent for import: a ZIP (Letterboxd's export), JSON (our export) or CSV (Goodreads,
// Letterboxd, Yamtrack or ours), told apart by content and columns rather than by the file name.
// Pure: bytes in, entries and skipped rows out, or a reason the file can't be read.
import { parse } from "csv-parse/sync";
import { unzipSync } from "fflate";
import {
  type LetterboxdFile, isGoodreads, isYamtrack, letterboxdFile, letterboxdZipSkip, readGoodreads, readLetterboxd, readYamtrack,
} from "./services.js";
import { isOwnCsv, readOwn, readOwnCsv } from "./own.js";
import { readMoverZip } from "./movers.js";
import { isStoryGraph, readStoryGraph } from "./storygraph.js";
import { looksLikeTrakt, readTrakt } from "./trakt.js";
import { readTvTime, tvTimeFile } from "./tvtime.js";
import type { CsvTable, ImportRead, ReadOptions } from "./types.js";

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/** What a ZIP may unpack to: Letterboxd's files are small; this stops a ZIP bomb. */
const MAX_UNZIPPED_BYTES = 20 * 1024 * 1024;
const LETTERBOXD_ZIP_FILES = ["diary", "ratings", "watched", "reviews"];
export const KNOWN_FORMATS = "a Goodreads library export (CSV), a Letterboxd export (the ZIP, or its diary.csv, ratings.csv or watched.csv), a Trakt export (the ZIP, or one of its JSON files), TV Time's data export (the ZIP, or its seen_episode.csv or tracking-prod-records.csv), a StoryGraph CSV, a Yamtrack CSV, or my own /export (CSV or JSON)";

export function readImportFile(bytes: Uint8Array, fileName: string, options: ReadOptions): ImportRead {
  if (bytes.length === 0) return { ok: false, error: "That file is empty." };
  if (bytes.length > MAX_IMPORT_BYTES) return { ok: false, error: "That file is over 5 MB, more than I can import at once." };
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    return readMoverZip(bytes, options, { maxUnzippedBytes: MAX_UNZIPPED_BYTES, parseCsv }) ?? readZip(bytes, options);
  }
  let body: string;
  try {
    body = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return { ok: false, error: "That file isn't UTF-8 text, so I can't read it. Export it again as CSV." };
  }
  const start = body.trimStart()[0];
  if (start === "[" || start === "{") return readJson(body, fileName, options);
  const table = parseCsv(body, fileName);
  if (!table.ok) return table;
  return readTable(table.table, fileName, options);
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
  const shown = h.slice(0, 6).map((c) => `"${c}"`).join(", ");
  return { ok: false, error: `I don't recognize this file's columns (${shown}${h.length > 6 ? ", …" : ""}). I can import ${KNOWN_FORMATS}.` };
}

function parseCsv(body: string, name: string): { ok: true; table: CsvTable } | { ok: false; error: string } {
  let records: string[][];
  try {
    records = parse(body, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/\s+/g, " ").slice(0, 200) : String(error);
    return { ok: false, error: `That CSV file is malformed, so I imported nothing (${detail}).` };
  }
  const [header, ...rows] = records;
  if (!header || header.length < 2) return { ok: false, error: `That doesn't look like a CSV export. I can import ${KNOWN_FORMATS}.` };
  const headers = header.map((c) => c.trim());
  return {
    ok: true,
    table: {
      name,
      headers,
      rows: rows.map((cells, i) => ({
        row: i + 2,
        values: Object.fromEntries(headers.map((c, j) => [c, cells[j] ?? ""])),
      })),
    },
  };
}

function readJson(body: string, fileName: string, options: ReadOptions): ImportRead {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    return { ok: false, error: `That JSON file is malformed, so I imported nothing (${error instanceof Error ? error.message : String(error)}).` };
  }
  if (looksLikeTrakt(data)) return { ok: true, source: "trakt", ...readTrakt([{ name: fileName, data }], options) };
  const list = Array.isArray(data) ? data : typeof data === "object" && data !== null && Array.isArray((data as { entries?: unknown }).entries) ? (data as { entries: unknown[] }).entries : undefined;
  if (!list) return { ok: false, error: "That JSON file isn't one of my exports (an array of entries)." };
  const records: Array<{ where: string; values: Record<string, unknown> }> = [];
  const skipped = [];
  for (const [i, item] of list.entries()) {
    if (typeof item === "object" && item !== null && !Array.isArray(item)) records.push({ where: `item ${i + 1}`, values: item as Record<string, unknown> });
    else skipped.push({ where: `item ${i + 1}`, reason: "not an entry" });
  }
  const own = readOwn(records, options);
  return { ok: true, source: "media-tracker", entries: own.entries, skipped: [...skipped, ...own.skipped] };
}

function readZip(bytes: Uint8Array, options: ReadOptions): ImportRead {
  let files: Record<string, Uint8Array>;
  let total = 0;
  let tooBig = false;
  const leftOut: Array<{ name: string; reason: string }> = [];
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        const wanted = zipFileKind(f.name) !== undefined;
        const skip = wanted ? undefined : letterboxdZipSkip(f.name);
        if (skip) leftOut.push({ name: f.name, reason: skip });
        if (wanted) total += f.originalSize;
        if (total > MAX_UNZIPPED_BYTES) tooBig = true;
        return wanted && !tooBig;
      },
    });
  } catch {
    return { ok: false, error: "That ZIP file is damaged or not a ZIP, so I imported nothing." };
  }
  if (tooBig) return { ok: false, error: "That ZIP unpacks to more than I can import at once." };
  const tables: Array<{ table: CsvTable; file: LetterboxdFile }> = [];
  for (const [path, data] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const base = path.split("/").pop()!;
    let body: string;
    try {
      body = new TextDecoder("utf-8", { fatal: true }).decode(data);
    } catch {
      return { ok: false, error: `${base} in that ZIP isn't UTF-8 text, so I imported nothing.` };
    }
    const parsed = parseCsv(body, base);
    if (!parsed.ok) return { ok: false, error: `${base}: ${parsed.error}` };
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

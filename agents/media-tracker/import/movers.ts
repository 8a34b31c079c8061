// ZIPs of the services people move from: Trakt's export (JSON files) and TV Time's data export (CSV
// files), told apart by the names of the files inside. read.ts asks here first and reads the ZIP as
// Letterboxd's when neither is recognised. Bounded like every ZIP (zip.ts, bounds.ts): only the
// files read are unpacked, within what they may unpack to, and their rows (CSV rows, JSON items)
// and JSON values are counted together as one import's.
import { MAX_IMPORT_ROWS, MAX_UNZIPPED_BYTES, ROW_LIMIT_TEXT } from "./bounds.js";
import { type CsvRead, type RowBudget, readCsvTable } from "./csv-table.js";
import { newValueBudget, readJsonValue } from "./json-list.js";
import { isTraktZipFile, readTrakt } from "./trakt.js";
import { isTvTimeZipFile, readTvTime, tvTimeFile } from "./tvtime.js";
import type { ImportRead, ReadOptions } from "./types.js";
import { unzipWanted, zipPaths } from "./zip.js";

/** What read.ts says of a CSV file it can't read (the same words for every import). */
export type CsvError = (read: Exclude<CsvRead, { ok: true }>) => string;

/** Files a person's unzip tool adds that are no part of an export. */
const SYSTEM_FILE = /(^|\/)(__MACOSX\/|\.DS_Store$|\._)/;

/** A ZIP whose first file is encrypted (general purpose flag bit 0 of its local header). */
export function isEncryptedZip(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[2] === 0x03 && bytes[3] === 0x04 && (bytes[6]! & 1) === 1;
}

/** Reads a Trakt or TV Time ZIP; undefined when the ZIP is neither. */
export async function readMoverZip(bytes: Uint8Array, options: ReadOptions, csvError: CsvError): Promise<ImportRead | undefined> {
  if (isEncryptedZip(bytes)) {
    return {
      ok: false,
      error: "That ZIP is password-protected (TV Time sends its export that way), so I can't open it. Unzip it with the password from the email, then send me the CSV files, or a ZIP of them without a password.",
    };
  }
  const paths = zipPaths(bytes);
  if (!paths) return undefined; // read.ts says the ZIP is damaged
  const files = paths.filter((n) => !SYSTEM_FILE.test(n) && !n.endsWith("/"));
  const format = files.some(isTraktZipFile) ? "trakt" : files.some(isTvTimeZipFile) ? "tvtime" : undefined;
  if (!format) return undefined;
  const wanted = format === "trakt" ? isTraktZipFile : isTvTimeZipFile;
  const leftOut = files.filter((n) => !wanted(n)).map((n) => n.split("/").pop()!);

  const unzipped = await unzipWanted(bytes, (path) => !SYSTEM_FILE.test(path) && wanted(path), MAX_UNZIPPED_BYTES);
  if (!unzipped.ok) {
    return unzipped.reason === "too-big"
      ? { ok: false, error: `That ZIP unpacks to more than ${MAX_UNZIPPED_BYTES / (1024 * 1024)} MB, more than I can import at once.` }
      : { ok: false, error: "That ZIP file is damaged, so I imported nothing." };
  }
  const unpacked = unzipped.files
    .sort((a, b) => a.path.localeCompare(b.path))
    .map(({ path, data }) => ({ name: path.split("/").pop()!, data }));
  // The ZIP's files share one row budget: its files together are one import.
  const budget: RowBudget = { left: MAX_IMPORT_ROWS };
  const tooManyRows = (oneFile: string): ImportRead => ({
    ok: false,
    error: `That ZIP's files have more than ${ROW_LIMIT_TEXT} rows together, more than I can import at once. Send ${oneFile} from it on its own.`,
  });

  if (format === "trakt") {
    const values = newValueBudget();
    const read: Array<{ name: string; data: unknown }> = [];
    for (const { name, data } of unpacked) {
      let body: string;
      try {
        body = new TextDecoder("utf-8", { fatal: true }).decode(data).replace(/^\uFEFF/, "");
      } catch {
        return { ok: false, error: `${name} in that ZIP isn't UTF-8 text, so I imported nothing.` };
      }
      const value = await readJsonValue(body, values);
      if (!value.ok) {
        if (value.reason === "malformed") return { ok: false, error: `${name} in that ZIP is malformed JSON, so I imported nothing.` };
        if (value.reason === "too-deep") return { ok: false, error: `${name} in that ZIP isn't a Trakt export file (it nests too deep), so I imported nothing.` };
        return tooManyRows("one of its JSON files");
      }
      if (Array.isArray(value.data) && (budget.left -= value.data.length) < 0) return tooManyRows("one of its JSON files");
      read.push({ name, data: value.data });
    }
    return { ok: true, source: "trakt", ...readTrakt(read, options, leftOut) };
  }

  const tables = [];
  for (const { name, data } of unpacked) {
    if (isBlank(data)) continue; // TV Time writes empty files for what a person never used
    const parsed = await readCsvTable(data, name, budget);
    if (!parsed.ok) {
      if (parsed.reason === "not-utf8") return { ok: false, error: `${name} in that ZIP isn't UTF-8 text, so I imported nothing.` };
      if (parsed.reason === "too-many-rows") return tooManyRows("seen_episode.csv or tracking-prod-records.csv");
      return { ok: false, error: `${name}: ${csvError(parsed)}` };
    }
    const file = tvTimeFile(parsed.table.headers, name);
    if (file) tables.push({ table: parsed.table, file });
    else leftOut.push(name);
  }
  if (tables.length === 0) {
    return { ok: false, error: "That TV Time ZIP has no shows or movies I can read (seen_episode.csv, followed_tv_show.csv or tracking-prod-records.csv)." };
  }
  return { ok: true, source: "tvtime", ...readTvTime(tables, options, leftOut) };
}

/** Nothing but white space (and a byte order mark). */
function isBlank(data: Uint8Array): boolean {
  let i = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x09 || data[i] === 0x0a || data[i] === 0x0d)) i++;
  return i === data.length;
}

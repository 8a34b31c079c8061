// ZIPs of the services people move from: Trakt's export (JSON files) and TV Time's data export (CSV
// files), told apart by the names of the files inside. read.ts asks here first and reads the ZIP as
// Letterboxd's when neither is recognised. Bounded like every ZIP: what is unpacked is counted
// before it is, and only the files read are unpacked.
import { type UnzipFileInfo, unzipSync } from "fflate";
import { isTraktZipFile, readTrakt } from "./trakt.js";
import { isTvTimeZipFile, readTvTime, tvTimeFile } from "./tvtime.js";
import type { CsvTable, ImportRead, ReadOptions } from "./types.js";

export interface ZipLimits {
  /** What the files read may unpack to, in all. */
  maxUnzippedBytes: number;
  /** The CSV reader read.ts uses for every import. */
  parseCsv(body: string, name: string): { ok: true; table: CsvTable } | { ok: false; error: string };
}

/** Files a person's unzip tool adds that are no part of an export. */
const SYSTEM_FILE = /(^|\/)(__MACOSX\/|\.DS_Store$|\._)/;

/** A ZIP whose first file is encrypted (general purpose flag bit 0 of its local header). */
export function isEncryptedZip(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[2] === 0x03 && bytes[3] === 0x04 && (bytes[6]! & 1) === 1;
}

/** Reads a Trakt or TV Time ZIP; undefined when the ZIP is neither. */
export function readMoverZip(bytes: Uint8Array, options: ReadOptions, limits: ZipLimits): ImportRead | undefined {
  if (isEncryptedZip(bytes)) {
    return {
      ok: false,
      error: "That ZIP is password-protected (TV Time sends its export that way), so I can't open it. Unzip it with the password from the email, then send me the CSV files, or a ZIP of them without a password.",
    };
  }
  const names: string[] = [];
  try {
    unzipSync(bytes, {
      filter: (f) => {
        names.push(f.name);
        return false;
      },
    });
  } catch {
    return undefined; // read.ts says the ZIP is damaged
  }
  const files = names.filter((n) => !SYSTEM_FILE.test(n) && !n.endsWith("/"));
  const format = files.some(isTraktZipFile) ? "trakt" : files.some(isTvTimeZipFile) ? "tvtime" : undefined;
  if (!format) return undefined;
  const wanted = format === "trakt" ? isTraktZipFile : isTvTimeZipFile;
  const leftOut = files.filter((n) => !wanted(n)).map((n) => n.split("/").pop()!);

  let total = 0;
  let tooBig = false;
  let unpacked: Record<string, Uint8Array>;
  try {
    unpacked = unzipSync(bytes, {
      filter: (f: UnzipFileInfo) => {
        if (SYSTEM_FILE.test(f.name) || !wanted(f.name)) return false;
        total += f.originalSize;
        if (total > limits.maxUnzippedBytes) tooBig = true;
        return !tooBig;
      },
    });
  } catch {
    return { ok: false, error: "That ZIP file is damaged, so I imported nothing." };
  }
  if (tooBig) return { ok: false, error: "That ZIP unpacks to more than I can import at once." };

  const texts: Array<{ name: string; body: string }> = [];
  for (const [path, data] of Object.entries(unpacked).sort(([a], [b]) => a.localeCompare(b))) {
    const name = path.split("/").pop()!;
    try {
      texts.push({ name, body: new TextDecoder("utf-8", { fatal: true }).decode(data).replace(/^\uFEFF/, "") });
    } catch {
      return { ok: false, error: `${name} in that ZIP isn't UTF-8 text, so I imported nothing.` };
    }
  }

  if (format === "trakt") {
    const files: Array<{ name: string; data: unknown }> = [];
    for (const { name, body } of texts) {
      try {
        files.push({ name, data: JSON.parse(body) });
      } catch {
        return { ok: false, error: `${name} in that ZIP is malformed JSON, so I imported nothing.` };
      }
    }
    return { ok: true, source: "trakt", ...readTrakt(files, options, leftOut) };
  }

  const tables = [];
  for (const { name, body } of texts) {
    if (body.trim() === "") continue; // TV Time writes empty files for what a person never used
    const parsed = limits.parseCsv(body, name);
    if (!parsed.ok) return { ok: false, error: `${name}: ${parsed.error}` };
    const file = tvTimeFile(parsed.table.headers, name);
    if (file) tables.push({ table: parsed.table, file });
    else leftOut.push(name);
  }
  if (tables.length === 0) {
    return { ok: false, error: "That TV Time ZIP has no shows or movies I can read (seen_episode.csv, followed_tv_show.csv or tracking-prod-records.csv)." };
  }
  return { ok: true, source: "tvtime", ...readTvTime(tables, options, leftOut) };
}

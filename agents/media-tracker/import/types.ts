// What reading an import file produces: entries ready to add (each with the import key that makes a
// second import of the same file add nothing), the rows left out with the reason, and the source.
import type { NewEntry } from "../media-store.js";

export type ImportSource = "media-tracker" | "goodreads" | "letterboxd" | "yamtrack" | "trakt" | "tvtime" | "storygraph";

export const SOURCE_NAMES: Record<ImportSource, string> = {
  "media-tracker": "Media Tracker export",
  goodreads: "Goodreads library export",
  letterboxd: "Letterboxd export",
  yamtrack: "Yamtrack export",
  trakt: "Trakt export",
  tvtime: "TV Time data export",
  storygraph: "StoryGraph export",
};

export interface ImportedEntry extends NewEntry {
  importKey: string;
}

export interface SkippedRow {
  /** "row 7", "diary.csv row 3", "item 4". */
  where: string;
  reason: string;
}

/** The rows an import left out: how many, and the first few as a reply lists them (values quoted short). */
export interface SkippedRows {
  total: number;
  first: SkippedRow[];
}

export type ImportRead =
  | {
    ok: true;
    source: ImportSource;
    entries: ImportedEntry[];
    skipped: SkippedRow[];
    /** What reading changed or counted (ratings rounded, rewatches, files left out of a ZIP), in sentences. */
    notes?: string[];
  }
  | { ok: false; error: string };

/** A file's rows as objects by column name, with the spreadsheet row number (header = row 1). */
export interface CsvTable {
  name: string;
  headers: string[];
  rows: Array<{ row: number; values: Record<string, string> }>;
}

export interface ReadOptions {
  /** Fallback time for entries the file has no date for. */
  nowMs: number;
  /** A new entry id (random). */
  newId(): string;
}

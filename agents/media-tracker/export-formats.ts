// The contract's export formats, as pure functions of a chat's entries: JSON (an array of objects
// with kind, title and the kind's fields, plus id and addedAt) and CSV with the same columns.
import { stringify } from "csv-stringify/sync";
import type { Entry, EntryKind } from "./media-store.js";

export type ExportFormat = "json" | "csv";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["json", "csv"];

/** Columns per kind, after kind and title; id and addedAt close every row. */
const FIELDS_BY_KIND: Record<EntryKind, readonly string[]> = {
  book: ["author", "rating"],
  movie: ["year", "rating"],
  show: ["season", "episode", "rating"],
  quote: ["text", "author"],
};

export const CSV_COLUMNS = ["kind", "title", "author", "year", "season", "episode", "rating", "text", "id", "addedAt"] as const;

export type ExportRecord = Record<string, string | number | null>;

export interface ExportOptions {
  /** Add each entry's chatId (exports of every chat). */
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
  };
  const record: ExportRecord = { kind: entry.kind, title: entry.title };
  for (const field of FIELDS_BY_KIND[entry.kind]) record[field] = all[field] ?? null;
  record.id = entry.id;
  record.addedAt = new Date(entry.addedAtMs).toISOString();
  if (options.withChat) record.chatId = entry.chatId;
  return record;
}

export function exportEntries(entries: Entry[], format: ExportFormat, options: ExportOptions = {}): string {
  const records = entries.map((e) => toExportRecord(e, options));
  if (format === "json") return `${JSON.stringify(records, null, 2)}\n`;
  const columns = options.withChat ? ["chatId", ...CSV_COLUMNS] : [...CSV_COLUMNS];
  return stringify(records, { header: true, columns, cast: { number: String } });
}

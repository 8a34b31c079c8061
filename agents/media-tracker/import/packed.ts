// What the "read-import" step journals, kept small: the journal holds a step's result for 30 days,
// and a full file's entries as JSON objects are megabytes. So the entries are deflated JSON
// without their random ids (fresh ones are given when they are staged, in the same write), and of
// the skipped rows only their number and the few a reply lists, their values quoted short.
import { promisify } from "node:util";
import { deflateRaw, inflateRaw } from "node:zlib";
import { quoted, yieldToEventLoop } from "./bounds.js";
import type { ImportRead, ImportSource, ImportedEntry, SkippedRow, SkippedRows } from "./types.js";

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** How many skipped rows a reply lists before "and N more". */
export const LISTED_SKIPS = 10;

export type PackedRead =
  | { ok: false; error: string }
  | {
      ok: true;
      source: ImportSource;
      /** How many entries `entries` holds. */
      count: number;
      /** Base64 of the deflated entries, one JSON object per line, without ids. */
      entries: string;
      skipped: SkippedRows;
      /** What reading changed or counted, as the summary says it. */
      notes?: string[];
    }
  /** As older releases journaled it (a message they read may be replayed by this one). */
  | { ok: true; source: ImportSource; entries: ImportedEntry[]; skipped: SkippedRow[]; notes?: string[] };

/** How many entries a packed read holds. */
export function entryCount(read: Extract<PackedRead, { ok: true }>): number {
  return "count" in read ? read.count : read.entries.length;
}

/** Entries turned to or from JSON between two turns of the event loop. */
const SLICE_ENTRIES = 1000;

/** The read file in its journaled form. Compressing runs on node's thread pool. */
export async function packRead(read: ImportRead): Promise<PackedRead> {
  if (!read.ok) return read;
  // One entry's JSON per line (JSON never holds a raw line break), a slice at a time.
  const lines: string[] = [];
  for (let at = 0; at < read.entries.length; at += SLICE_ENTRIES) {
    if (at > 0) await yieldToEventLoop();
    for (const { id: _, ...entry } of read.entries.slice(at, at + SLICE_ENTRIES)) lines.push(JSON.stringify(entry));
  }
  const packed = await deflate(Buffer.from(lines.join("\n")));
  return {
    ok: true, source: read.source, count: read.entries.length, entries: packed.toString("base64"), skipped: listed(read.skipped), notes: read.notes,
  };
}

/** The entries of a packed read, each with a fresh id from `newId`. */
export async function unpackEntries(read: Extract<PackedRead, { ok: true }>, newId: () => string): Promise<ImportedEntry[]> {
  if (!("count" in read)) return read.entries;
  if (read.count === 0) return [];
  const lines = (await inflate(Buffer.from(read.entries, "base64"))).toString("utf8").split("\n");
  const entries: ImportedEntry[] = [];
  for (let at = 0; at < lines.length; at += SLICE_ENTRIES) {
    if (at > 0) await yieldToEventLoop();
    for (const line of lines.slice(at, at + SLICE_ENTRIES)) entries.push({ id: newId(), ...(JSON.parse(line) as Omit<ImportedEntry, "id">) });
  }
  return entries;
}

/** The skipped rows as a reply lists them; a whole list (a reader's, or one an older release journaled or staged) is cut to that. */
export function listed(skipped: SkippedRows | SkippedRow[]): SkippedRows {
  if (!Array.isArray(skipped)) return skipped;
  const first = skipped.slice(0, LISTED_SKIPS).map((s) => ({ where: quoted(s.where, 60), reason: quoted(s.reason, 100) }));
  return { total: skipped.length, first };
}

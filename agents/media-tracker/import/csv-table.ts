// Reads CSV bytes into a table of rows by column name, a slice at a time: after each slice the
// event loop gets a turn (other chats' messages go on), and reading stops at the first row past
// the row budget or a row with too many columns, so a huge file costs no more than a small one.
import { parse } from "csv-parse";
import { MAX_COLUMNS, yieldToEventLoop } from "./bounds.js";
import type { CsvTable } from "./types.js";

/** Bytes decoded and parsed between two turns of the event loop. */
const SLICE_BYTES = 16 * 1024;

/** Rows left to read across the files of one import (a ZIP's files share it). */
export interface RowBudget {
  left: number;
}

export type CsvRead =
  | { ok: true; table: CsvTable }
  | { ok: false; reason: "not-utf8" | "too-many-rows" | "too-many-columns" | "not-csv" }
  | { ok: false; reason: "malformed"; detail: string };

/**
 * The file's header and data rows. Blank lines are skipped and rows may have fewer or more cells
 * than the header (extra cells are dropped). Takes its rows from `budget`.
 */
export async function readCsvTable(bytes: Uint8Array, name: string, budget: RowBudget): Promise<CsvRead> {
  const records: string[][] = [];
  // Set by the parser's events, between our turns.
  const parsed: { failure?: Error } = {};
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true });
  parser.on("data", (record: string[]) => records.push(record));
  parser.on("error", (error: Error) => (parsed.failure = error));
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const separators = new SeparatorCount();
  let headers: string[] | undefined;
  const rows: CsvTable["rows"] = [];
  try {
    for (let at = 0; ; at += SLICE_BYTES) {
      const last = at + SLICE_BYTES >= bytes.length;
      let text: string;
      try {
        text = decoder.decode(bytes.subarray(at, at + SLICE_BYTES), { stream: !last });
      } catch {
        return { ok: false, reason: "not-utf8" };
      }
      // Before the parser builds a record of a million empty cells from a line of commas.
      if (separators.tooMany(text)) return { ok: false, reason: "too-many-columns" };
      parser.write(text);
      if (last) parser.end();
      // The parser hands its records and errors (the end's too) over on the next ticks: all are in by the next turn.
      await yieldToEventLoop();
      if (parsed.failure) return { ok: false, reason: "malformed", detail: parsed.failure.message };
      for (const cells of records.splice(0)) {
        if (cells.length > MAX_COLUMNS) return { ok: false, reason: "too-many-columns" };
        if (!headers) {
          headers = cells.map((c) => c.trim());
          continue;
        }
        if (--budget.left < 0) return { ok: false, reason: "too-many-rows" };
        const columns = headers;
        rows.push({ row: rows.length + 2, values: Object.fromEntries(columns.map((column, j) => [column, cells[j] ?? ""])) });
      }
      if (last) break;
    }
  } finally {
    parser.destroy();
  }
  if (!headers || headers.length < 2) return { ok: false, reason: "not-csv" };
  return { ok: true, table: { name, headers, rows } };
}

/**
 * Counts the field separators of the record being read, outside quotes (a doubled quote inside a
 * quoted field flips twice, so it counts right), across slices.
 */
class SeparatorCount {
  private inQuotes = false;
  private count = 0;

  /** Reads `text`; true once a record has more than MAX_COLUMNS fields. */
  tooMany(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) this.inQuotes = !this.inQuotes;
      else if (this.inQuotes) continue;
      else if (c === 0x2c && ++this.count >= MAX_COLUMNS) return true;
      else if (c === 0x0a || c === 0x0d) this.count = 0;
    }
    return false;
  }
}

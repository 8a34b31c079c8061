// How the admin CLI prints: a plain table for people, one JSON value for scripts, and errors as one
// line. Every cell goes through printable(): stored text comes from chat members, and an escape
// sequence in it must not reach the operator's terminal as one.
import { printable } from "../../admin/summaries.js";

export interface AdminIo {
  out(text: string): void;
  err(text: string): void;
}

/** A failure to report as one line ("error: …") with a non-zero exit. */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdminError";
  }
}

export interface Column<T> {
  title: string;
  value(row: T): string | number | null;
  /** Numbers read best right-aligned. */
  align?: "right";
}

/** Rows as a table with a header line; `empty` when there are none. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => width(r[i]!))));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.align === "right" ? v.padStart(widths[i]!) : i === values.length - 1 ? v : pad(v, widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(columns.map((c) => c.title)), ...cells.map(line)].join("\n")}\n`;
}

/** One JSON value; characters that could steer a terminal are escaped (still valid JSON). */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}

/** "2026-12-03T19:40:01.123Z" → "2026-12-03 19:40:01Z" (UTC, to the second). */
export function when(isoTime: string | null): string {
  return isoTime === null ? "-" : `${isoTime.slice(0, 10)} ${isoTime.slice(11, 19)}Z`;
}

export function cell(value: string | number | null): string {
  return value === null ? "-" : printable(String(value));
}

function width(text: string): number {
  return Array.from(text).length;
}

function pad(text: string, to: number): string {
  return text + " ".repeat(Math.max(0, to - width(text)));
}

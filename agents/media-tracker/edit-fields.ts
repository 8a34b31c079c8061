// Parsers for the values an edit asks for that fields.ts has no parser for (pages, notes, dates),
// and the words that clear an optional field.
import { MAX_YEAR, MIN_YEAR, type Parsed, stripBidiControls } from "./fields.js";

export const MAX_NOTES_LENGTH = 1000;
export const MAX_PAGE = 100_000;

/** Typed instead of a value, these clear an optional field. */
export const CLEAR_WORDS = ["clear", "none", "remove", "-"];

export function isClearWord(input: string): boolean {
  return CLEAR_WORDS.includes(input.trim().toLowerCase());
}

/** Notes: free text that keeps its line breaks, at most MAX_NOTES_LENGTH characters. */
export function parseNotes(input: string): Parsed<string> {
  const value = stripBidiControls(input)
    .replace(/\r\n?/g, "\n")
    .replace(/[^\S\n]+/g, " ")
    // Control characters (NUL, bell, …) go, as in titles and quotes; line breaks stay.
    .replace(/\p{Cc}/gu, (c) => (c === "\n" ? c : ""))
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  // Only invisible characters (zero-width spaces, direction marks) count as empty too.
  if (value.replace(/[\p{Cf}\p{Z}\s]/gu, "").length === 0) return { ok: false, error: "The notes can't be empty." };
  const length = Array.from(value).length;
  if (length > MAX_NOTES_LENGTH) {
    return { ok: false, error: `Those notes are too long: ${length.toLocaleString("en-US")} characters, and the most I keep is ${MAX_NOTES_LENGTH.toLocaleString("en-US")}. Please shorten them.` };
  }
  if (/^\/[a-z0-9_]+$/i.test(value)) return { ok: false, error: "That looks like a command, not notes." };
  return { ok: true, value };
}

/** A whole number from `min` to `max`, named in the error ("The page must be …"). */
export function parseWholeNumber(input: string, what: string, min: number, max: number): Parsed<number> {
  const value = input.trim();
  // Any number outside the range (-1, 2.5, 200000) gets the same reason; only words get the example.
  const outOfRange = `The ${what} must be a whole number from ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}.`;
  if (/^[-+]?\d+(?:[.,]\d+)?$/.test(value) && !/^\d{1,7}$/.test(value)) return { ok: false, error: outOfRange };
  if (!/^\d{1,7}$/.test(value)) {
    return { ok: false, error: `Please send the ${what} as a whole number, like ${min + 120} (${min.toLocaleString("en-US")}–${max.toLocaleString("en-US")}).` };
  }
  const n = Number(value);
  if (n < min || n > max) return { ok: false, error: outOfRange };
  return { ok: true, value: n };
}

/** A book's current page: 0 (not started) to MAX_PAGE. */
export const parsePage = (input: string): Parsed<number> => parseWholeNumber(input.trim().replace(/^(page|p\.?)\s*/i, ""), "page", 0, MAX_PAGE);

/** A day: "2024-05-17" (also with / or . between, and one-digit months and days), a real calendar date. */
export function parseDate(input: string): Parsed<string> {
  const match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(input.trim());
  if (!match) return { ok: false, error: "Please send the date as year-month-day, like 2024-05-17." };
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = `${match[1]}-${match[2]!.padStart(2, "0")}-${match[3]!.padStart(2, "0")}`;
  if (year < MIN_YEAR || year > MAX_YEAR) return { ok: false, error: `The year must be from ${MIN_YEAR} to ${MAX_YEAR}.` };
  // Date.UTC rolls 2024-02-30 over to March; a real day reads back the same.
  const back = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return { ok: false, error: `There's no such day as ${date}. Please send a real date, like 2024-05-17.` };
  }
  return { ok: true, value: date };
}

/** For optional fields: a clear word gives null (remove the value), anything else goes to `parse`. */
export function orClear<T>(parse: (input: string) => Parsed<T>): (input: string) => Parsed<T | null> {
  return (input) => (isClearWord(input) ? { ok: true, value: null } : parse(input));
}

// Parsers for the values an edit asks for that fields.ts has no parser for (pages, notes), and
// the words that clear an optional field.
import type { Parsed } from "./fields.js";

export const MAX_NOTES_LENGTH = 1000;
export const MAX_PAGE = 100_000;

/** Typed instead of a value, these clear an optional field. */
export const CLEAR_WORDS = ["clear", "none", "remove", "-"];

export function isClearWord(input: string): boolean {
  return CLEAR_WORDS.includes(input.trim().toLowerCase());
}

/** Notes: free text that keeps its line breaks, at most MAX_NOTES_LENGTH characters. */
export function parseNotes(input: string): Parsed<string> {
  const value = input
    .replace(/\r\n?/g, "\n")
    .replace(/[^\S\n]+/g, " ")
    // Control characters (NUL, bell, …) go, as in titles and quotes; line breaks stay.
    .replace(/\p{Cc}/gu, (c) => (c === "\n" ? c : ""))
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  // Only invisible characters (zero-width spaces, direction marks) count as empty too.
  if (value.replace(/[\p{Cf}\p{Z}\s]/gu, "").length === 0) return { ok: false, error: "The notes can't be empty." };
  const length = Array.from(value).length;
  if (length > MAX_NOTES_LENGTH) return { ok: false, error: `Those notes are too long (${length} characters, at most ${MAX_NOTES_LENGTH}). Please shorten them.` };
  if (/^\/[a-z0-9_]+$/i.test(value)) return { ok: false, error: "That looks like a command, not notes." };
  return { ok: true, value };
}

/** A whole number from `min` to `max`, named in the error ("The page must be …"). */
export function parseWholeNumber(input: string, what: string, min: number, max: number): Parsed<number> {
  const value = input.trim();
  if (!/^\d{1,7}$/.test(value)) return { ok: false, error: `Please send the ${what} as a whole number, like ${min + 120} (${min}–${max}).` };
  const n = Number(value);
  if (n < min || n > max) return { ok: false, error: `The ${what} must be a whole number from ${min} to ${max}.` };
  return { ok: true, value: n };
}

/** A book's current page: 0 (not started) to MAX_PAGE. */
export const parsePage = (input: string): Parsed<number> => parseWholeNumber(input.trim().replace(/^(page|p\.?)\s*/i, ""), "page", 0, MAX_PAGE);

/** For optional fields: a clear word gives null (remove the value), anything else goes to `parse`. */
export function orClear<T>(parse: (input: string) => Parsed<T>): (input: string) => Parsed<T | null> {
  return (input) => (isClearWord(input) ? { ok: true, value: null } : parse(input));
}

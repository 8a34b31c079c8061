// Parsers for the values a dialog asks for. Each returns the value or a reason a person can act on.
// At the end: each kind's statuses and fields, the one definition lists, edits, the LLM's tools,
// imports and exports derive from.
import { BOOK_STATUSES, type EntryFields, type EntryKind, SHOW_STATUSES } from "./media-store.js";

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const MAX_TITLE_LENGTH = 300;
export const MAX_AUTHOR_LENGTH = 200;
export const MAX_QUOTE_LENGTH = 2000;

/** Characters, as a person counts them: an emoji is one, not two UTF-16 units. */
function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/**
 * Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): a
 * right-to-left override makes "evil\u202Etxt.exe" show as "evilexe.txt", and an unclosed one garbles
 * every line shown after it (lists, cards). They go, as control characters do. The plain direction
 * marks (U+200E, U+200F, U+061C) stay: right-to-left text needs them and they cannot reorder text.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/gu;

/** Drops bidirectional controls (see BIDI_CONTROLS); every parser of typed text calls it. */
export function stripBidiControls(input: string): string {
  return input.replace(BIDI_CONTROLS, "");
}

/**
 * One line of text (a title, an author): control characters and bidirectional controls out,
 * whitespace runs to one space. Invisible format characters (right-to-left marks, zero-width
 * joiners in emoji) are kept, but a text made only of them counts as empty.
 */
function oneLine(input: string): string {
  return stripBidiControls(input).replace(/[\p{Cc}\s]+/gu, " ").trim();
}

function isBlank(text: string): boolean {
  return text.replace(/[\p{Cf}\p{Z}\s]/gu, "").length === 0;
}

function tooLong(what: string, length: number, max: number): string {
  return `That ${what} is too long: ${length.toLocaleString("en-US")} characters, and the most I keep is ${max.toLocaleString("en-US")}. Please shorten it.`;
}

export function parseTitle(input: string): Parsed<string> {
  const title = oneLine(input);
  if (isBlank(title)) return { ok: false, error: "The title can't be empty." };
  const length = charCount(title);
  if (length > MAX_TITLE_LENGTH) return { ok: false, error: tooLong("title", length, MAX_TITLE_LENGTH) };
  if (title.startsWith("/")) return { ok: false, error: "That looks like a command, not a title." };
  return { ok: true, value: title };
}

export function parseAuthor(input: string): Parsed<string> {
  const author = oneLine(input);
  if (isBlank(author)) return { ok: false, error: "The author can't be empty." };
  const length = charCount(author);
  if (length > MAX_AUTHOR_LENGTH) return { ok: false, error: tooLong("author's name", length, MAX_AUTHOR_LENGTH) };
  if (author.startsWith("/")) return { ok: false, error: "That looks like a command, not an author." };
  return { ok: true, value: author };
}

/** A quote keeps its line breaks (poems, dialogue); spaces at line ends and blank-line runs go. */
export function parseQuoteText(input: string): Parsed<string> {
  const text = stripBidiControls(input)
    .replace(/\r\n?/g, "\n")
    .replace(/[^\S\n]+/g, " ")
    .replace(/[\p{Cc}]/gu, (c) => (c === "\n" ? c : ""))
    .split("\n").map((line) => line.trim()).join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  if (isBlank(text)) return { ok: false, error: "The quote text can't be empty." };
  const length = charCount(text);
  if (length > MAX_QUOTE_LENGTH) return { ok: false, error: tooLong("quote", length, MAX_QUOTE_LENGTH) };
  if (/^\/[a-z0-9_]+$/i.test(text)) return { ok: false, error: "That looks like a command, not a quote." };
  return { ok: true, value: text };
}

export const MAX_SEASON = 100;
export const MAX_EPISODE = 10_000;

/** Digits with an optional sign or decimals: a number, even if not the kind a field wants ("-1", "2.5"). */
const NUMBER_LIKE = /^[-+]?\d+(?:[.,]\d+)?$/;

function parseCount(what: string, example: number, max: number): (input: string) => Parsed<number> {
  return (input) => {
    // "2", "Season 2", "S02", "ep. 5", "#5"
    const text = input.trim().replace(/^(season|episode|ep\.?|s|e|#)\s*/i, "");
    const range = `1–${max.toLocaleString("en-US")}`;
    // Any number outside the range (0, -1, 2.5, 101) gets the same reason; only words get the example.
    const outOfRange = `The ${what} must be a whole number from 1 to ${max.toLocaleString("en-US")}.`;
    if (NUMBER_LIKE.test(text) && !/^\d{1,6}$/.test(text)) return { ok: false, error: outOfRange };
    if (!/^\d{1,6}$/.test(text)) return { ok: false, error: `Please send the ${what} as a whole number, like ${example} (${range}).` };
    const value = Number(text);
    if (value < 1 || value > max) return { ok: false, error: outOfRange };
    return { ok: true, value };
  };
}

/** A season number, 1–100. */
export const parseSeason = parseCount("season", 2, MAX_SEASON);
/** An episode number within its season, 1–10,000 (long-running daily shows go past 1,000). */
export const parseEpisode = parseCount("episode", 5, MAX_EPISODE);

export const MIN_YEAR = 1870;
export const MAX_YEAR = 2100;

export function parseYear(input: string): Parsed<number> {
  const text = input.trim();
  const outOfRange = `The year must be a whole number from ${MIN_YEAR} to ${MAX_YEAR}.`;
  if (NUMBER_LIKE.test(text) && !/^\d{1,4}$/.test(text)) return { ok: false, error: outOfRange };
  if (!/^\d{1,4}$/.test(text)) return { ok: false, error: `Please send the year as a number, like 1999 (${MIN_YEAR}–${MAX_YEAR}).` };
  const year = Number(text);
  if (year < MIN_YEAR || year > MAX_YEAR) return { ok: false, error: outOfRange };
  return { ok: true, value: year };
}

const RATING_REFUSAL = "The rating must be a number of stars from 1 to 5 (half stars like 3.5 are fine).";

/**
 * A rating of 1–5 stars; half stars (3.5, 3,5, 3½) are accepted when typed. Only plain decimals
 * count: Number() would also read "0x4", "0b101" and "4e0" as numbers, which nobody means.
 */
export function parseRating(input: string): Parsed<number> {
  const text = input.trim().replace(",", ".").replace(/\s*(stars?|★+|\/\s*5)$/i, "").replace(/^(\d)\s*½$/, "$1.5");
  const match = /^(\d{1,6})(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) return { ok: false, error: RATING_REFUSAL };
  // Read from the digits, so that "4.5000001" is not taken for 4.5 by floating point.
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  const value = Number(match[1]) + (fraction ? Number(`0.${fraction}`) : 0);
  if (value < 1 || value > 5) return { ok: false, error: RATING_REFUSAL };
  if (fraction !== "" && fraction !== "5") {
    const lower = Math.floor(value * 2) / 2;
    return { ok: false, error: `Ratings go in whole or half stars. Did you mean ${lower} or ${lower + 0.5}?` };
  }
  return { ok: true, value };
}

/** ★★★½☆ 3.5/5 */
export function formatRating(rating: number): string {
  const full = Math.floor(rating);
  const half = rating - full >= 0.5;
  const stars = "★".repeat(full) + (half ? "½" : "") + "☆".repeat(5 - full - (half ? 1 : 0));
  return `${stars} ${rating}/5`;
}

// === What each kind of entry holds
// The language model's tools (llm/tools.ts), lists, cards, imports and exports read these, so a status
// or a field added here is offered and accepted everywhere at once.

/** A movie is one you want to see or one you have seen. */
export const MOVIE_STATUSES = ["want", "watched"] as const;
export type MovieStatus = (typeof MOVIE_STATUSES)[number];

/** The statuses each kind can have; an empty list: the kind has no status. */
export const KIND_STATUSES: Readonly<Record<EntryKind, readonly string[]>> = {
  book: BOOK_STATUSES,
  movie: MOVIE_STATUSES,
  show: SHOW_STATUSES,
  quote: [],
};

/**
 * A movie's status as it counts: a movie with no status is watched (movies had none before, and a
 * movie added through /add_movie or with a watch date is one just seen). The list filter in
 * src/store/media.ts says the same in SQL.
 */
export function movieStatus(movie: Pick<EntryFields, "status">): MovieStatus {
  return movie.status === "want" ? "want" : "watched";
}

/** The fields a person (or the model for them) sets on an entry, besides its title and status. */
export type KindField = "author" | "year" | "rating" | "season" | "episode" | "currentPage" | "finishedOn" | "watchedOn" | "quoteText" | "notes";

/** The fields each kind has besides its title and status. */
export const KIND_FIELDS: Readonly<Record<EntryKind, readonly KindField[]>> = {
  book: ["author", "rating", "currentPage", "finishedOn", "notes"],
  movie: ["year", "rating", "watchedOn", "notes"],
  show: ["season", "episode", "rating", "notes"],
  quote: ["quoteText", "author", "notes"],
};

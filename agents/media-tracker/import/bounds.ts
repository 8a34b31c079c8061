// How big an import may be, and how much of a file a reply may quote. The limits keep one file
// from running the bot out of memory or time (every chat shares the process; long work is done in
// slices with a turn of the event loop between them); the quoting keeps a hostile file from
// turning its answer into thousands of messages.

/** A file sent for import: Telegram says the size first, and the download stops past it. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/**
 * What a ZIP's CSV files may unpack to, all together (declared in the ZIP, and in fact). A heavy
 * Letterboxd user's export is a few MB; a file at every limit must still fit the 160 MB heap with
 * its text held as entries, staged as JSON.
 */
export const MAX_UNZIPPED_BYTES = 10 * 1024 * 1024;
/** Data rows in one file (a ZIP's files together): reading stops at the first row past it. */
export const MAX_IMPORT_ROWS = 20_000;
/** Columns in a CSV row: the exports we read have at most a few dozen. */
export const MAX_COLUMNS = 200;

/** The limits in words, for replies and the README. */
export const SIZE_LIMIT_TEXT = "5 MB";
export const ROW_LIMIT_TEXT = MAX_IMPORT_ROWS.toLocaleString("en-US");

/** Gives the event loop a turn between two slices of work: pending I/O (webhook requests, replies) runs first. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** How many characters of a value from the file a reply quotes. */
const QUOTE_LENGTH = 40;

/**
 * A value from a file as a reply may show it: on one line, control and invisible characters
 * dropped, cut to `max` characters with "…". Never longer than `max` + 1.
 */
export function quoted(value: string, max = QUOTE_LENGTH): string {
  // Only the start is looked at: a value can be megabytes long.
  const head = value.slice(0, max * 4);
  // Line breaks and tabs become spaces; other control, format and bidi characters go.
  const flat = head.replace(/[\r\n\t\v\f\u2028\u2029]+/g, " ").replace(/[\p{Cc}\p{Cf}]/gu, "").replace(/ {2,}/g, " ").trim();
  const chars = [...flat];
  return chars.length > max || head.length < value.length ? `${chars.slice(0, max).join("").trimEnd()}…` : flat;
}

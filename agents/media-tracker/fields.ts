// Parsers for the values a dialog asks for. Each returns the value or a reason a person can act on.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const MAX_TITLE_LENGTH = 300;

export function parseTitle(input: string): Parsed<string> {
  const title = input.trim().replace(/\s+/g, " ");
  if (title.length === 0) return { ok: false, error: "The title can't be empty." };
  if (title.length > MAX_TITLE_LENGTH) return { ok: false, error: `That title is too long (at most ${MAX_TITLE_LENGTH} characters).` };
  if (title.startsWith("/")) return { ok: false, error: "That looks like a command, not a title." };
  return { ok: true, value: title };
}

export const MIN_YEAR = 1870;
export const MAX_YEAR = 2100;

export function parseYear(input: string): Parsed<number> {
  const text = input.trim();
  if (!/^\d{1,4}$/.test(text)) return { ok: false, error: `Please send the year as a number, like 1999 (${MIN_YEAR}–${MAX_YEAR}).` };
  const year = Number(text);
  if (year < MIN_YEAR || year > MAX_YEAR) return { ok: false, error: `The year must be between ${MIN_YEAR} and ${MAX_YEAR}.` };
  return { ok: true, value: year };
}

/** A rating of 1–5 stars; half stars (3.5, 3,5, 3½) are accepted when typed. */
export function parseRating(input: string): Parsed<number> {
  const text = input.trim().replace(",", ".").replace("½", ".5").replace(/\s*(stars?|★+|\/\s*5)$/i, "");
  const value = Number(text);
  if (text === "" || !Number.isFinite(value) || value < 1 || value > 5 || !Number.isInteger(value * 2)) {
    return { ok: false, error: "The rating must be a number of stars from 1 to 5 (half stars like 3.5 are fine)." };
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

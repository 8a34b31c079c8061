// Turns what a provider says into text and numbers fit for a button or a card. Provider data is
// not trusted: control and direction-override characters go, lengths are capped, URLs must be https.

export const MAX_TITLE = 300;
export const MAX_NAME = 200;
export const MAX_EPISODE_NAME = 200;
export const MAX_QUERY = 200;

/**
 * One line of at most max characters (code points), or undefined when nothing is left. Bidi
 * embeddings, overrides and isolates go too: in a button they could make one title read as another.
 */
export function cleanLine(value: unknown, max: number): string | undefined {
  if (typeof value !== "string") return undefined;
  const text = value
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, "")
    .replace(/[\p{Cc}\s]+/gu, " ")
    .trim();
  if (text.replace(/[\p{Cf}\p{Z}]/gu, "") === "") return undefined;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}

/** A whole year within [min, max], from a number or the start of a date text ("2021-09-15", "1965"). */
export function yearFrom(value: unknown, min: number, max: number): number | undefined {
  let year: number | undefined;
  if (typeof value === "number") year = value;
  else if (typeof value === "string") {
    const match = /^\s*(\d{4})\b/.exec(value) ?? /\b(\d{4})\b/.exec(value);
    if (match) year = Number(match[1]);
  }
  return year !== undefined && Number.isInteger(year) && year >= min && year <= max ? year : undefined;
}

/** An https URL of reasonable length, or undefined. */
export function httpsUrl(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > 1000) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.username === "" && url.password === "" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** The first valid ISBN-13 in the list, else the first valid ISBN-10 (hyphens and spaces dropped). */
export function pickIsbn(values: readonly unknown[] | undefined): string | undefined {
  if (!values) return undefined;
  const isbns = values.filter((v): v is string => typeof v === "string").map((v) => v.replace(/[\s-]/g, "").toUpperCase());
  return isbns.find(isIsbn13) ?? isbns.find(isIsbn10);
}

function isIsbn13(isbn: string): boolean {
  if (!/^97[89]\d{10}$/.test(isbn)) return false;
  const sum = [...isbn].reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return sum % 10 === 0;
}

function isIsbn10(isbn: string): boolean {
  if (!/^\d{9}[\dX]$/.test(isbn)) return false;
  const sum = [...isbn].reduce((s, d, i) => s + (d === "X" ? 10 : Number(d)) * (10 - i), 0);
  return sum % 11 === 0;
}

/** Drops the keys whose value is undefined, so a result is the same before and after a JSON round trip. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

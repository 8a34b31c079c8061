// Small readers for the values import files hold: titles, numbers, dates, ISBNs and provider ids.
import { MAX_TITLE_LENGTH } from "../fields.js";

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export function cleanTitle(raw: string | undefined): Checked<string> {
  const title = (raw ?? "").trim().replace(/\s+/g, " ");
  if (!title) return { ok: false, reason: "no title" };
  if (title.length > MAX_TITLE_LENGTH) return { ok: false, reason: `title longer than ${MAX_TITLE_LENGTH} characters` };
  return { ok: true, value: title };
}

/** Text or undefined when blank; keeps inner newlines and spacing as they were. */
export function text(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  return raw;
}

export function number(raw: string | number | null | undefined): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : undefined;
  const t = raw.trim().replace(",", ".");
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** A whole number from `min` to `max`, else undefined: out of range is as unreadable as "abc" (the store keeps only what a dialog would take). */
export function wholeNumber(raw: string | number | null | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const n = number(raw);
  return n !== undefined && Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** "2024-02-09", "2024/02/09", "2024-02-09T12:00:00Z", "2024-02-09 12:00:00+00:00" → "2024-02-09". */
export function day(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const m = /^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:$|[T\s])/.exec(raw);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]!.padStart(2, "0")}-${m[3]!.padStart(2, "0")}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso ? undefined : iso;
}

/** A time in ms from an ISO timestamp or a day; undefined when unreadable. */
export function timeMs(raw: string | null | undefined): number | undefined {
  if (!raw) return undefined;
  const d = day(raw);
  if (d && /^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}\s*$/.test(raw)) return Date.parse(`${d}T00:00:00Z`);
  const ms = Date.parse(raw.trim().replace(" ", "T"));
  return Number.isNaN(ms) ? (d ? Date.parse(`${d}T00:00:00Z`) : undefined) : ms;
}

export function lower(s: string): string {
  return s.trim().replace(/\s+/g, " ").toLowerCase();
}

/** Most times a book can be read or a movie watched that an import keeps (a guard against nonsense). */
export const MAX_TIMES = 1000;
/** Longest cover address kept. */
const MAX_URL_LENGTH = 1000;

/** An ISBN-10 or ISBN-13, digits (and a final X) only: "978-0-7564-0473-4", Goodreads' ="0756404738". */
export function isbn(raw: string | number | null | undefined): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const t = String(raw).trim().replace(/^="?|"$/g, "").replace(/[\s-]/g, "").toUpperCase();
  return /^(\d{9}[\dX]|\d{13})$/.test(t) ? t : undefined;
}

/** An Open Library key, "OL27448W" (a work), "OL7353617M" (an edition), also as "/works/OL27448W". */
export function openLibraryKey(raw: string | null | undefined): string | undefined {
  const m = /^\s*(?:\/(?:works|books|authors)\/)?(OL\d{1,12}[WMA])\s*$/i.exec(raw ?? "");
  return m ? m[1]!.toUpperCase() : undefined;
}

/** An http(s) address of a cover image, or undefined. */
export function coverUrl(raw: string | null | undefined): string | undefined {
  const t = (raw ?? "").trim();
  if (t.length > MAX_URL_LENGTH || !/^https?:\/\/[^\s]+$/i.test(t)) return undefined;
  try {
    return new URL(t).protocol.startsWith("http") ? t : undefined;
  } catch {
    return undefined;
  }
}

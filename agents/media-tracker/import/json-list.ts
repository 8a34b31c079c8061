// Reads JSON files within bounds: the list of entries of our export (an array of objects, or
// { "entries": [...] }), or any JSON value (Trakt's files). A quick scan first counts the file's
// values and nesting without building anything, so a file of a million tiny values or a deep nest is
// refused before JSON.parse would build it.
import { MAX_IMPORT_ROWS, yieldToEventLoop } from "./bounds.js";

/** Our entries have about 20 fields; this leaves room and still bounds what JSON.parse builds. */
const MAX_VALUES = MAX_IMPORT_ROWS * 40;
/**
 * An array of entries, each an object of scalars: a few levels at most. Trakt's watched shows nest
 * deepest: items, seasons, episodes (an array and an object each).
 */
const MAX_DEPTH = 8;
/** Characters scanned between two turns of the event loop. */
const SCAN_SLICE = 512 * 1024;

export type JsonList = { ok: true; items: unknown[] } | { ok: false; reason: "too-many-rows" | "not-a-list" };

export type JsonValue =
  | { ok: true; data: unknown }
  | { ok: false; reason: "too-many-rows" | "too-deep" }
  | { ok: false; reason: "malformed"; detail: string };

/** Values left to build across the files of one import (a ZIP's JSON files share it). */
export interface ValueBudget {
  left: number;
}

export const newValueBudget = (): ValueBudget => ({ left: MAX_VALUES });

/** The file's value, parsed once the scan found it within `budget` (whose values it takes). */
export async function readJsonValue(body: string, budget: ValueBudget = newValueBudget()): Promise<JsonValue> {
  const scan = await scanJson(body, budget);
  if (scan !== "ok") return { ok: false, reason: scan };
  try {
    return { ok: true, data: JSON.parse(body) };
  } catch (error) {
    return { ok: false, reason: "malformed", detail: error instanceof Error ? error.message : String(error) };
  }
}

/** Our export's entries in a parsed JSON value. */
export function entriesOf(data: unknown): JsonList {
  const list = Array.isArray(data)
    ? data
    : typeof data === "object" && data !== null && Array.isArray((data as { entries?: unknown }).entries)
      ? (data as { entries: unknown[] }).entries
      : undefined;
  if (!list) return { ok: false, reason: "not-a-list" };
  if (list.length > MAX_IMPORT_ROWS) return { ok: false, reason: "too-many-rows" };
  return { ok: true, items: list };
}

/**
 * Counts values (every comma and opening bracket outside strings is at most one more) and depth.
 * Malformed text passes; JSON.parse says what is wrong with it.
 */
async function scanJson(body: string, budget: ValueBudget): Promise<"ok" | "too-many-rows" | "too-deep"> {
  let depth = 0;
  let values = budget.left;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < body.length; i++) {
    if (i % SCAN_SLICE === SCAN_SLICE - 1) await yieldToEventLoop();
    const c = body.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true; // backslash
      else if (c === 0x22) inString = false; // quote
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      // [ or {
      if (++depth > MAX_DEPTH) return "too-deep";
      values--;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c) values--; // comma
    if (values < 0) return "too-many-rows";
  }
  budget.left = values;
  return "ok";
}

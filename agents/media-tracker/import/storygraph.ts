// StoryGraph's library export (Manage Account → Export StoryGraph Library), one CSV: Title, Authors,
// Contributors, ISBN/UID, Format, Read Status, Date Added, Last Date Read, Dates Read, Read Count,
// Moods, Pace, …, Star Rating, Review, Content Warnings, Content Warning Description, Tags, Owned?.
// Each row is a book: its status, rating (quarter stars rounded to our half stars), ISBN, review as
// notes, and every read it dates as a "finished" event.
import { MAX_PAGE } from "../edit-fields.js";
import { RatingReader } from "../export/mappings.js";
import type { BookStatus } from "../media-store.js";
import { EventLog, dayOf, eventAt } from "./events.js";
import type { Parsed } from "./services.js";
import type { CsvTable, ImportedEntry, ReadOptions } from "./types.js";
import { MAX_TIMES, cleanTitle, isbn, lower, number, text, timeMs, wholeNumber } from "./values.js";

export function isStoryGraph(headers: string[]): boolean {
  return headers.includes("Title") && headers.includes("Read Status") && (headers.includes("ISBN/UID") || headers.includes("Star Rating"));
}

/** StoryGraph's statuses; "paused" is a book still being read. */
const STATUSES: Record<string, BookStatus> = {
  "read": "finished",
  "currently-reading": "reading",
  "paused": "reading",
  "to-read": "want",
  "did-not-finish": "dropped",
};

/** Most reads of one book a row's "Dates Read" is read for. */
const MAX_READS = MAX_TIMES;

export function readStoryGraph(table: CsvTable, options: ReadOptions): Parsed {
  const out: Parsed = { entries: [], skipped: [], notes: [] };
  const ratings = new RatingReader();
  const events = new EventLog();
  const seen = new Map<string, number>();
  let quarters = 0;
  for (const { row, values: v } of table.rows) {
    const where = `row ${row}`;
    const title = cleanTitle(v["Title"]);
    if (!title.ok) {
      out.skipped.push({ where, reason: title.reason });
      continue;
    }
    const author = text(v["Authors"])?.trim().replace(/\s+/g, " ");
    const uid = v["ISBN/UID"]?.trim();
    const key = uid ? `storygraph:${uid.toLowerCase()}` : `storygraph:t:${lower(title.value)}|${lower(author ?? "")}`;
    const first = seen.get(key);
    if (first !== undefined) {
      out.skipped.push({ where, reason: `the same book as row ${first}` });
      continue;
    }
    const rawStatus = (v["Read Status"] ?? "").trim().toLowerCase();
    const status = STATUSES[rawStatus];
    if (rawStatus && !status) {
      out.skipped.push({ where, reason: `unknown read status "${rawStatus.slice(0, 40)}"` });
      continue;
    }
    seen.set(key, row);
    const entry: ImportedEntry = {
      id: options.newId(),
      kind: "book",
      title: title.value,
      addedAtMs: timeMs(v["Date Added"]) ?? options.nowMs,
      importKey: key,
    };
    if (author) entry.author = author;
    if (status) entry.status = status;
    const stars = number(v["Star Rating"]);
    if (stars !== undefined && stars > 0 && stars <= 5) {
      if ((stars * 4) % 2 === 1) quarters += 1;
      const rating = ratings.read(entry, stars);
      if (rating !== undefined) entry.rating = rating;
    }
    const code = isbn(uid);
    if (code) entry.isbn = code;
    const pages = wholeNumber(v["Pages"] ?? v["Number of Pages"], 1, MAX_PAGE);
    if (pages !== undefined) entry.pages = pages;
    const review = text(v["Review"]);
    if (review) entry.notes = review;
    const readCount = wholeNumber(v["Read Count"], 0, MAX_TIMES);
    if (readCount !== undefined) entry.readCount = readCount;
    // A book given up on has its dates as the day it was dropped, not reads finished.
    if (status !== "dropped" && status !== "want") {
      for (const at of finishDays(v["Dates Read"] ?? "")) events.add(entry, { at, event: "finished" });
      const last = eventAt(v["Last Date Read"]);
      if (last) events.add(entry, { at: last, event: "finished" });
    }
    out.entries.push(entry);
  }
  for (const entry of out.entries) {
    const history = events.done(entry);
    if (!history) continue;
    entry.history = history;
    entry.finishedOn = dayOf(history.at(-1)!.at);
    // A count the file left out is at least the reads it dates.
    if (entry.readCount === undefined || entry.readCount < history.length) entry.readCount = Math.min(MAX_TIMES, history.length);
  }
  if (quarters > 0) {
    out.notes.push(`StoryGraph's quarter stars round up to the next half star: 3.25 becomes 3.5, 3.75 becomes 4 (${quarters} ${quarters === 1 ? "rating" : "ratings"}).`);
  }
  // StoryGraph rates in quarter stars only: the note above says what the rounding did.
  out.notes.push(...ratings.notes().filter((n) => quarters === 0 || !n.includes("rounded")), ...events.notes());
  return out;
}

/**
 * The days each read was finished, from "Dates Read": reads separated by commas, each a day
 * ("2024/03/01") or a span ("2024/02/20-2024/03/01", finished on its last day).
 */
export function finishDays(raw: string): string[] {
  const days: string[] = [];
  for (const read of raw.split(/[,;]/).slice(0, MAX_READS)) {
    const found = read.match(/\d{4}[-/]\d{1,2}[-/]\d{1,2}/g);
    const finished = found ? eventAt(found.at(-1)) : undefined;
    if (finished) days.push(finished);
  }
  return days;
}

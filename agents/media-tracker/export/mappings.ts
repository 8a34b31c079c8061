// How our statuses and ratings translate to and from the services people move between: Goodreads
// shelves, Yamtrack statuses and 0–10 scores, Letterboxd's half stars. Used by exports and imports.
import type { BookStatus, EntryKind, ShowStatus } from "../media-store.js";

/** Goodreads' exclusive shelves (plus the common custom "did-not-finish"). */
export const BOOK_TO_SHELF: Record<BookStatus, string> = {
  want: "to-read",
  reading: "currently-reading",
  finished: "read",
  dropped: "did-not-finish",
};

export function shelfToBookStatus(shelf: string): BookStatus | undefined {
  const s = shelf.trim().toLowerCase();
  if (s === "read") return "finished";
  if (s === "currently-reading") return "reading";
  if (s === "to-read") return "want";
  if (/^(did-not-finish|dnf|abandoned|dropped|gave-up)$/.test(s)) return "dropped";
  return undefined;
}

export type YamtrackStatus = "Completed" | "In progress" | "Planning" | "Paused" | "Dropped";

export const BOOK_TO_YAMTRACK: Record<BookStatus, YamtrackStatus> = {
  want: "Planning",
  reading: "In progress",
  finished: "Completed",
  dropped: "Dropped",
};
export const SHOW_TO_YAMTRACK: Record<ShowStatus, YamtrackStatus> = {
  watching: "In progress",
  finished: "Completed",
  paused: "Paused",
  dropped: "Dropped",
};

export function yamtrackToStatus(kind: EntryKind, status: string): string | undefined {
  const s = status.trim().toLowerCase();
  if (kind === "book") {
    if (s === "completed") return "finished";
    if (s === "in progress" || s === "paused" || s === "repeating") return "reading";
    if (s === "planning") return "want";
    if (s === "dropped") return "dropped";
  }
  if (kind === "show") {
    if (s === "completed") return "finished";
    if (s === "in progress" || s === "repeating") return "watching";
    if (s === "paused") return "paused";
    if (s === "dropped") return "dropped";
  }
  return undefined;
}

/** Any number → our 1–5 scale in half stars; undefined for 0, blanks and nonsense. */
export function toRating(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value) || value <= 0) return undefined;
  return Math.min(5, Math.max(1, Math.round(value * 2) / 2));
}

/** Yamtrack scores are 0–10: halved; 0 means unscored. */
export function fromYamtrackScore(score: number | undefined): number | undefined {
  return score === undefined ? undefined : toRating(score / 2);
}

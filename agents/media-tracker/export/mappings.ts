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

/** Yamtrack's status for a movie: Planning is one to see; a movie with no status is one seen. */
export function movieToYamtrack(status: string | undefined): YamtrackStatus {
  return status === "want" ? "Planning" : "Completed";
}

export function yamtrackToStatus(kind: EntryKind, status: string): string | undefined {
  const s = status.trim().toLowerCase();
  // Any other state of a movie (Completed, In progress, …) means seen: no status says that.
  if (kind === "movie") return s === "planning" ? "want" : undefined;
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

/**
 * Ratings read from a file onto our 1–5 half-star scale, remembering (per entry, the last one read)
 * what the scale changed, so that the import's summary can say so.
 */
export class RatingReader {
  private readonly changed = new Map<object, "raised" | "rounded">();

  /** `value` in stars (a Yamtrack score halved); undefined for 0, blanks and nonsense. */
  read(entry: object, value: number | undefined): number | undefined {
    const rating = toRating(value);
    if (rating === undefined) return undefined;
    if (value! < 1) this.changed.set(entry, "raised");
    else if (rating !== value) this.changed.set(entry, "rounded");
    else this.changed.delete(entry);
    return rating;
  }

  /** Sentences for the summary: how many ratings the scale raised or rounded. */
  notes(): string[] {
    const count = (what: string) => [...this.changed.values()].filter((c) => c === what).length;
    const raised = count("raised");
    const rounded = count("rounded");
    const notes: string[] = [];
    if (raised > 0) notes.push(`${raised} ${raised === 1 ? "rating" : "ratings"} under 1 star (like ½★) raised to 1★, the lowest rating here.`);
    if (rounded > 0) notes.push(`${rounded} ${rounded === 1 ? "rating" : "ratings"} rounded to the nearest half star (ratings here are 1–5 stars in half stars).`);
    return notes;
  }
}

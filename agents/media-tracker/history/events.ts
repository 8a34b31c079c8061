// Which events a change to an entry means, as a pure function of the entry before and after: the
// store calls it inside the write's transaction, so every path that changes an entry (dialogs, card
// buttons, /watched, alerts, the model's tools) records its history without asking for it.
import type { EntryFields, EntryKind, HistoryEvent } from "../media-store.js";

type Tracked = Pick<EntryFields, "rating" | "status" | "season" | "episode" | "watchedOn" | "finishedOn">;

/** A day (YYYY-MM-DD) or an ISO 8601 instant in UTC, as events are dated. */
const AT = /^\d{4}-[01]\d-[0-3]\d(?:T[0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-][0-2]\d:?[0-5]\d))?$/;

export function isEventDate(at: string): boolean {
  return AT.test(at) && !Number.isNaN(Date.parse(at.slice(0, 10)));
}

/**
 * The events from `before` to `after` (an added entry: `before` is empty), dated `nowMs` unless the
 * change carries its own day (a movie's watchedOn, a book's finishedOn).
 */
export function eventsOfChange(kind: EntryKind, before: Tracked, after: Tracked, nowMs: number): HistoryEvent[] {
  // An imported entry's "added" time can be any parsable date (a Letterboxd "Date" of 99999): outside
  // years 0000–9999 it is no event date, and the entry is still stored, only without those events.
  const at = Number.isFinite(nowMs) && Math.abs(nowMs) <= 8.64e15 ? new Date(nowMs).toISOString() : "";
  const events: HistoryEvent[] = [];
  if (kind === "movie" && after.watchedOn !== undefined && after.watchedOn !== before.watchedOn && isEventDate(after.watchedOn)) {
    events.push({ at: after.watchedOn, event: "watched" });
  }
  if (kind === "book" && after.finishedOn !== undefined && after.finishedOn !== before.finishedOn && isEventDate(after.finishedOn)) {
    events.push({ at: after.finishedOn, event: "finished" });
  }
  if (kind === "show" && after.season !== undefined && after.episode !== undefined && isForward(before, after)) {
    events.push({ at, event: "episode", season: after.season, episode: after.episode });
  }
  if (after.rating !== undefined && after.rating !== before.rating) events.push({ at, event: "rated", rating: after.rating });
  if (after.status !== undefined && after.status !== before.status) events.push({ at, event: "status", status: after.status });
  return events.filter((e) => isEventDate(e.at));
}

/** The show's place moved forward: a later season, or a later episode in the same season. */
function isForward(before: Tracked, after: Tracked): boolean {
  const season = before.season ?? 0;
  const episode = before.episode ?? 0;
  return after.season! > season || (after.season === season && after.episode! > episode);
}

/** Keeps the events an import brings that are well formed; the rest are not history anyone can read. */
export function validEvents(events: readonly HistoryEvent[]): HistoryEvent[] {
  return events.filter((e) => {
    if (typeof e.at !== "string" || !isEventDate(e.at)) return false;
    switch (e.event) {
      case "watched":
      case "finished":
        return true;
      case "episode":
        return Number.isInteger(e.season) && Number.isInteger(e.episode) && e.season >= 0 && e.episode >= 0;
      case "rated":
        return Number.isFinite(e.rating) && e.rating >= 1 && e.rating <= 5;
      case "status":
        return typeof e.status === "string" && e.status.length > 0 && e.status.length <= 40;
      default:
        return false;
    }
  });
}

/** Most events one imported entry may bring (a daily show watched for years stays well under). */
export const MAX_IMPORTED_EVENTS = 20_000;

/** A file's `history` array (our JSON export) as events: each rebuilt from its known keys, bad ones left out. */
export function readEvents(value: unknown): HistoryEvent[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const events: HistoryEvent[] = [];
  for (const item of value.slice(0, MAX_IMPORTED_EVENTS)) {
    if (typeof item !== "object" || item === null) continue;
    const v = item as Record<string, unknown>;
    const at = typeof v.at === "string" ? v.at : "";
    if (v.event === "watched" || v.event === "finished") events.push({ at, event: v.event });
    else if (v.event === "episode") events.push({ at, event: "episode", season: Number(v.season), episode: Number(v.episode) });
    else if (v.event === "rated") events.push({ at, event: "rated", rating: Number(v.rating) });
    else if (v.event === "status") events.push({ at, event: "status", status: typeof v.status === "string" ? v.status : "" });
  }
  return validEvents(events);
}

// The dated history an import brings with an entry (NewEntry.history): times read from a file made
// into `at` values, events gathered without repeats, kept in time order and bounded.
import type { HistoryEvent } from "../media-store.js";
import { day, timeMs } from "./values.js";

/** Most events one imported entry keeps (the latest): a show watched many times over stays bounded. */
export const MAX_EVENTS_PER_ENTRY = 10_000;
/** Dates outside these years are nonsense in a watch or read log (a 0001-01-01 placeholder, a typo). */
const FIRST_YEAR = 1900;
const LAST_YEAR = 2100;

/**
 * A file's date or time as a history `at`: "2024-03-01" stays a day; a time ("2024-03-01T20:15:00.000Z",
 * TV Time's "2024-03-01 20:15:00", taken as UTC) becomes an ISO 8601 instant. Undefined when unreadable.
 */
export function eventAt(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const d = day(raw);
  if (!d) return undefined;
  const year = Number(d.slice(0, 4));
  if (year < FIRST_YEAR || year > LAST_YEAR) return undefined;
  if (/^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}\s*$/.test(raw)) return d;
  const t = raw.trim().replace(" ", "T");
  // A time without a zone is UTC (TV Time's "created_at"), not this machine's local time.
  const ms = timeMs(/[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t}Z`) ?? timeMs(raw);
  return ms === undefined ? d : new Date(ms).toISOString();
}

/** The day of an `at`. */
export function dayOf(at: string): string {
  return at.slice(0, 10);
}

/** What makes two events the same one (a watch found in two files of an export). */
function eventKey(e: HistoryEvent): string {
  if (e.event === "episode") return `${e.at}|episode|${e.season}|${e.episode}`;
  if (e.event === "rated") return `${e.at}|rated|${e.rating}`;
  if (e.event === "status") return `${e.at}|status|${e.status}`;
  return `${e.at}|${e.event}`;
}

/** Collects an entry's events while a file is read; `done` sorts them, drops repeats and bounds them. */
export class EventLog {
  private readonly events = new Map<object, HistoryEvent[]>();
  private trimmed = 0;

  add(owner: object, event: HistoryEvent): void {
    const list = this.events.get(owner);
    if (list) list.push(event);
    else this.events.set(owner, [event]);
  }

  of(owner: object): readonly HistoryEvent[] {
    return this.events.get(owner) ?? [];
  }

  /** The owner's events in time order without repeats, the latest MAX_EVENTS_PER_ENTRY of them. */
  done(owner: object): HistoryEvent[] | undefined {
    const list = [...(this.events.get(owner) ?? [])].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const seen = new Set<string>();
    const unique = list.filter((e) => {
      const key = eventKey(e);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (unique.length === 0) return undefined;
    if (unique.length > MAX_EVENTS_PER_ENTRY) {
      this.trimmed += 1;
      return unique.slice(-MAX_EVENTS_PER_ENTRY);
    }
    return unique;
  }

  /** A sentence for the summary when some entry had more events than it keeps. */
  notes(): string[] {
    return this.trimmed > 0
      ? [`${this.trimmed} ${this.trimmed === 1 ? "entry has" : "entries have"} more than ${MAX_EVENTS_PER_ENTRY.toLocaleString("en-US")} dated events; the latest are kept.`]
      : [];
  }
}

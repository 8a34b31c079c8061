// Which entries of an import a chat has already, whatever source they came from, and what the file
// would change in them. An entry matches, in this order: by import key (the same file again), by
// our own id (our export, or our Yamtrack file, sent back), by provider id (TMDB, ISBN, Open
// Library), else by kind and normalised title, with the year (movies), the author (books) or the
// text (quotes) when both sides have one. A match is "the same" unless the file is ahead of the list:
// a new rating, progress forward (a later status, episode, page or date, more reads or watches) or
// a field the entry lacks. Pure: the caller runs it inside the write that stages or applies.
import { movieStatus } from "../fields.js";
import type { Entry, EntryKind, EntryPatch } from "../media-store.js";
import type { ImportSource, ImportedEntry } from "./types.js";

export interface PlannedUpdate {
  /** The entry in the list. */
  id: string;
  title: string;
  patch: EntryPatch;
  /** What changes, in words: "rating 4 → 5", "S2E5 → S3E1", "adds ISBN". */
  changes: string[];
}

export interface ImportPlan {
  /** Entries the list does not have. */
  fresh: ImportedEntry[];
  /** Entries the list has, with nothing the file would change. */
  same: number;
  /** Entries the list has that the file would bring forward. */
  updates: PlannedUpdate[];
}

export function planImport(existing: Entry[], incoming: ImportedEntry[], source: ImportSource): ImportPlan {
  const list = new ListIndex(existing);
  const plan: ImportPlan = { fresh: [], same: 0, updates: [] };
  const claimed = new Set<string>();
  for (const e of incoming) {
    const match = list.find(e);
    if (match === undefined) {
      plan.fresh.push(e);
      continue;
    }
    // Ambiguous (two "Dune" movies and a file without the year), or already matched by an
    // earlier row: in the list, and left alone.
    if (match === AMBIGUOUS || claimed.has(match.id)) {
      plan.same += 1;
      continue;
    }
    claimed.add(match.id);
    const update = changesFrom(match, e, source);
    if (update.changes.length === 0) plan.same += 1;
    else plan.updates.push({ id: match.id, title: match.title, ...update });
  }
  return plan;
}

// === Finding an entry

const AMBIGUOUS = Symbol("ambiguous");

class ListIndex {
  private readonly byKey = new Map<string, Entry>();
  private readonly byId = new Map<string, Entry>();
  private readonly byProvider = new Map<string, Entry>();
  private readonly byTitle = new Map<string, Entry[]>();

  constructor(entries: Entry[]) {
    for (const e of entries) {
      if (e.importKey) this.byKey.set(e.importKey, e);
      this.byId.set(e.id, e);
      for (const p of providerKeys(e)) if (!this.byProvider.has(p)) this.byProvider.set(p, e);
      const t = `${e.kind}|${titleKey(e.title)}`;
      const same = this.byTitle.get(t);
      if (same) same.push(e);
      else this.byTitle.set(t, [e]);
    }
  }

  find(e: ImportedEntry): Entry | typeof AMBIGUOUS | undefined {
    const byKey = this.byKey.get(e.importKey);
    if (byKey?.kind === e.kind) return byKey;
    const earlierId = ourId(e);
    const byId = earlierId !== undefined ? this.byId.get(earlierId) : undefined;
    if (byId?.kind === e.kind) return byId;
    for (const p of providerKeys(e)) {
      const found = this.byProvider.get(p);
      if (found) return found;
    }
    const candidates = (this.byTitle.get(`${e.kind}|${titleKey(e.title)}`) ?? []).filter((c) => compatible(c, e));
    if (candidates.length <= 1) return candidates[0];
    // Several with that title: the one whose year (author, text) is the file's too, if only one is.
    const close = candidates.filter((c) => confirmed(c, e));
    return close.length === 1 ? close[0] : AMBIGUOUS;
  }
}

/** The id an entry had in this bot, when the file is our own export or our Yamtrack file. */
function ourId(e: ImportedEntry): string | undefined {
  if (e.importKey.startsWith("mt:")) return e.importKey.slice(3);
  return /^yamtrack:manual:[^:]+:(.+)$/.exec(e.importKey)?.[1];
}

function providerKeys(e: Pick<Entry, "kind" | "tmdbId" | "isbn" | "openLibraryKey" | "tvmazeId">): string[] {
  const keys: string[] = [];
  if (e.tvmazeId !== undefined && e.kind === "show") keys.push(`tvmaze:${e.tvmazeId}`);
  if (e.tmdbId !== undefined) keys.push(`tmdb:${e.kind}:${e.tmdbId}`);
  if (e.isbn !== undefined) keys.push(`isbn:${e.isbn}`);
  if (e.openLibraryKey !== undefined) keys.push(`ol:${e.openLibraryKey}`);
  return keys;
}

/** Nothing known on both sides says they differ. */
function compatible(a: Entry, b: ImportedEntry): boolean {
  const differ = <T>(x: T | undefined, y: T | undefined, same: (x: T, y: T) => boolean = Object.is) =>
    x !== undefined && y !== undefined && !same(x, y);
  if (differ(a.tmdbId, b.tmdbId) || differ(a.isbn, b.isbn) || differ(a.openLibraryKey, b.openLibraryKey) || differ(a.tvmazeId, b.tvmazeId)) return false;
  if (a.kind === "movie" && differ(a.year, b.year)) return false;
  if ((a.kind === "book" || a.kind === "quote") && differ(a.author, b.author, sameAuthor)) return false;
  if (a.kind === "quote" && differ(a.quoteText, b.quoteText, (x, y) => fold(x) === fold(y))) return false;
  return true;
}

/** Both sides know the year (author, text) and it is the same. */
function confirmed(a: Entry, b: ImportedEntry): boolean {
  if (a.kind === "movie") return a.year !== undefined && a.year === b.year;
  if (a.kind === "book") return a.author !== undefined && b.author !== undefined && sameAuthor(a.author, b.author);
  if (a.kind === "quote") return a.quoteText !== undefined && b.quoteText !== undefined;
  return false;
}

/** Lower case, accents, apostrophes and punctuation gone, spaces single: "Man's Amélie!" → "mans amelie". */
function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()
    .replace(/['’ʼ`]/g, "").replace(/&/g, " and ").replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

/**
 * A title as matching sees it: folded, without Goodreads' series suffix ("(The Kingkiller Chronicle,
 * #2)") or a leading "The", "A", "An". A title made only of punctuation or emoji is kept as typed.
 */
export function titleKey(title: string): string {
  const withoutSeries = title.replace(/\s*\([^()]*#\s*\d+(?:\.\d+)?\)\s*$/u, "");
  const key = fold(withoutSeries || title).replace(/^(the|a|an) (?=\S)/, "");
  return key || title.trim().toLowerCase();
}

/** "Frank Herbert" = "Herbert, Frank"; "J.R.R. Tolkien" = "J. R. R. Tolkien" = "Tolkien". */
export function sameAuthor(a: string, b: string): boolean {
  const x = authorWords(a);
  const y = authorWords(b);
  if (x.length === 0 || y.length === 0 || x.join(" ") === y.join(" ")) return true;
  if (x.at(-1) !== y.at(-1)) return false;
  return x.length === 1 || y.length === 1 || x[0]![0] === y[0]![0];
}

function authorWords(author: string): string[] {
  const parts = author.split(",");
  const ordered = parts.length === 2 && parts[1]!.trim() ? `${parts[1]} ${parts[0]}` : author;
  return fold(ordered).split(" ").filter((w) => w !== "");
}

// === What the file would change

/** How far along each status is: the file moves an entry forward, never back. */
const STATUS_RANK: Partial<Record<EntryKind, Record<string, number>>> = {
  book: { want: 0, reading: 1, finished: 2, dropped: 2 },
  movie: { want: 0, watched: 1 },
  show: { watching: 1, paused: 1, finished: 2, dropped: 2 },
};

/** The status an entry counts as having: a movie without one is watched, a show without one is being watched. */
function statusOf(e: Pick<Entry, "kind" | "status">): string | undefined {
  if (e.kind === "movie") return movieStatus(e);
  if (e.kind === "show") return e.status ?? "watching";
  return e.status;
}

/** Fields the file may fill in when the entry has none, with their names in the summary. */
const FILLS = [
  ["author", "author"], ["year", "year"], ["isbn", "ISBN"], ["pages", "pages"], ["tmdbId", "TMDB id"],
  ["openLibraryKey", "Open Library key"], ["tvmazeId", "TVmaze id"], ["coverUrl", "cover"], ["notes", "notes"],
] as const;

function changesFrom(entry: Entry, file: ImportedEntry, source: ImportSource): { patch: EntryPatch; changes: string[] } {
  const patch: EntryPatch = {};
  const changes: string[] = [];

  // Goodreads has whole stars: its 5 for our 4.5 is the same rating, rounded on the way out.
  const rounded = source === "goodreads" && entry.rating !== undefined && Math.round(entry.rating) === file.rating;
  if (file.rating !== undefined && file.rating !== entry.rating && !rounded) {
    patch.rating = file.rating;
    changes.push(entry.rating === undefined ? `rated ${file.rating}` : `rating ${entry.rating} → ${file.rating}`);
  }

  const ranks = STATUS_RANK[entry.kind];
  const before = statusOf(entry);
  // A movie in a file with no status is one seen; any other kind without one says nothing.
  const after = file.kind === "movie" || file.status !== undefined ? statusOf(file) : undefined;
  let status = before;
  if (ranks && after !== undefined && after !== before && (ranks[after] ?? -1) > (before === undefined ? -1 : ranks[before] ?? -1)) {
    patch.status = after;
    status = after;
    changes.push(before === undefined ? `marked ${after}` : `${before} → ${after}`);
  }

  if (entry.kind === "show" && file.season !== undefined) {
    const ahead = file.season > (entry.season ?? 0) || (file.season === entry.season && (file.episode ?? 0) > (entry.episode ?? 0));
    if (ahead) {
      patch.season = file.season;
      patch.episode = file.episode ?? null;
      changes.push(`${place(entry.season, entry.episode) ?? "no episode"} → ${place(file.season, file.episode)}`);
    }
  }
  if (entry.kind === "book" && file.currentPage !== undefined && file.currentPage > (entry.currentPage ?? 0) && status !== "finished") {
    patch.currentPage = file.currentPage;
    changes.push(`page ${entry.currentPage ?? 0} → ${file.currentPage}`);
  }
  if (file.finishedOn !== undefined && (entry.finishedOn === undefined || file.finishedOn > entry.finishedOn)) {
    patch.finishedOn = file.finishedOn;
    changes.push(`finished on ${file.finishedOn}`);
  }
  if (file.watchedOn !== undefined && (entry.watchedOn === undefined || file.watchedOn > entry.watchedOn)) {
    patch.watchedOn = file.watchedOn;
    changes.push(`watched on ${file.watchedOn}`);
  }
  // More reads or watches than the list knows (an unknown count is not filled with 0).
  if (file.readCount !== undefined && file.readCount > (entry.readCount ?? 0)) {
    patch.readCount = file.readCount;
    changes.push(`read ${times(file.readCount)}`);
  }
  if (file.watchCount !== undefined && file.watchCount > (entry.watchCount ?? 0)) {
    patch.watchCount = file.watchCount;
    changes.push(`watched ${times(file.watchCount)}`);
  }

  const filled: string[] = [];
  for (const [field, name] of FILLS) {
    if (entry[field] === undefined && file[field] !== undefined) {
      (patch as Record<string, unknown>)[field] = file[field];
      filled.push(name);
    }
  }
  if (filled.length > 0) changes.push(`adds ${filled.join(", ")}`);
  return { patch, changes };
}

function place(season: number | undefined, episode: number | undefined): string | undefined {
  if (season === undefined) return undefined;
  return episode === undefined ? `S${season}` : `S${season}E${episode}`;
}

function times(n: number): string {
  return n === 1 ? "once" : n === 2 ? "twice" : `${n} times`;
}

// === In words

/** Most entries a summary names with their changes. */
const MAX_LISTED_UPDATES = 5;
const MAX_TITLE_SHOWN = 60;

/** The summary's lines about what the list has already: "3 are already in your list; 2 of them …". */
export function planLines(plan: ImportPlan): string[] {
  const already = plan.same + plan.updates.length;
  if (already === 0) return [];
  const head = `${already} ${already === 1 ? "is" : "are"} already in your list`;
  if (plan.updates.length === 0) return [`${head}.`];
  const n = plan.updates.length;
  const lines = [`${head}; ${already === n ? (n === 1 ? "the file has" : "for all of them the file has") : `for ${n} of them the file has`} something newer:`];
  for (const u of plan.updates.slice(0, MAX_LISTED_UPDATES)) lines.push(`• ${shorten(u.title)}: ${u.changes.join(", ")}`);
  if (n > MAX_LISTED_UPDATES) lines.push(`• and ${n - MAX_LISTED_UPDATES} more`);
  return lines;
}

function shorten(title: string): string {
  const chars = [...title];
  return chars.length > MAX_TITLE_SHOWN ? `${chars.slice(0, MAX_TITLE_SHOWN - 1).join("")}…` : title;
}

// The media list as the agent sees it: the port it writes and reads entries through. The
// application implements it once for SQLite and PostgreSQL (src/store/media.ts). Every call is
// scoped to one chat: an id from another chat is simply not found. Reads outside a step see
// committed data only; a journaled ctx.write step reads and writes through `within(tx)`, the same
// list bound to that step's transaction.
import type { Tx } from "../../runtime/store.js";

export type EntryKind = "book" | "movie" | "show" | "quote";
export const ENTRY_KINDS: readonly EntryKind[] = ["book", "movie", "show", "quote"];

export const BOOK_STATUSES = ["want", "reading", "finished", "dropped"] as const;
export const SHOW_STATUSES = ["watching", "finished", "paused", "dropped"] as const;
export type BookStatus = (typeof BOOK_STATUSES)[number];
export type ShowStatus = (typeof SHOW_STATUSES)[number];

/** The fields a person can set on an entry; which apply depends on the kind. */
export interface EntryFields {
  title: string;
  /** Books and quotes. */
  author?: string;
  /** Movies (release year). */
  year?: number;
  /** 1–5, half stars allowed. Books, movies, shows. */
  rating?: number;
  /** Shows: where the person is. */
  season?: number;
  episode?: number;
  /** Books: BookStatus; movies: MovieStatus; shows: ShowStatus (fields.ts has each kind's list). */
  status?: string;
  /** Books. */
  currentPage?: number;
  /** Books: the day it was finished (YYYY-MM-DD). */
  finishedOn?: string;
  /** Movies: the day it was watched (YYYY-MM-DD). */
  watchedOn?: string;
  /** Quotes: the quote itself (title is then the work it comes from). */
  quoteText?: string;
  notes?: string;
  /** Books: ISBN-10 or ISBN-13, digits (and a final X) only. */
  isbn?: string;
  /** Books: how many pages the book has. */
  pages?: number;
  /** Books: how many times it was read. */
  readCount?: number;
  /** Movies: how many times it was watched. */
  watchCount?: number;
  /** Movies and shows: the TMDB id. */
  tmdbId?: number;
  /** Books: the Open Library key (OL…W, OL…M). */
  openLibraryKey?: string;
  coverUrl?: string;
  /** Shows: the TVmaze id (set when the show was picked from TVmaze; new-episode alerts check shows that have one). */
  tvmazeId?: number;
  /** Shows: episode counts per season, keyed by season number: { "1": 9, "2": 10 }. */
  seasonEpisodes?: Record<string, number>;
  /** Shows: the last new episode the chat was told about, "S2E6" (never announced twice). */
  lastAlerted?: string;
}

/** One dated thing that happened to an entry. `at` is a day (YYYY-MM-DD) or an ISO 8601 instant. */
export type HistoryEvent =
  | { at: string; event: "watched" }                                   // a movie watched (again)
  | { at: string; event: "finished" }                                  // a book finished (again)
  | { at: string; event: "episode"; season: number; episode: number } // one episode of a show watched
  | { at: string; event: "rated"; rating: number }
  | { at: string; event: "status"; status: string };

/** A history event with the entry it belongs to (stats, plain-language questions). */
export type ChatEvent = HistoryEvent & { entryId: string };

/** Events a card shows: the last few. */
export const RECENT_EVENTS = 3;

export interface NewEntry extends EntryFields {
  id: string;
  kind: EntryKind;
  addedAtMs: number;
  /** Where an imported entry came from; a second entry with the same key in a chat is refused. */
  importKey?: string;
  /** When it last changed; defaults to addedAtMs (an import keeps the exported value). */
  updatedAtMs?: number;
  /** Dated events an import brings; written with the entry, in the same transaction. */
  history?: HistoryEvent[];
}

export interface Entry extends NewEntry {
  chatId: string;
  updatedAtMs: number;
  /** Every event, oldest first: only on entries read with `everything` (exports). */
  history?: HistoryEvent[];
  /** The last RECENT_EVENTS events, oldest first: on entries read one at a time (get, add, update) for cards. */
  recent?: HistoryEvent[];
}

/** A change to an entry's fields; `null` clears an optional field. */
export type EntryPatch = { [K in keyof EntryFields]?: EntryFields[K] | null };

export interface ListQuery {
  kind?: EntryKind;
  status?: string;
  /** Case-insensitive match in title, author, quote text and notes. */
  text?: string;
  limit?: number;
  offset?: number;
}

/** A show being watched (status watching or none) with a TVmaze id, in some chat: what the new-episode check reads. */
export interface WatchedShow {
  chatId: string;
  entryId: string;
  tvmazeId: number;
  season?: number;
  episode?: number;
  lastAlerted?: string;
}

/** Reads of the list. */
export interface MediaReader {
  get(chatId: string, id: string): Promise<Entry | undefined>;
  /** Entries matching the query, newest first. */
  list(chatId: string, query?: ListQuery): Promise<Entry[]>;
  count(chatId: string, query?: Omit<ListQuery, "limit" | "offset">): Promise<number>;
  /** Every entry of one chat, or of every chat when `chatId` is undefined, oldest first (exports). */
  everything(chatId?: string): Promise<Entry[]>;
  /** Every show being watched that has a TVmaze id, across all chats (the new-episode check). */
  watchedShows(): Promise<WatchedShow[]>;
  /** One entry's events, oldest first; with `last`, only the last that many. */
  history(chatId: string, entryId: string, last?: number): Promise<HistoryEvent[]>;
  /** The chat's events with `from <= at < to` (text comparison: "2024" to "2025" is the year 2024), oldest first. */
  events(chatId: string, from: string, to: string): Promise<ChatEvent[]>;
}

/**
 * The list inside one write's transaction: its reads see that write's own changes, and each call
 * that writes is all or nothing (a call that throws leaves nothing of itself behind).
 */
export interface MediaWriter extends MediaReader {
  /** Adds an entry; throws if its id (or import key) exists in the chat. */
  add(chatId: string, entry: NewEntry): Promise<Entry>;
  /** Adds the entries whose import key the chat does not have yet; returns how many of each. */
  addMany(chatId: string, entries: NewEntry[]): Promise<{ added: number; duplicates: number }>;
  /**
   * Applies a patch; returns the updated entry, or undefined when the chat has no such entry. What
   * the patch changes is recorded as events in the same transaction: a new rating (rated), a new
   * status (status), a show's place moving forward (episode), a watchedOn/finishedOn set to a new
   * day (watched/finished on that day). Events without a day of their own are dated `nowMs`.
   */
  update(chatId: string, id: string, patch: EntryPatch, nowMs: number): Promise<Entry | undefined>;
  /** Deletes an entry; false when the chat has no such entry. */
  remove(chatId: string, id: string): Promise<boolean>;
  /** Deletes all of a chat's entries (and so their events); returns how many. */
  removeAll(chatId: string): Promise<number>;
}

/** What the agent is given: reads of committed data, and the list bound to a write's transaction. */
export interface MediaStore extends MediaReader {
  /** The list inside `tx` (the transaction ctx.write hands its function); cheap, one per write. */
  within(tx: Tx): MediaWriter;
}

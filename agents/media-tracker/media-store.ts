// The media list as the agent sees it: the port it writes and reads entries through. The
// application implements it on SQLite (src/store/media.ts). Every call is scoped to one chat:
// an id from another chat is simply not found. Calls are synchronous so that writes can run
// inside a journaled ctx.write step.

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
}

/** One dated thing that happened to an entry. `at` is a day (YYYY-MM-DD) or an ISO 8601 instant. */
export type HistoryEvent =
  | { at: string; event: "watched" }                                   // a movie watched (again)
  | { at: string; event: "finished" }                                  // a book finished (again)
  | { at: string; event: "episode"; season: number; episode: number } // one episode of a show watched
  | { at: string; event: "rated"; rating: number }
  | { at: string; event: "status"; status: string };

export interface NewEntry extends EntryFields {
  id: string;
  kind: EntryKind;
  addedAtMs: number;
  /** Where an imported entry came from; a second entry with the same key in a chat is refused. */
  importKey?: string;
  /** When it last changed; defaults to addedAtMs (an import keeps the exported value). */
  updatedAtMs?: number;
  /** Events an import brings; the store writes them with the entry, in the same transaction. */
  history?: HistoryEvent[];
}

export interface Entry extends NewEntry {
  chatId: string;
  updatedAtMs: number;
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

export interface MediaStore {
  /** Adds an entry; throws if its id (or import key) exists in the chat. */
  add(chatId: string, entry: NewEntry): Entry;
  /** Adds the entries whose import key the chat does not have yet; returns how many of each. */
  addMany(chatId: string, entries: NewEntry[]): { added: number; duplicates: number };
  get(chatId: string, id: string): Entry | undefined;
  /** Applies a patch; returns the updated entry, or undefined when the chat has no such entry. */
  update(chatId: string, id: string, patch: EntryPatch, nowMs: number): Entry | undefined;
  /** Deletes an entry; false when the chat has no such entry. */
  remove(chatId: string, id: string): boolean;
  /** Entries matching the query, newest first. */
  list(chatId: string, query?: ListQuery): Entry[];
  count(chatId: string, query?: Omit<ListQuery, "limit" | "offset">): number;
  /** Every entry of one chat, or of every chat when `chatId` is undefined, oldest first (exports). */
  everything(chatId?: string): Entry[];
  /** Deletes all of a chat's entries; returns how many. */
  removeAll(chatId: string): number;
}

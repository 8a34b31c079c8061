// The media list as the agent sees it: the port it writes and reads entries through. The
// application implements it on SQLite (src/store/media.ts); every call is scoped to one chat.

export type EntryKind = "book" | "movie" | "show" | "quote";

export interface NewEntry {
  id: string;
  kind: EntryKind;
  title: string;
  author?: string;
  year?: number;
  rating?: number;
  season?: number;
  episode?: number;
  status?: string;
  quoteText?: string;
  notes?: string;
  addedAtMs: number;
}

export interface Entry extends NewEntry {
  chatId: string;
  updatedAtMs: number;
}

export interface MediaStore {
  /** Adds an entry to the chat's list; synchronous, so it can run inside a journaled write. */
  add(chatId: string, entry: NewEntry): Entry;
  /** The chat's entries, newest first. */
  list(chatId: string, options?: { kind?: EntryKind; limit?: number; offset?: number }): Entry[];
  count(chatId: string, kind?: EntryKind): number;
  /** Every entry of one chat, or of every chat when `chatId` is undefined, oldest first (for exports). */
  everything(chatId?: string): Entry[];
}

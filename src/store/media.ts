// The media list on any database of the seam (SQLite, PostgreSQL): the entries table. One SQL for
// both: `?` placeholders, ON CONFLICT, no dialect branch. Every statement is filtered by chat id
// and takes its values as parameters. Text search compares folded text (search-text.ts) with LIKE
// and escapes its wildcards: the column and the query are both lower case already, so SQLite's
// case-blind LIKE and PostgreSQL's case-exact one find the same rows.
import type { Sql, Tx } from "../../runtime/store.js";
import type {
  Entry, EntryKind, EntryPatch, ListQuery, MediaReader, MediaStore, MediaWriter, NewEntry, WatchedShow,
} from "../../agents/media-tracker/media-store.js";
import { RECENT_EVENTS } from "../../agents/media-tracker/media-store.js";
import { eventsOfChange, validEvents } from "../../agents/media-tracker/history/events.js";
import { eventsBetween, eventsByEntry, eventsOfEntry, recordEvents } from "./events.js";
import { foldQuery, searchTextOf } from "./search-text.js";
import { storable } from "./storable-text.js";

interface Row {
  id: string;
  chat_id: string;
  kind: EntryKind;
  title: string;
  author: string | null;
  year: number | null;
  rating: number | null;
  season: number | null;
  episode: number | null;
  status: string | null;
  current_page: number | null;
  finished_on: string | null;
  watched_on: string | null;
  quote_text: string | null;
  notes: string | null;
  import_key: string | null;
  search_text: string | null;
  isbn: string | null;
  pages: number | null;
  read_count: number | null;
  watch_count: number | null;
  tmdb_id: number | null;
  open_library_key: string | null;
  cover_url: string | null;
  tvmaze_id: number | null;
  season_episodes: string | null;
  last_alerted: string | null;
  added_at_ms: number;
  updated_at_ms: number;
}

/** Entry field → column, for inserts and patches. */
const COLUMNS = {
  title: "title",
  author: "author",
  year: "year",
  rating: "rating",
  season: "season",
  episode: "episode",
  status: "status",
  currentPage: "current_page",
  finishedOn: "finished_on",
  watchedOn: "watched_on",
  quoteText: "quote_text",
  notes: "notes",
  isbn: "isbn",
  pages: "pages",
  readCount: "read_count",
  watchCount: "watch_count",
  tmdbId: "tmdb_id",
  openLibraryKey: "open_library_key",
  coverUrl: "cover_url",
  tvmazeId: "tvmaze_id",
  seasonEpisodes: "season_episodes",
  lastAlerted: "last_alerted",
} as const satisfies Record<keyof EntryPatch, string>;

/** The fields search_text is made of: a patch to one of them refreshes it. */
const SEARCHED: ReadonlyArray<keyof EntryPatch> = ["title", "author", "quoteText", "notes"];

/** Every column an insert writes, in the order toRow gives their values. */
const INSERTED = [
  "id", "chat_id", "kind", "title", "author", "year", "rating", "season", "episode", "status", "current_page",
  "finished_on", "watched_on", "quote_text", "notes", "import_key", "search_text", "added_at_ms", "updated_at_ms",
  "isbn", "pages", "read_count", "watch_count", "tmdb_id", "open_library_key", "cover_url", "tvmaze_id", "season_episodes", "last_alerted",
] as const;
const INSERT = `INSERT INTO entries (${INSERTED.join(", ")}) VALUES (${INSERTED.map(() => "?").join(", ")})`;
/** The same, for imports: an entry whose id or import key the chat has already is left out. */
const INSERT_IF_NEW = `${INSERT} ON CONFLICT DO NOTHING`;
const BY_ID = `SELECT * FROM entries WHERE chat_id = ? AND id = ?`;
const REMOVE_ONE = `DELETE FROM entries WHERE chat_id = ? AND id = ?`;
const REMOVE_CHAT = `DELETE FROM entries WHERE chat_id = ?`;
const OF_CHAT = `SELECT * FROM entries WHERE chat_id = ? ORDER BY added_at_ms, id`;
const OF_EVERY_CHAT = `SELECT * FROM entries ORDER BY chat_id, added_at_ms, id`;
const WATCHED_SHOWS = `SELECT chat_id, id, tvmaze_id, season, episode, last_alerted FROM entries
  WHERE tvmaze_id IS NOT NULL AND kind = 'show' AND (status IS NULL OR status = 'watching') ORDER BY tvmaze_id, chat_id`;

/**
 * The list on `sql`: reads only. Give it `store.read` for committed data; `within(tx)` gives the list
 * inside a write's transaction, which also writes. Cheap to call: it prepares nothing (the driver
 * keeps each statement once).
 */
export function createMediaStore(sql: Sql): MediaStore {
  return { ...mediaReader(sql), within: mediaWriter };
}

function mediaReader(sql: Sql): MediaReader {
  return {
    async get(chatId, id) {
      const row = await sql.get<Row>(BY_ID, [chatId, id]);
      return row ? withRecent(sql, fromRow(row)) : undefined;
    },
    async list(chatId, query = {}) {
      const { clause, params } = where(chatId, query);
      const rows = await sql.all<Row>(
        `SELECT * FROM entries WHERE ${clause} ORDER BY added_at_ms DESC, id DESC LIMIT ? OFFSET ?`,
        [...params, query.limit ?? 50, query.offset ?? 0],
      );
      return rows.map(fromRow);
    },
    async count(chatId, query = {}) {
      const { clause, params } = where(chatId, query);
      const row = await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM entries WHERE ${clause}`, params);
      return row?.n ?? 0;
    },
    async everything(chatId) {
      // Entries first, then their events: whatever events an entry read here has were committed
      // with it or before it. (Two statements, so a write landing between them may add an event
      // newer than the entry's row; the chat's own writes never do, they wait for its handler.)
      const rows = chatId === undefined ? await sql.all<Row>(OF_EVERY_CHAT) : await sql.all<Row>(OF_CHAT, [chatId]);
      const histories = await eventsByEntry(sql, chatId);
      return rows.map((row) => {
        const entry = fromRow(row);
        const history = histories.get(entry.id);
        return history ? { ...entry, history } : entry;
      });
    },
    async watchedShows() {
      type WatchedRow = Pick<Row, "chat_id" | "id" | "season" | "episode" | "last_alerted"> & { tvmaze_id: number };
      const rows = await sql.all<WatchedRow>(WATCHED_SHOWS);
      return rows.map((r): WatchedShow => ({
        chatId: r.chat_id,
        entryId: r.id,
        tvmazeId: r.tvmaze_id,
        ...(r.season !== null ? { season: r.season } : {}),
        ...(r.episode !== null ? { episode: r.episode } : {}),
        ...(r.last_alerted !== null ? { lastAlerted: r.last_alerted } : {}),
      }));
    },
    history(chatId, entryId, last) {
      return eventsOfEntry(sql, chatId, entryId, last);
    },
    events(chatId, from, to) {
      return eventsBetween(sql, chatId, from, to);
    },
  };
}

/** The list inside a write: reads see the write's own changes; a call that writes is all or nothing. */
function mediaWriter(tx: Tx): MediaWriter {
  return {
    ...mediaReader(tx),
    add(chatId, entry) {
      return tx.savepoint(async (tx) => {
        await tx.run(INSERT, toRow(chatId, entry));
        await recordNew(tx, chatId, entry);
        const row = await tx.get<Row>(BY_ID, [chatId, entry.id]);
        return withRecent(tx, fromRow(row!));
      });
    },
    addMany(chatId, entries) {
      return tx.savepoint(async (tx) => {
        let added = 0;
        for (const entry of entries) {
          const inserted = (await tx.run(INSERT_IF_NEW, toRow(chatId, entry))).changes;
          if (inserted === 1) await recordNew(tx, chatId, entry);
          added += inserted;
        }
        return { added, duplicates: entries.length - added };
      });
    },
    update(chatId, id, patch, nowMs) {
      return tx.savepoint(async (tx) => {
        const beforeRow = await tx.get<Row>(BY_ID, [chatId, id]);
        if (!beforeRow) return undefined;
        const fields = (Object.keys(patch) as Array<keyof EntryPatch>).filter((f) => f in COLUMNS && patch[f] !== undefined);
        const sets = fields.map((f) => `${COLUMNS[f]} = ?`);
        const values = fields.map((f) => columnValue(f, patch[f]));
        if (fields.some((f) => SEARCHED.includes(f))) {
          sets.push("search_text = ?");
          values.push(searchTextOf(searchedAfter(beforeRow, patch)));
        }
        sets.push("updated_at_ms = ?");
        const changed = await tx.run(`UPDATE entries SET ${sets.join(", ")} WHERE chat_id = ? AND id = ?`, [...values, nowMs, chatId, id]);
        if (changed.changes !== 1) return undefined;
        const after = fromRow((await tx.get<Row>(BY_ID, [chatId, id]))!);
        await recordEvents(tx, chatId, id, eventsOfChange(after.kind, fromRow(beforeRow), after, nowMs));
        return withRecent(tx, after);
      });
    },
    async remove(chatId, id) {
      return (await tx.run(REMOVE_ONE, [chatId, id])).changes === 1;
    },
    async removeAll(chatId) {
      return (await tx.run(REMOVE_CHAT, [chatId])).changes;
    },
  };
}

/** An entry read one at a time carries its last events, for its card. */
async function withRecent(sql: Sql, entry: Entry): Promise<Entry> {
  const recent = await eventsOfEntry(sql, entry.chatId, entry.id, RECENT_EVENTS);
  return recent.length > 0 ? { ...entry, recent } : entry;
}

/** A new entry's events: those an import brings, else what its fields say (a watch day, a rating). */
function recordNew(tx: Tx, chatId: string, entry: NewEntry): Promise<void> {
  const history = entry.history ? validEvents(entry.history) : eventsOfChange(entry.kind, {}, entry, entry.addedAtMs);
  return recordEvents(tx, chatId, entry.id, history);
}

/** The searched fields as the patch leaves them. */
function searchedAfter(before: Row, patch: EntryPatch) {
  const pick = (field: "title" | "author" | "quoteText" | "notes", stored: string | null) =>
    patch[field] === undefined ? stored : (storable(patch[field]) ?? null);
  return {
    title: pick("title", before.title) ?? "",
    author: pick("author", before.author),
    quoteText: pick("quoteText", before.quote_text),
    notes: pick("notes", before.notes),
  };
}

function where(chatId: string, query: Omit<ListQuery, "limit" | "offset">): { clause: string; params: unknown[] } {
  const clauses = ["chat_id = ?"];
  const params: unknown[] = [chatId];
  if (query.kind) {
    clauses.push("kind = ?");
    params.push(query.kind);
  }
  if (query.status) {
    // A movie with no status counts as watched (fields.ts, movieStatus).
    clauses.push(query.status === "watched" ? "(status = ? OR (status IS NULL AND kind = 'movie'))" : "status = ?");
    params.push(query.status);
  }
  if (query.text) {
    clauses.push(`search_text LIKE ? ESCAPE '\\'`);
    params.push(`%${foldQuery(query.text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  return { clause: clauses.join(" AND "), params };
}

/** A new entry's values, in INSERTED's order; text without what a database cannot hold (storable-text.ts). */
function toRow(chatId: string, e: NewEntry): unknown[] {
  const row: Record<(typeof INSERTED)[number], unknown> = {
    id: e.id,
    chat_id: chatId,
    kind: e.kind,
    title: e.title,
    author: e.author ?? null,
    year: e.year ?? null,
    rating: e.rating ?? null,
    season: e.season ?? null,
    episode: e.episode ?? null,
    status: e.status ?? null,
    current_page: e.currentPage ?? null,
    finished_on: e.finishedOn ?? null,
    watched_on: e.watchedOn ?? null,
    quote_text: e.quoteText ?? null,
    notes: e.notes ?? null,
    import_key: e.importKey ?? null,
    search_text: searchTextOf(e),
    added_at_ms: e.addedAtMs,
    updated_at_ms: e.updatedAtMs ?? e.addedAtMs,
    isbn: e.isbn ?? null,
    pages: e.pages ?? null,
    read_count: e.readCount ?? null,
    watch_count: e.watchCount ?? null,
    tmdb_id: e.tmdbId ?? null,
    open_library_key: e.openLibraryKey ?? null,
    cover_url: e.coverUrl ?? null,
    tvmaze_id: e.tvmazeId ?? null,
    season_episodes: columnValue("seasonEpisodes", e.seasonEpisodes),
    last_alerted: e.lastAlerted ?? null,
  };
  return INSERTED.map((column) => storable(row[column]));
}

/** A field's value as its column holds it: episode counts per season are JSON text. */
function columnValue(field: keyof EntryPatch, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return field === "seasonEpisodes" ? JSON.stringify(value) : storable(value);
}

function fromRow(r: Row): Entry {
  const entry: Entry = {
    id: r.id, chatId: r.chat_id, kind: r.kind, title: r.title, addedAtMs: r.added_at_ms, updatedAtMs: r.updated_at_ms,
  };
  if (r.author !== null) entry.author = r.author;
  if (r.year !== null) entry.year = r.year;
  if (r.rating !== null) entry.rating = r.rating;
  if (r.season !== null) entry.season = r.season;
  if (r.episode !== null) entry.episode = r.episode;
  if (r.status !== null) entry.status = r.status;
  if (r.current_page !== null) entry.currentPage = r.current_page;
  if (r.finished_on !== null) entry.finishedOn = r.finished_on;
  if (r.watched_on !== null) entry.watchedOn = r.watched_on;
  if (r.quote_text !== null) entry.quoteText = r.quote_text;
  if (r.notes !== null) entry.notes = r.notes;
  if (r.isbn !== null) entry.isbn = r.isbn;
  if (r.pages !== null) entry.pages = r.pages;
  if (r.read_count !== null) entry.readCount = r.read_count;
  if (r.watch_count !== null) entry.watchCount = r.watch_count;
  if (r.tmdb_id !== null) entry.tmdbId = r.tmdb_id;
  if (r.open_library_key !== null) entry.openLibraryKey = r.open_library_key;
  if (r.cover_url !== null) entry.coverUrl = r.cover_url;
  if (r.tvmaze_id !== null) entry.tvmazeId = r.tvmaze_id;
  if (r.season_episodes !== null) entry.seasonEpisodes = JSON.parse(r.season_episodes) as Record<string, number>;
  if (r.last_alerted !== null) entry.lastAlerted = r.last_alerted;
  if (r.import_key !== null) entry.importKey = r.import_key;
  return entry;
}


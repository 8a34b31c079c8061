// The media list on SQLite: the entries table. Every statement is filtered by chat id and takes
// its values as parameters; text search compares folded text (search-text.ts) and escapes LIKE wildcards.
import type { Statement } from "better-sqlite3";
import type { Database } from "../../runtime/index.js";
import type {
  Entry, EntryKind, EntryPatch, ListQuery, MediaStore, NewEntry,
} from "../../agents/media-tracker/media-store.js";
import { RECENT_EVENTS } from "../../agents/media-tracker/media-store.js";
import { eventsOfChange, validEvents } from "../../agents/media-tracker/history/events.js";
import { createEventTable } from "./events.js";
import { foldQuery, searchTextOf } from "./search-text.js";

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
/** Rows filled per transaction when an older database is brought up to date. */
const FILL_BATCH = 500;

export function createMediaStore(db: Database): MediaStore {
  fillSearchText(db);
  const events = createEventTable(db);
  /** An entry read one at a time carries its last events, for its card. */
  const withRecent = (entry: Entry): Entry => {
    const recent = events.forEntry(entry.chatId, entry.id, RECENT_EVENTS);
    return recent.length > 0 ? { ...entry, recent } : entry;
  };
  /** A new entry's events: those an import brings, else what its fields say (a watch day, a rating). */
  const recordNew = (chatId: string, entry: NewEntry) => {
    const history = entry.history ? validEvents(entry.history) : eventsOfChange(entry.kind, {}, entry, entry.addedAtMs);
    events.record(chatId, entry.id, history);
  };
  const insert = db.prepare(
    `INSERT INTO entries (id, chat_id, kind, title, author, year, rating, season, episode, status, current_page,
       finished_on, watched_on, quote_text, notes, import_key, search_text, added_at_ms, updated_at_ms,
       isbn, pages, read_count, watch_count, tmdb_id, open_library_key, cover_url, tvmaze_id, season_episodes, last_alerted)
     VALUES (@id, @chat_id, @kind, @title, @author, @year, @rating, @season, @episode, @status, @current_page,
       @finished_on, @watched_on, @quote_text, @notes, @import_key, @search_text, @added_at_ms, @updated_at_ms,
       @isbn, @pages, @read_count, @watch_count, @tmdb_id, @open_library_key, @cover_url, @tvmaze_id, @season_episodes, @last_alerted)`,
  );
  const insertIfNew = db.prepare(
    `INSERT INTO entries (id, chat_id, kind, title, author, year, rating, season, episode, status, current_page,
       finished_on, watched_on, quote_text, notes, import_key, search_text, added_at_ms, updated_at_ms,
       isbn, pages, read_count, watch_count, tmdb_id, open_library_key, cover_url, tvmaze_id, season_episodes, last_alerted)
     VALUES (@id, @chat_id, @kind, @title, @author, @year, @rating, @season, @episode, @status, @current_page,
       @finished_on, @watched_on, @quote_text, @notes, @import_key, @search_text, @added_at_ms, @updated_at_ms,
       @isbn, @pages, @read_count, @watch_count, @tmdb_id, @open_library_key, @cover_url, @tvmaze_id, @season_episodes, @last_alerted)
     ON CONFLICT DO NOTHING`,
  );
  const byId = db.prepare(`SELECT * FROM entries WHERE chat_id = ? AND id = ?`);
  const setSearchText = db.prepare(`UPDATE entries SET search_text = ? WHERE chat_id = ? AND id = ?`);
  const removeOne = db.prepare(`DELETE FROM entries WHERE chat_id = ? AND id = ?`);
  const removeChat = db.prepare(`DELETE FROM entries WHERE chat_id = ?`);
  const chatAll = db.prepare(`SELECT * FROM entries WHERE chat_id = ? ORDER BY added_at_ms, id`);
  const everyChat = db.prepare(`SELECT * FROM entries ORDER BY chat_id, added_at_ms, id`);
  const watched = db.prepare(
    `SELECT chat_id AS chatId, id AS entryId, tvmaze_id AS tvmazeId, season, episode, last_alerted AS lastAlerted FROM entries
     WHERE tvmaze_id IS NOT NULL AND kind = 'show' AND (status IS NULL OR status = 'watching') ORDER BY tvmaze_id, chat_id`,
  );
  // Patches set only the fields they name; prepared per set of fields and kept.
  const updates = new Map<string, Statement<unknown[]>>();
  const queries = new Map<string, Statement<unknown[]>>();

  function where(chatId: string, query: Omit<ListQuery, "limit" | "offset">): { sql: string; params: unknown[] } {
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
    return { sql: clauses.join(" AND "), params };
  }

  function prepared(cache: Map<string, Statement<unknown[]>>, sql: string) {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  }

  return {
    add: db.transaction((chatId: string, entry: NewEntry) => {
      insert.run(toRow(chatId, entry));
      recordNew(chatId, entry);
      return withRecent(fromRow(byId.get(chatId, entry.id) as Row));
    }),
    addMany: db.transaction((chatId: string, entries: NewEntry[]) => {
      let added = 0;
      for (const entry of entries) {
        const inserted = insertIfNew.run(toRow(chatId, entry)).changes;
        if (inserted === 1) recordNew(chatId, entry);
        added += inserted;
      }
      return { added, duplicates: entries.length - added };
    }),
    get(chatId, id) {
      const row = byId.get(chatId, id) as Row | undefined;
      return row ? withRecent(fromRow(row)) : undefined;
    },
    update: db.transaction((chatId: string, id: string, patch: EntryPatch, nowMs: number) => {
      const beforeRow = byId.get(chatId, id) as Row | undefined;
      if (!beforeRow) return undefined;
      const fields = (Object.keys(patch) as Array<keyof EntryPatch>).filter((f) => f in COLUMNS && patch[f] !== undefined);
      const sets = fields.map((f) => `${COLUMNS[f]} = ?`).concat("updated_at_ms = ?");
      const statement = prepared(updates, `UPDATE entries SET ${sets.join(", ")} WHERE chat_id = ? AND id = ?`);
      const changed = statement.run(...fields.map((f) => columnValue(f, patch[f])), nowMs, chatId, id).changes;
      if (changed !== 1) return undefined;
      const row = byId.get(chatId, id) as Row;
      if (fields.some((f) => SEARCHED.includes(f))) {
        row.search_text = searchTextOf({ title: row.title, author: row.author, quoteText: row.quote_text, notes: row.notes });
        setSearchText.run(row.search_text, chatId, id);
      }
      const after = fromRow(row);
      events.record(chatId, id, eventsOfChange(after.kind, fromRow(beforeRow), after, nowMs));
      return withRecent(after);
    }),
    remove(chatId, id) {
      return removeOne.run(chatId, id).changes === 1;
    },
    list(chatId, query = {}) {
      const { sql, params } = where(chatId, query);
      const statement = prepared(queries, `SELECT * FROM entries WHERE ${sql} ORDER BY added_at_ms DESC, id DESC LIMIT ? OFFSET ?`);
      return (statement.all(...params, query.limit ?? 50, query.offset ?? 0) as Row[]).map(fromRow);
    },
    count(chatId, query = {}) {
      const { sql, params } = where(chatId, query);
      return (prepared(queries, `SELECT COUNT(*) AS n FROM entries WHERE ${sql}`).get(...params) as { n: number }).n;
    },
    everything(chatId) {
      const rows = chatId === undefined ? everyChat.all() : chatAll.all(chatId);
      const histories = events.byEntry(chatId);
      return (rows as Row[]).map((row) => {
        const entry = fromRow(row);
        const history = histories.get(entry.id);
        return history ? { ...entry, history } : entry;
      });
    },
    watchedShows() {
      type WatchedRow = { chatId: string; entryId: string; tvmazeId: number; season: number | null; episode: number | null; lastAlerted: string | null };
      return (watched.all() as WatchedRow[]).map(({ season, episode, lastAlerted, ...show }) => ({
        ...show,
        ...(season !== null ? { season } : {}),
        ...(episode !== null ? { episode } : {}),
        ...(lastAlerted !== null ? { lastAlerted } : {}),
      }));
    },
    removeAll(chatId) {
      return removeChat.run(chatId).changes;
    },
    history(chatId, entryId, last) {
      return events.forEntry(chatId, entryId, last);
    },
    events(chatId, from, to) {
      return events.between(chatId, from, to);
    },
  };
}

function toRow(chatId: string, e: NewEntry) {
  return {
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
}

/** A field's value as its column holds it: episode counts per season are JSON text. */
function columnValue(field: keyof EntryPatch, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return field === "seasonEpisodes" ? JSON.stringify(value) : value;
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

/**
 * Fills search_text where it is missing: rows written before migration 0006 added it. Runs when a
 * store opens, before anything is served, in small transactions; finds nothing (through the
 * partial index entries_unfolded) once done, so a second process opening the database costs nothing.
 */
function fillSearchText(db: Database): void {
  const missing = db.prepare(`SELECT id, title, author, quote_text, notes FROM entries WHERE search_text IS NULL LIMIT ${FILL_BATCH}`);
  const set = db.prepare(`UPDATE entries SET search_text = ? WHERE id = ? AND search_text IS NULL`);
  const fillBatch = db.transaction(() => {
    const rows = missing.all() as Array<Pick<Row, "id" | "title" | "author" | "quote_text" | "notes">>;
    for (const r of rows) set.run(searchTextOf({ title: r.title, author: r.author, quoteText: r.quote_text, notes: r.notes }), r.id);
    return rows.length;
  });
  if (missing.get() === undefined) return;
  while (fillBatch() === FILL_BATCH);
}

// The media list on SQLite: the entries table, always filtered by chat id, all SQL parameterised.
import type { Database } from "../../runtime/index.js";
import type { Entry, EntryKind, MediaStore, NewEntry } from "../../agents/media-tracker/media-store.js";

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
  quote_text: string | null;
  notes: string | null;
  added_at_ms: number;
  updated_at_ms: number;
}

export function createMediaStore(db: Database): MediaStore {
  const insert = db.prepare(
    `INSERT INTO entries (id, chat_id, kind, title, author, year, rating, season, episode, status, quote_text, notes,
       added_at_ms, updated_at_ms)
     VALUES (@id, @chat_id, @kind, @title, @author, @year, @rating, @season, @episode, @status, @quote_text, @notes,
       @added_at_ms, @added_at_ms)`,
  );
  const byId = db.prepare(`SELECT * FROM entries WHERE id = ? AND chat_id = ?`);
  const listAll = db.prepare(`SELECT * FROM entries WHERE chat_id = ? ORDER BY added_at_ms DESC, id DESC LIMIT ? OFFSET ?`);
  const listKind = db.prepare(
    `SELECT * FROM entries WHERE chat_id = ? AND kind = ? ORDER BY added_at_ms DESC, id DESC LIMIT ? OFFSET ?`,
  );
  const chatAll = db.prepare(`SELECT * FROM entries WHERE chat_id = ? ORDER BY added_at_ms, id`);
  const everyChat = db.prepare(`SELECT * FROM entries ORDER BY chat_id, added_at_ms, id`);
  const countAll = db.prepare(`SELECT COUNT(*) FROM entries WHERE chat_id = ?`).pluck();
  const countKind = db.prepare(`SELECT COUNT(*) FROM entries WHERE chat_id = ? AND kind = ?`).pluck();

  return {
    add(chatId, entry) {
      insert.run(toRow(chatId, entry));
      return fromRow(byId.get(entry.id, chatId) as Row);
    },
    list(chatId, { kind, limit = 50, offset = 0 } = {}) {
      const rows = kind ? listKind.all(chatId, kind, limit, offset) : listAll.all(chatId, limit, offset);
      return (rows as Row[]).map(fromRow);
    },
    count(chatId, kind) {
      return (kind ? countKind.get(chatId, kind) : countAll.get(chatId)) as number;
    },
    everything(chatId) {
      const rows = chatId === undefined ? everyChat.all() : chatAll.all(chatId);
      return (rows as Row[]).map(fromRow);
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
    quote_text: e.quoteText ?? null,
    notes: e.notes ?? null,
    added_at_ms: e.addedAtMs,
  };
}

function fromRow(r: Row): Entry {
  const entry: Entry = { id: r.id, chatId: r.chat_id, kind: r.kind, title: r.title, addedAtMs: r.added_at_ms, updatedAtMs: r.updated_at_ms };
  if (r.author !== null) entry.author = r.author;
  if (r.year !== null) entry.year = r.year;
  if (r.rating !== null) entry.rating = r.rating;
  if (r.season !== null) entry.season = r.season;
  if (r.episode !== null) entry.episode = r.episode;
  if (r.status !== null) entry.status = r.status;
  if (r.quote_text !== null) entry.quoteText = r.quote_text;
  if (r.notes !== null) entry.notes = r.notes;
  return entry;
}

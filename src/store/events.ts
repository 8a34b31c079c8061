// Entry history: the entry_events table (SQLite migration 0011, PostgreSQL 0011_media). Every
// statement is filtered by chat id; the media store records events inside its own writes.
import type { Sql } from "../../runtime/store.js";
import type { ChatEvent, HistoryEvent } from "../../agents/media-tracker/media-store.js";
import { storable } from "./storable-text.js";

interface EventRow {
  entry_id: string;
  at: string;
  event: HistoryEvent["event"];
  season: number | null;
  episode: number | null;
  rating: number | null;
  status: string | null;
}

const EVENT_COLUMNS = "(chat_id, entry_id, at, event, season, episode, rating, status)";
const ONE_ROW = "(?, ?, ?, ?, ?, ?, ?, ?)";
/** Rows per INSERT, largest first: an import's long history takes few statements, and only three texts are ever prepared. */
const INSERT_SIZES = [100, 10, 1] as const;
const INSERTS = new Map(INSERT_SIZES.map((n) => [n, `INSERT INTO entry_events ${EVENT_COLUMNS} VALUES ${Array(n).fill(ONE_ROW).join(", ")}`]));
const FOR_ENTRY = `SELECT * FROM entry_events WHERE chat_id = ? AND entry_id = ? ORDER BY at, id`;
// The last n, turned back to oldest first. (PostgreSQL wants the subquery named.)
const LAST_FOR_ENTRY = `SELECT * FROM (SELECT * FROM entry_events WHERE chat_id = ? AND entry_id = ? ORDER BY at DESC, id DESC LIMIT ?) AS last_events ORDER BY at, id`;
const BETWEEN = `SELECT * FROM entry_events WHERE chat_id = ? AND at >= ? AND at < ? ORDER BY at, id`;
const OF_CHAT = `SELECT * FROM entry_events WHERE chat_id = ? ORDER BY entry_id, at, id`;
const OF_EVERY_CHAT = `SELECT * FROM entry_events ORDER BY entry_id, at, id`;

/** Records an entry's events, in order; runs inside the caller's write. */
export async function recordEvents(tx: Sql, chatId: string, entryId: string, events: readonly HistoryEvent[]): Promise<void> {
  let next = 0;
  for (const size of INSERT_SIZES) {
    for (; events.length - next >= size; next += size) {
      await tx.run(INSERTS.get(size)!, events.slice(next, next + size).flatMap((e) => [
        chatId, entryId, e.at, e.event,
        e.event === "episode" ? e.season : null,
        e.event === "episode" ? e.episode : null,
        e.event === "rated" ? e.rating : null,
        e.event === "status" ? storable(e.status) : null,
      ]));
    }
  }
}

/** One entry's events, oldest first; with `last`, only the last that many. */
export async function eventsOfEntry(sql: Sql, chatId: string, entryId: string, last?: number): Promise<HistoryEvent[]> {
  const rows = last === undefined
    ? await sql.all<EventRow>(FOR_ENTRY, [chatId, entryId])
    : await sql.all<EventRow>(LAST_FOR_ENTRY, [chatId, entryId, last]);
  return rows.map(fromRow);
}

/** The chat's events with `from <= at < to`, oldest first. */
export async function eventsBetween(sql: Sql, chatId: string, from: string, to: string): Promise<ChatEvent[]> {
  const rows = await sql.all<EventRow>(BETWEEN, [chatId, from, to]);
  return rows.map((r) => ({ ...fromRow(r), entryId: r.entry_id }));
}

/** Every event of one chat (or of all chats), grouped by entry id, oldest first. */
export async function eventsByEntry(sql: Sql, chatId?: string): Promise<Map<string, HistoryEvent[]>> {
  const rows = chatId === undefined ? await sql.all<EventRow>(OF_EVERY_CHAT) : await sql.all<EventRow>(OF_CHAT, [chatId]);
  const grouped = new Map<string, HistoryEvent[]>();
  for (const r of rows) {
    const list = grouped.get(r.entry_id) ?? [];
    list.push(fromRow(r));
    grouped.set(r.entry_id, list);
  }
  return grouped;
}

function fromRow(r: EventRow): HistoryEvent {
  switch (r.event) {
    case "episode":
      return { at: r.at, event: "episode", season: r.season ?? 0, episode: r.episode ?? 0 };
    case "rated":
      return { at: r.at, event: "rated", rating: r.rating ?? 0 };
    case "status":
      return { at: r.at, event: "status", status: r.status ?? "" };
    default:
      return { at: r.at, event: r.event };
  }
}

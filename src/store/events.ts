// Entry history on SQLite: the entry_events table (migration 0011). Every statement is filtered by
// chat id; the media store calls `record` inside its own write transactions.
import type { Database } from "../../runtime/index.js";
import type { ChatEvent, HistoryEvent } from "../../agents/media-tracker/media-store.js";

interface EventRow {
  entry_id: string;
  at: string;
  event: HistoryEvent["event"];
  season: number | null;
  episode: number | null;
  rating: number | null;
  status: string | null;
}

export interface EventTable {
  record(chatId: string, entryId: string, events: readonly HistoryEvent[]): void;
  forEntry(chatId: string, entryId: string, last?: number): HistoryEvent[];
  between(chatId: string, from: string, to: string): ChatEvent[];
  /** Every event of one chat (or of all chats), grouped by entry id, oldest first. */
  byEntry(chatId?: string): Map<string, HistoryEvent[]>;
}

export function createEventTable(db: Database): EventTable {
  const insert = db.prepare(
    `INSERT INTO entry_events (chat_id, entry_id, at, event, season, episode, rating, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const all = db.prepare(`SELECT * FROM entry_events WHERE chat_id = ? AND entry_id = ? ORDER BY at, id`);
  const last = db.prepare(
    `SELECT * FROM (SELECT * FROM entry_events WHERE chat_id = ? AND entry_id = ? ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id`,
  );
  const between = db.prepare(`SELECT * FROM entry_events WHERE chat_id = ? AND at >= ? AND at < ? ORDER BY at, id`);
  const chatAll = db.prepare(`SELECT * FROM entry_events WHERE chat_id = ? ORDER BY entry_id, at, id`);
  const everyChat = db.prepare(`SELECT * FROM entry_events ORDER BY entry_id, at, id`);

  return {
    record(chatId, entryId, events) {
      for (const e of events) {
        insert.run(
          chatId, entryId, e.at, e.event,
          e.event === "episode" ? e.season : null,
          e.event === "episode" ? e.episode : null,
          e.event === "rated" ? e.rating : null,
          e.event === "status" ? e.status : null,
        );
      }
    },
    forEntry(chatId, entryId, n) {
      const rows = (n === undefined ? all.all(chatId, entryId) : last.all(chatId, entryId, n)) as EventRow[];
      return rows.map(fromRow);
    },
    between(chatId, from, to) {
      return (between.all(chatId, from, to) as EventRow[]).map((r) => ({ ...fromRow(r), entryId: r.entry_id }));
    },
    byEntry(chatId) {
      const rows = (chatId === undefined ? everyChat.all() : chatAll.all(chatId)) as EventRow[];
      const grouped = new Map<string, HistoryEvent[]>();
      for (const r of rows) {
        const list = grouped.get(r.entry_id) ?? [];
        list.push(fromRow(r));
        grouped.set(r.entry_id, list);
      }
      return grouped;
    },
  };
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

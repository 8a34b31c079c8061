// How an entry reads in chat: one line for lists and confirmations, a card with every detail and
// its buttons, and a short label for buttons. Shared by the lists, the entry buttons, the edit
// dialogs and progress (others may use it).
import { KIND_STATUSES, formatRating } from "./fields.js";
import { formatEvent } from "./history/format.js";
import type { Entry, EntryKind } from "./media-store.js";
import type { Button } from "./outgoing.js";
import { buttonData } from "./routes.js";

/** Button data prefixes of an entry card's buttons (handled in commands/entry-actions.ts; "wt" in progress.ts). */
export const CARD_BUTTON = {
  /** "e:<id>": open the card (a new message, from a list). */
  open: "e",
  /** "bk:<id>": back to the card's own buttons, in place. */
  back: "bk",
  edit: "ef",
  rate: "rt",
  status: "st",
  delete: "dl",
  /** "wt:<id>:c": one more episode, shown on the card in place ("wt:<id>" elsewhere answers in a new message). */
  watched: "wt",
} as const;

/** Longest title, author or quote shown in one list line; longer ones end with "…". */
export const LINE_FIELD_LENGTH = 120;
/** Longest text shown on a button. */
export const BUTTON_LABEL_LENGTH = 30;

export const KIND_NOUNS: Record<EntryKind, string> = { book: "book", movie: "movie", show: "show", quote: "quote" };
export const KIND_PLURALS: Record<EntryKind, string> = { book: "books", movie: "movies", show: "shows", quote: "quotes" };
export const KIND_ICONS: Record<EntryKind, string> = { book: "📖", movie: "🎬", show: "📺", quote: "💬" };

/** Cuts text to at most `max` characters (whole code points), ending with "…" when cut; whitespace runs become one space. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  if (chars.length <= max) return flat;
  return `${chars.slice(0, Math.max(1, max - 1)).join("").trimEnd()}…`;
}

/** "S2E5", "S2", "E5", or "" when the show has no place yet. */
export function formatPlace(entry: Pick<Entry, "season" | "episode">): string {
  const season = entry.season !== undefined ? `S${entry.season}` : "";
  const episode = entry.episode !== undefined ? `E${entry.episode}` : "";
  return `${season}${episode}`;
}

/** How messages refer to an entry: «Title», or a quote's «text» (cut to `max`). */
export function entryRef(entry: Entry, max = 60): string {
  return `«${truncate(entry.kind === "quote" && entry.quoteText ? entry.quoteText : entry.title, max)}»`;
}

/**
 * One line, every part cut to `max` characters:
 * book "Title — Author, ★★★★☆ 4/5, reading, p. 120"; show "Title S2E5, watching";
 * quote "«text» — Author, Work"; movie "Title (1999), ★★★★☆ 4/5".
 */
export function formatEntryLine(entry: Entry, max = LINE_FIELD_LENGTH): string {
  const cut = (s: string) => truncate(s, max);
  const rating = entry.rating !== undefined ? formatRating(entry.rating) : undefined;
  switch (entry.kind) {
    case "book": {
      const head = entry.author ? `${cut(entry.title)} — ${cut(entry.author)}` : cut(entry.title);
      const page = entry.currentPage !== undefined ? `p. ${entry.currentPage}` : undefined;
      return join(head, rating, entry.status, page);
    }
    case "movie": {
      const head = entry.year !== undefined ? `${cut(entry.title)} (${entry.year})` : cut(entry.title);
      return join(head, rating, entry.status === "want" ? "want to see" : undefined, entry.watchedOn ? `watched ${entry.watchedOn}` : undefined);
    }
    case "show": {
      const place = formatPlace(entry);
      return join(place ? `${cut(entry.title)} ${place}` : cut(entry.title), rating, entry.status);
    }
    case "quote": {
      const text = entry.quoteText ? `«${cut(entry.quoteText)}»` : `«${cut(entry.title)}»`;
      const source = [entry.author, entry.quoteText ? entry.title : undefined].filter((s): s is string => !!s).map(cut);
      return source.length ? `${text} — ${source.join(", ")}` : text;
    }
  }
}

/** Every detail of an entry, one per line, for its card (long texts are cut so a card stays short). */
export function formatEntryCard(entry: Entry): string {
  const lines: string[] = [];
  const add = (label: string, value: string | number | undefined) => {
    if (value !== undefined && value !== "") lines.push(`${label}: ${value}`);
  };
  lines.push(`${KIND_ICONS[entry.kind]} ${capitalize(KIND_NOUNS[entry.kind])}`);
  if (entry.kind === "quote") {
    lines.push(`«${truncate(entry.quoteText ?? entry.title, 2000)}»`);
    add("Work", entry.quoteText ? truncate(entry.title, 300) : undefined);
    add("Author", entry.author && truncate(entry.author, 300));
  } else {
    add("Title", truncate(entry.title, 300));
    add("Author", entry.author && truncate(entry.author, 300));
    add("Year", entry.year);
    if (entry.kind === "show") {
      add("Season", entry.season);
      add("Episode", entry.episode);
    }
    add("Status", entry.status);
    add("Page", entry.currentPage);
    add("Rating", entry.rating !== undefined ? formatRating(entry.rating) : undefined);
    add("Finished on", entry.finishedOn);
    add("Watched on", entry.watchedOn);
  }
  add("Notes", entry.notes && truncate(entry.notes, 1000));
  add("Added", new Date(entry.addedAtMs).toISOString().slice(0, 10));
  // The last few dated events, newest first (/history shows them all).
  if (entry.recent?.length) lines.push("Recently:", ...entry.recent.slice().reverse().map((e) => `• ${formatEvent(e)}`));
  return lines.join("\n");
}

/** The buttons under an entry's card: edit, rate (not quotes), status (books, movies and shows), delete; "+1 episode" on shows. */
export function entryActionButtons(entry: Entry): Button[][] {
  const first: Button[] = [{ text: "✏️ Edit", data: buttonData(CARD_BUTTON.edit, entry.id) }];
  if (entry.kind !== "quote") first.push({ text: "⭐ Rate", data: buttonData(CARD_BUTTON.rate, entry.id) });
  const second: Button[] = [];
  if (KIND_STATUSES[entry.kind].length > 0) second.push({ text: "🏷 Status", data: buttonData(CARD_BUTTON.status, entry.id) });
  second.push({ text: "🗑 Delete", data: buttonData(CARD_BUTTON.delete, entry.id) });
  const rows = [first, second];
  if (entry.kind === "show") rows.unshift([{ text: "+1 episode", data: buttonData(CARD_BUTTON.watched, entry.id, "c") }]);
  return rows;
}

/** "1 entry", "3,031 entries": a count with its noun, grouped by thousands. */
export function countOf(n: number, singular: string, plural: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? singular : plural}`;
}

/** A short label for a button that stands for the entry. */
export function entryButtonLabel(entry: Entry, max = BUTTON_LABEL_LENGTH): string {
  return entry.kind === "quote" && entry.quoteText ? `«${truncate(entry.quoteText, max - 2)}»` : truncate(entry.title, max);
}

function join(...parts: Array<string | undefined>): string {
  return parts.filter((p): p is string => p !== undefined && p !== "").join(", ");
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

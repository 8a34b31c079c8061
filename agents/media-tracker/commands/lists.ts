// The lists: /books, /movies, /shows, /quotes, /list (everything) and /find <text>, newest first,
// a page at a time. Each page has one button per entry (its card, "e:<id>") and ◀ ▶ buttons
// ("pg:<list token>:<offset>") that re-run the query kept in state.list and show the other page in
// place of the one tapped. A page button of an older list (another token) is refused: it would
// turn that message into a page of a different list.
import { ENTRY_BUTTON } from "./entry-actions.js";
import { KIND_ICONS, KIND_PLURALS, entryButtonLabel, formatEntryLine, truncate } from "../entry-view.js";
import { KIND_STATUSES } from "../fields.js";
import type { EntryKind, ListQuery } from "../media-store.js";
import type { Button } from "../outgoing.js";
import { type ButtonRoute, type CommandRoute, buttonData } from "../routes.js";
import type { ListState } from "../state.js";
import type { Turn } from "../turn.js";

/** Entries per page. */
export const PAGE_SIZE = 8;
export const PAGE_BUTTON = "pg";
/** The longest entry id whose buttons ("ss:<id>:finished", "ed:<id>:episode") fit in 64 bytes. */
const MAX_ENTRY_ID_BYTES = 50;
/** Longest search text kept (and shown). */
const MAX_SEARCH_LENGTH = 100;

const ADD_COMMAND: Record<EntryKind, string> = { book: "/add_book", movie: "/add_movie", show: "/add_show", quote: "/add_quote" };

/** /books [status], /shows [status]: a status filter; /movies [status or text]; /quotes [text]: a text filter. */
function listKind(kind: EntryKind) {
  return (turn: Turn, args: string): Promise<void> | void => {
    const word = args.trim();
    const plural = KIND_PLURALS[kind];
    const statuses = KIND_STATUSES[kind];
    // /movies searches titles by any word that isn't one of its two statuses.
    if (word && statuses && (kind !== "movie" || statuses.includes(word.toLowerCase()))) {
      const status = word.toLowerCase();
      if (!statuses.includes(status)) {
        turn.reply(
          `"${truncate(word, 40)}" isn't a status for ${plural}. Try one of: ${statuses.join(", ")} ` +
            `(for example /${plural} ${statuses[0]}), or /${plural} for all of them. To search, use /find.`,
        );
        return;
      }
      return showList(turn, { kind, status, title: `Your ${plural} marked ${status}` }, 0);
    }
    if (word) {
      const text = truncate(word, MAX_SEARCH_LENGTH);
      return showList(turn, { kind, text, title: `Your ${plural} matching "${text}"` }, 0);
    }
    return showList(turn, { kind, title: `Your ${plural}` }, 0);
  };
}

function find(turn: Turn, args: string): Promise<void> | void {
  const text = truncate(args, MAX_SEARCH_LENGTH);
  if (!text) {
    turn.reply("What should I look for? Send it after the command, like /find dune. I search titles, authors, quotes and notes.");
    return;
  }
  return showList(turn, { text, title: `Matching "${text}"` }, 0);
}

/**
 * Shows one page of the list described by `list` and remembers it for the page buttons: in place
 * of the message `inPlaceOf` (the page whose button was tapped), or as a new message.
 */
export async function showList(turn: Turn, list: ListState, offset: number, inPlaceOf?: number): Promise<void> {
  const query: Omit<ListQuery, "limit" | "offset"> = {
    ...(list.kind ? { kind: list.kind } : {}),
    ...(list.status ? { status: list.status } : {}),
    ...(list.text ? { text: list.text } : {}),
  };
  const total = await turn.deps.media.count(turn.chatId, query);
  if (total === 0) {
    delete turn.state.list;
    turn.edit(inPlaceOf, emptyMessage(list));
    return;
  }
  // A page past the end (entries deleted since) shows the last page.
  const start = Math.min(Math.max(0, offset), Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
  const entries = await turn.deps.media.list(turn.chatId, { ...query, limit: PAGE_SIZE, offset: start });
  // A new list gets a new token; its own pages keep it.
  const token = inPlaceOf !== undefined && list.token ? list.token : turn.ctx.randomId().slice(0, 8);
  turn.state.list = { ...list, token };

  const pages = Math.ceil(total / PAGE_SIZE);
  const mixed = !list.kind;
  const lines = entries.map((e, i) => `${(start + i + 1).toLocaleString("en-US")}. ${mixed ? `${KIND_ICONS[e.kind]} ` : ""}${formatEntryLine(e)}`);
  const page = pages > 1 ? `Page ${(start / PAGE_SIZE + 1).toLocaleString("en-US")} of ${pages.toLocaleString("en-US")}. ` : "";
  const body = `${list.title} (${total.toLocaleString("en-US")}):\n${lines.join("\n")}\n\n${page}${tapHint(list)}`;

  const buttons: Button[][] = [];
  // Ids longer than any id this bot makes would not fit the entry's own buttons' 64 bytes of data.
  const entryButtons = entries
    .map((e, i) => ({ e, n: start + i + 1 }))
    .filter(({ e }) => Buffer.byteLength(e.id, "utf8") <= MAX_ENTRY_ID_BYTES)
    .map(({ e, n }) => ({ text: `${n}. ${entryButtonLabel(e, 24)}`, data: buttonData(ENTRY_BUTTON, e.id) }));
  for (let i = 0; i < entryButtons.length; i += 2) buttons.push(entryButtons.slice(i, i + 2));
  const nav: Button[] = [];
  if (start > 0) nav.push({ text: "◀ Newer", data: buttonData(PAGE_BUTTON, token, Math.max(0, start - PAGE_SIZE)) });
  if (start + PAGE_SIZE < total) nav.push({ text: "Older ▶", data: buttonData(PAGE_BUTTON, token, start + PAGE_SIZE) });
  if (nav.length) buttons.push(nav);
  turn.edit(inPlaceOf, body, buttons);
}

/** What tapping an entry offers: quotes have no rating. */
function tapHint(list: ListState): string {
  if (list.kind === "quote") return "Tap a quote to see it, edit or delete it.";
  if (list.kind) return "Tap one to see it, rate, edit or delete it.";
  return "Tap an entry to see it, edit or delete it.";
}

function emptyMessage(list: ListState): string {
  if (list.kind) {
    const plural = KIND_PLURALS[list.kind];
    if (list.status) return `You have no ${plural} marked ${list.status}. /${plural} shows all of them.`;
    if (list.text) return `None of your ${plural} match "${list.text}". /${plural} shows all of them.`;
    return `You haven't added any ${plural} yet. Add one with ${ADD_COMMAND[list.kind]}.`;
  }
  if (list.text) return `Nothing matches "${list.text}". /list shows everything you've added.`;
  return "Your list is empty. Add something with /add_book, /add_movie, /add_show or /add_quote.";
}

export const listCommands: CommandRoute[] = [
  { name: "books", description: "your books (add a status to filter: /books reading)", run: listKind("book") },
  { name: "movies", description: "your movies (add a status to filter: /movies want)", run: listKind("movie") },
  { name: "shows", description: "your shows (add a status to filter: /shows watching)", run: listKind("show") },
  { name: "quotes", description: "your quotes, newest first", run: listKind("quote") },
  { name: "list", description: "everything you've added, newest first", run: (turn) => showList(turn, { title: "Everything" }, 0) },
  { name: "find", description: "search titles, authors, quotes and notes, like /find dune", run: find },
];

export const listButtons: ButtonRoute[] = [
  {
    // "pg:<token>:<offset>": another page of the last list shown, in place of the page tapped.
    // "pg:<offset>" (before list tokens) still pages the last list.
    prefix: PAGE_BUTTON,
    run(turn, args, press) {
      const list = turn.state.list;
      const [token, offset] = args.length === 1 ? [undefined, args[0]] : args;
      if (!list || !offset || !/^\d{1,6}$/.test(offset)) return "That button is no longer active.";
      if (token !== undefined && token !== list.token) return "That list is out of date. Send the command again for a fresh one.";
      return showList(turn, list, Number(offset), press.messageId);
    },
  },
];

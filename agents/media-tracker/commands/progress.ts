// Progress, quickly: /progress (shows being watched, books being read, with their place),
// /watched <show> and the "+1 episode" button ("wt:<id>") move a show on by one episode, with a
// "Season finished → S{n+1}E1" button ("ns:<id>:<season>"); /page <book> <n> sets a book's page
// ("pp:<id>:<n>" when several books match).
import { parsePage } from "../edit-fields.js";
import { entryButtonLabel, entryRef, formatPlace, truncate } from "../entry-view.js";
import type { Entry, EntryKind, EntryPatch } from "../media-store.js";
import type { Button } from "../outgoing.js";
import { type ButtonPress, type ButtonRoute, type CommandRoute, buttonData } from "../routes.js";
import type { Turn } from "../turn.js";
import { WATCHED_BUTTON, changeEntry, showCardInPlace } from "./entry-actions.js";
import { newEpisodesNote } from "../alerts/alert.js";

const NEXT_SEASON_BUTTON = "ns";
const PAGE_CHOICE_BUTTON = "pp";
/** Most entries of each kind /progress shows (and choices offered when a title is ambiguous). */
const PROGRESS_LIMIT = 15;
const CHOICE_LIMIT = 8;
/** Every entry of a kind is read for title matching; a personal list stays far below this. */
const MATCH_SCAN_LIMIT = 10_000;

function normalize(s: string): string {
  return s.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
}

/** Entries of `kind` whose title matches: the exact title first, else every partial match. */
export async function matchTitle(turn: Turn, kind: EntryKind, query: string): Promise<Entry[]> {
  const wanted = normalize(query);
  if (!wanted) return [];
  const all = await turn.deps.media.list(turn.chatId, { kind, limit: MATCH_SCAN_LIMIT });
  const exact = all.filter((e) => normalize(e.title) === wanted);
  if (exact.length) return exact.slice(0, 1);
  return all.filter((e) => normalize(e.title).includes(wanted));
}

function isInProgressShow(e: Entry): boolean {
  return e.status === undefined || e.status === "watching";
}

function plusOneButton(entry: Entry, label = "+1 episode"): Button {
  return { text: label, data: buttonData(WATCHED_BUTTON, entry.id) };
}

// === /progress

async function progress(turn: Turn): Promise<void> {
  const shows = (await turn.deps.media.list(turn.chatId, { kind: "show", limit: MATCH_SCAN_LIMIT })).filter(isInProgressShow);
  const books = await turn.deps.media.list(turn.chatId, { kind: "book", status: "reading", limit: MATCH_SCAN_LIMIT });
  if (shows.length === 0 && books.length === 0) {
    turn.reply(
      "Nothing in progress. Shows you're watching and books you're reading show up here. " +
        "Move a show on with /watched <title>, set a book's page with /page <title> <page>, or add one with /add_show or /add_book.",
    );
    return;
  }
  const lines: string[] = [];
  const buttons: Button[][] = [];
  if (shows.length) {
    lines.push(`📺 Watching (${shows.length}):`);
    for (const show of shows.slice(0, PROGRESS_LIMIT)) {
      const place = formatPlace(show);
      const news = newEpisodesNote(turn, show);
      lines.push(`• ${truncate(show.title, 60)}${place ? ` ${place}` : " (not started)"}${news ? ` — ${news}` : ""}`);
    }
    if (shows.length > PROGRESS_LIMIT) lines.push(`…and ${shows.length - PROGRESS_LIMIT} more (/shows watching).`);
    const showButtons = shows.slice(0, PROGRESS_LIMIT).map((s) => plusOneButton(s, `+1 ${entryButtonLabel(s, 22)}`));
    for (let i = 0; i < showButtons.length; i += 2) buttons.push(showButtons.slice(i, i + 2));
  }
  if (books.length) {
    if (lines.length) lines.push("");
    lines.push(`📖 Reading (${books.length}):`);
    for (const book of books.slice(0, PROGRESS_LIMIT)) {
      const page = book.currentPage !== undefined ? `p. ${book.currentPage}` : "no page yet";
      lines.push(`• ${truncate(book.title, 60)}${book.author ? ` — ${truncate(book.author, 40)}` : ""}, ${page}`);
    }
    if (books.length > PROGRESS_LIMIT) lines.push(`…and ${books.length - PROGRESS_LIMIT} more (/books reading).`);
  }
  lines.push("", "Tap +1 after an episode, or use /watched <show> and /page <book> <page>.");
  turn.reply(lines.join("\n"), buttons.length ? buttons : undefined);
}

// === /watched and the +1 episode button

async function watched(turn: Turn, args: string): Promise<void> {
  const query = args.trim();
  if (!query) {
    const shows = (await turn.deps.media.list(turn.chatId, { kind: "show", limit: MATCH_SCAN_LIMIT })).filter(isInProgressShow);
    const choices = shows.slice(0, CHOICE_LIMIT).map((s) => [plusOneButton(s, `${entryButtonLabel(s)} ${formatPlace(s)}`.trim())]);
    turn.reply(
      "Which show did you watch an episode of? Send /watched <title>, like /watched Severance" + (choices.length ? ", or tap one:" : "."),
      choices.length ? choices : undefined,
    );
    return;
  }
  const matches = await matchTitle(turn, "show", query);
  if (matches.length === 0) {
    turn.reply(`I can't find a show called "${truncate(query, 60)}". /shows lists yours; add it with /add_show.`);
    return;
  }
  if (matches.length > 1) {
    const choices = matches.slice(0, CHOICE_LIMIT).map((s) => [plusOneButton(s, `${entryButtonLabel(s)} ${formatPlace(s)}`.trim())]);
    const more = matches.length > CHOICE_LIMIT ? ` (${matches.length} match; type more of the title to narrow it down)` : "";
    turn.reply(`Several shows match "${truncate(query, 60)}"${more}. Which one?`, choices);
    return;
  }
  const refused = await advance(turn, matches[0]!.id);
  if (refused) turn.reply(refused);
}

/** The patch for one more episode (and "watching" again); anything but a show is refused. */
function nextEpisode(show: Entry): EntryPatch | string {
  if (show.kind !== "show") return "That button is no longer active.";
  const patch: EntryPatch = { season: show.season ?? 1, episode: (show.episode ?? 0) + 1 };
  if (show.status !== "watching") patch.status = "watching";
  return patch;
}

/** One more episode of the show with this id; a replay after a crash gets the recorded outcome. */
async function advance(turn: Turn, id: string | undefined): Promise<string | void> {
  const change = await changeEntry(turn, id, nextEpisode);
  if (!change.ok) return change.reason;
  const show = change.after;
  const season = show.season ?? 1;
  turn.reply(`${entryRef(show)}: now at ${formatPlace(show)}.`, [
    [plusOneButton(show)],
    [{ text: `Season finished → S${season + 1}E1`, data: buttonData(NEXT_SEASON_BUTTON, show.id, season) }],
  ]);
}

async function nextSeason(turn: Turn, [id, from]: string[], press: ButtonPress): Promise<string | void> {
  const change = await changeEntry(turn, id, (show) => {
    const season = show.season ?? 1;
    // The button names the season it ends: pressed again (or after another rollover) it does nothing.
    if (show.kind !== "show" || (from !== undefined && from !== String(season))) return "That button is no longer active.";
    return { season: season + 1, episode: 1, status: "watching" };
  });
  if (!change.ok) return change.reason;
  if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
  const show = change.after;
  turn.reply(`${entryRef(show)}: on to season ${show.season}, now at ${formatPlace(show)}.`, [[plusOneButton(show)]]);
}

// === /page <book> <n>

const PAGE_USAGE = "Send the book's title and the page you're on, like /page Dune 120.";

async function page(turn: Turn, args: string): Promise<void> {
  const match = /^([\s\S]*\S)\s+(\S+)$/.exec(args.trim());
  if (!match) {
    turn.reply(args.trim() ? `I need both the title and the page. ${PAGE_USAGE}` : PAGE_USAGE);
    return;
  }
  const [, title = "", pageText = ""] = match;
  const parsed = parsePage(pageText);
  if (!parsed.ok) {
    turn.reply(`${parsed.error} ${PAGE_USAGE}`);
    return;
  }
  const matches = await matchTitle(turn, "book", title);
  if (matches.length === 0) {
    turn.reply(`I can't find a book called "${truncate(title, 60)}". /books lists yours; add it with /add_book.`);
    return;
  }
  if (matches.length > 1) {
    const choices = matches.slice(0, CHOICE_LIMIT).map((b) => [{ text: entryButtonLabel(b), data: buttonData(PAGE_CHOICE_BUTTON, b.id, parsed.value) }]);
    turn.reply(`Several books match "${truncate(title, 60)}". Which one is on page ${parsed.value}?`, choices);
    return;
  }
  const refused = await setPage(turn, matches[0]!.id, parsed.value);
  if (refused) turn.reply(refused);
}

async function setPage(turn: Turn, id: string | undefined, pageNumber: number): Promise<string | void> {
  const change = await changeEntry(turn, id, (book) => {
    if (book.kind !== "book") return "That button is no longer active.";
    // Being on a page means reading it (a finished or dropped book keeps its status).
    return book.status === undefined || book.status === "want" ? { currentPage: pageNumber, status: "reading" } : { currentPage: pageNumber };
  });
  if (!change.ok) return change.reason;
  const marked = change.after.status !== change.before.status ? " (marked reading)" : "";
  turn.reply(`${entryRef(change.after)}: now on p. ${pageNumber}${marked}.`);
}

async function choosePage(turn: Turn, [id, pageText]: string[], press: ButtonPress): Promise<string | void> {
  const parsed = parsePage(pageText ?? "");
  if (!parsed.ok) return "That button is no longer active.";
  const refused = await setPage(turn, id, parsed.value);
  if (refused) return refused;
  if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
}

export const progressCommands: CommandRoute[] = [
  { name: "progress", description: "what you're watching and reading, and where you are", run: progress },
  { name: "watched", description: "one more episode of a show, like /watched Severance", run: watched },
  { name: "page", description: "the page you're on in a book, like /page Dune 120", run: page },
];

/** "+1 episode" on an entry's card ("wt:<id>:c"): the card itself shows the new place. */
async function advanceOnCard(turn: Turn, id: string | undefined, press: ButtonPress): Promise<string | void> {
  const change = await changeEntry(turn, id, nextEpisode);
  if (!change.ok) return change.reason;
  showCardInPlace(turn, change.after, press);
  return `Now at ${formatPlace(change.after)}.`;
}

export const progressButtons: ButtonRoute[] = [
  { prefix: WATCHED_BUTTON, run: (turn, [id, from], press) => (from === "c" ? advanceOnCard(turn, id, press) : advance(turn, id)) },
  { prefix: NEXT_SEASON_BUTTON, run: nextSeason },
  { prefix: PAGE_CHOICE_BUTTON, run: choosePage },
];

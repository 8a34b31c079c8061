// The slash commands that are not dialogs: /start, /help, /movies, /cancel (alias /reset).
import { formatRating } from "./fields.js";
import type { Entry } from "./media-store.js";
import type { Turn } from "./turn.js";

export const HELP_TEXT = [
  "I remember the movies you watch.",
  "",
  "/add_movie: add a movie (title, year, rating)",
  "/movies: your movies, newest first",
  "/cancel: stop what we're doing (also /reset)",
  "/help: this list",
].join("\n");

/** How many entries one list message shows; the rest are counted. */
export const LIST_LIMIT = 30;

export function start(turn: Turn): void {
  turn.reply(`Hi! ${HELP_TEXT}`);
}

export function help(turn: Turn): void {
  turn.reply(HELP_TEXT);
}

export function cancel(turn: Turn, noun: string | undefined): void {
  delete turn.state.dialog;
  turn.reply(noun ? `OK, I dropped the ${noun} you were adding.` : "There's nothing to cancel.");
}

export function listMovies(turn: Turn): void {
  const total = turn.deps.media.count(turn.chatId, "movie");
  if (total === 0) {
    turn.reply("You haven't added any movies yet. Add one with /add_movie.");
    return;
  }
  const movies = turn.deps.media.list(turn.chatId, { kind: "movie", limit: LIST_LIMIT });
  const lines = movies.map((m, i) => `${i + 1}. ${describeMovie(m)}`);
  const more = total > movies.length ? `\n…and ${total - movies.length} more.` : "";
  turn.reply(`Your movies (${total}):\n${lines.join("\n")}${more}`);
}

function describeMovie(m: Entry): string {
  const year = m.year ? ` (${m.year})` : "";
  const rating = m.rating ? `, ${formatRating(m.rating)}` : "";
  return `${m.title}${year}${rating}`;
}

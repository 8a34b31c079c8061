// The lists: /movies (more kinds, filters and pages come with the full tracker).
import { formatRating } from "../fields.js";
import type { Entry } from "../media-store.js";
import type { ButtonRoute, CommandRoute } from "../routes.js";
import type { Turn } from "../turn.js";

/** How many entries one list message shows; the rest are counted. */
export const LIST_LIMIT = 30;

function listMovies(turn: Turn): void {
  const total = turn.deps.media.count(turn.chatId, { kind: "movie" });
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

export const listCommands: CommandRoute[] = [
  { name: "movies", description: "your movies, newest first", run: listMovies },
];

export const listButtons: ButtonRoute[] = [];

// /history <title>: every dated event of one entry (watched, finished, episodes, ratings, statuses).
// Several entries match: buttons "hi:<id>" to pick one (ids checked against this chat's entries).
import { entryButtonLabel, entryRef, truncate } from "../entry-view.js";
import { formatEvent } from "../history/format.js";
import type { Entry } from "../media-store.js";
import { type ButtonRoute, type CommandRoute, buttonData } from "../routes.js";
import type { Turn } from "../turn.js";

export const HISTORY_BUTTON = "hi";
/** Events listed in one answer: the newest ones (a show watched daily for years has thousands). */
export const HISTORY_SHOWN = 100;
const CHOICES = 8;

export const historyCommands: CommandRoute[] = [
  {
    name: "history",
    description: "when you watched, read, rated an entry: /history <title>",
    async run(turn, args) {
      const query = args.trim();
      if (!query) return turn.reply("Which one? Send /history <title>, like /history Dune.");
      const matches = await findByTitle(turn, query);
      if (matches.length === 0) return turn.reply(`I can't find anything called "${truncate(query, 60)}" in your list.`);
      if (matches.length > 1) {
        const buttons = matches.slice(0, CHOICES).map((e) => [{ text: entryButtonLabel(e), data: buttonData(HISTORY_BUTTON, e.id) }]);
        const more = matches.length > CHOICES ? ` (${matches.length} match; type more of the title to narrow it down)` : "";
        return turn.reply(`Several entries match "${truncate(query, 60)}"${more}. Which one?`, buttons);
      }
      turn.reply(await historyText(turn, matches[0]!));
    },
  },
];

export const historyButtons: ButtonRoute[] = [
  {
    prefix: HISTORY_BUTTON,
    async run(turn, [id]) {
      const entry = id && id.length <= 64 ? await turn.deps.media.get(turn.chatId, id) : undefined;
      if (!entry) return "That entry no longer exists.";
      turn.reply(await historyText(turn, entry));
    },
  },
];

/** Books, movies and shows whose title holds the words; an exact title alone when there is one. */
async function findByTitle(turn: Turn, query: string): Promise<Entry[]> {
  const found = (await turn.deps.media.list(turn.chatId, { text: query, limit: 200 })).filter((e) => e.kind !== "quote");
  const wanted = fold(query);
  const exact = found.filter((e) => fold(e.title) === wanted);
  return exact.length > 0 ? exact : found.filter((e) => fold(e.title).includes(wanted));
}

function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

export async function historyText(turn: Turn, entry: Entry): Promise<string> {
  const events = await turn.deps.media.history(turn.chatId, entry.id);
  if (events.length === 0) {
    return `${entryRef(entry)} has no dated history yet. Watching, finishing, rating it or changing its status adds to it.`;
  }
  const shown = events.slice(-HISTORY_SHOWN).reverse();
  const earlier = events.length - shown.length;
  const lines = [`History of ${entryRef(entry)}, newest first:`, ...shown.map((e) => `• ${formatEvent(e)}`)];
  if (earlier > 0) lines.push(`…and ${earlier.toLocaleString("en-US")} earlier (all of them are in /export json).`);
  return lines.join("\n");
}

// The model's `stats` tool: what the history says about a span of days ("how many books did I read
// this year?", "what did I watch in March?"). The answer's numbers and titles reach the person as a
// message made from the stored events (the receipt of the answer), whatever the model then says.
import { z } from "zod";
import { KIND_NOUNS } from "../entry-view.js";
import type { Entry, HistoryEvent, MediaReader } from "../media-store.js";
import type { Turn } from "../turn.js";
import type { LlmTool, ToolOutcome } from "./tools.js";

const MAX_LISTED = 50;
const MAX_IN_MESSAGE = 10;
type Done = "finished" | "watched" | "episode";

const schema = z.strictObject({
  from: z.iso.date().describe("First day, YYYY-MM-DD (e.g. 2024-01-01 for this year, 2024-03-01 for March)."),
  to: z.iso.date().describe("Last day, YYYY-MM-DD, included."),
  what: z.enum(["books", "movies", "episodes", "all"]).optional().describe("Books finished, movies watched, episodes watched, or all (default)."),
});

export const statsTool: LlmTool = {
  name: "stats",
  description:
    "Counts and lists what the person finished reading, watched (movies) and which episodes, between two days, from their dated history. " +
    "Use it for questions like 'how many books did I read this year?' or 'what did I watch in March?'. The person is shown the numbers it finds.",
  schema,
  writes: false,
  async run(turn: Turn, args: unknown): Promise<ToolOutcome> {
    const a = args as z.output<typeof schema>;
    if (a.from > a.to) return { result: { error: "from must be on or before to." } };
    const found = await turn.ctx.write("tool:stats", (tx) => spanOf(turn.deps.media.within(tx), turn.chatId, a.from, a.to, a.what ?? "all"));
    return {
      result: { from: a.from, to: a.to, ...found.counts, shown: found.items.length, items: found.items },
      message: { text: found.text, buttons: [] },
    };
  },
};

async function spanOf(media: MediaReader, chatId: string, from: string, to: string, what: "books" | "movies" | "episodes" | "all") {
  const wanted: Done[] = what === "books" ? ["finished"] : what === "movies" ? ["watched"] : what === "episodes" ? ["episode"] : ["finished", "watched", "episode"];
  // `to` is a whole day: every instant of it is before the next day's first.
  const events = await media.events(chatId, from, `${to}\uffff`);
  const entries = new Map<string, Entry>();
  const items: Array<{ title: string; kind: string; event: string; at: string; season?: number; episode?: number }> = [];
  const counts = { booksFinished: 0, moviesWatched: 0, episodesWatched: 0 };
  for (const ev of events) {
    if (!(wanted as string[]).includes(ev.event)) continue;
    const entry = entries.get(ev.entryId) ?? (await media.get(chatId, ev.entryId));
    if (!entry) continue;
    entries.set(entry.id, entry);
    if (ev.event === "finished") counts.booksFinished += 1;
    else if (ev.event === "watched") counts.moviesWatched += 1;
    else counts.episodesWatched += 1;
    if (items.length < MAX_LISTED) items.push({ title: entry.title, kind: entry.kind, ...eventFields(ev) });
  }
  return { counts, items, text: receiptText(from, to, what, counts, items) };
}

function eventFields(ev: HistoryEvent): { event: string; at: string; season?: number; episode?: number } {
  return ev.event === "episode" ? { event: ev.event, at: ev.at, season: ev.season, episode: ev.episode } : { event: ev.event, at: ev.at };
}

function receiptText(
  from: string, to: string, what: string,
  counts: { booksFinished: number; moviesWatched: number; episodesWatched: number },
  items: Array<{ title: string; kind: string; event: string; at: string; season?: number; episode?: number }>,
): string {
  const n = (v: number, one: string, many: string) => `${v.toLocaleString("en-US")} ${v === 1 ? one : many}`;
  const parts: string[] = [];
  if (what === "books" || what === "all") parts.push(n(counts.booksFinished, "book finished", "books finished"));
  if (what === "movies" || what === "all") parts.push(n(counts.moviesWatched, "movie watched", "movies watched"));
  if (what === "episodes" || what === "all") parts.push(n(counts.episodesWatched, "episode watched", "episodes watched"));
  const lines = [`From your history, ${from} to ${to}: ${parts.join(", ")}.`];
  for (const item of items.slice(0, MAX_IN_MESSAGE)) {
    const place = item.event === "episode" ? ` S${item.season}E${item.episode}` : "";
    lines.push(`• ${item.at.slice(0, 10)} ${KIND_NOUNS[item.kind as Entry["kind"]]}: ${item.title}${place}`);
  }
  const total = counts.booksFinished + counts.moviesWatched + counts.episodesWatched;
  if (total > MAX_IN_MESSAGE) lines.push(`…and ${(total - MAX_IN_MESSAGE).toLocaleString("en-US")} more (/stats has the year).`);
  return lines.join("\n");
}

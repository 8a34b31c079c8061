// A chat's side of new-episode alerts. The check (check.ts) posts what aired; here, in the chat's
// own journaled write, the chat decides against its current entries: alerts on, the show still
// being watched, an episode past both its position and the last one announced. That write stores
// the new "last alerted" episode, so the same episode is never announced twice, across restarts
// too (a replay returns the recorded decision and queues the same one message). The button under
// an alert marks the named episode watched ("ep:<entryId>:<season>:<episode>").
import { entryRef, formatPlace, truncate } from "../entry-view.js";
import type { Entry } from "../media-store.js";
import { type ButtonPress, type ButtonRoute, buttonData } from "../routes.js";
import type { Turn } from "../turn.js";
import { changeEntry } from "../commands/entry-actions.js";
import {
  type AiredEpisode, type EpisodeRef, formatAirDay, formatEpisode, isAfter, newEpisodeCount, parseEpisode, positionOf, seenUpTo,
  showNewsSchema,
} from "./episodes.js";

const MARK_WATCHED_BUTTON = "ep";
/** Every show of a chat is read to find the ones with this TVmaze id; a personal list stays far below this. */
const SHOW_SCAN_LIMIT = 10_000;

interface Announcement {
  entryId: string;
  title: string;
  episode: AiredEpisode;
  /** Further episodes announced with it. */
  more: number;
}

function isWatching(e: Entry): boolean {
  return e.kind === "show" && (e.status === undefined || e.status === "watching");
}

/** Handles an "episode-alert" message from the check. */
export async function receiveEpisodeNews(turn: Turn): Promise<void> {
  const parsed = showNewsSchema.safeParse(turn.ctx.message.payload);
  if (!parsed.success) return;
  const news = parsed.data;
  const latest = parseEpisode(news.latest)!;
  const nowMs = turn.ctx.now();
  const decided = await turn.ctx.write("episode-alert", async (tx) => {
    const media = turn.deps.media.within(tx);
    const enabled = (await turn.deps.settings?.within(tx).alertsEnabled(turn.chatId)) ?? true;
    const shows = (await media.list(turn.chatId, { kind: "show", limit: SHOW_SCAN_LIMIT }))
      .filter((e) => e.tvmazeId === news.tvmazeId && isWatching(e));
    const announced: Announcement[] = [];
    for (const entry of shows) {
      const seen = seenUpTo(entry);
      if (!enabled || !isAfter(latest, seen)) continue;
      const fresh = news.episodes.filter((e) => isAfter(e, seen));
      const episode = fresh[0] ?? news.episodes.at(-1);
      if (!episode) continue;
      await media.update(turn.chatId, entry.id, { lastAlerted: news.latest }, nowMs);
      announced.push({ entryId: entry.id, title: entry.title, episode, more: Math.max(0, fresh.length - 1) });
    }
    return { watching: shows.map((e) => e.id), announced };
  });
  // What aired, kept for /progress ("2 new episodes"), from this check's data.
  for (const id of decided.watching) (turn.state.airedEpisodes ??= {})[id] = news.airedBySeason;
  for (const a of decided.announced) announce(turn, a);
}

function announce(turn: Turn, a: Announcement): void {
  const e = a.episode;
  const more = a.more > 0 ? ` (and ${a.more} more new episode${a.more === 1 ? "" : "s"})` : "";
  const name = e.name ? ` “${e.name}”` : "";
  turn.reply(`📺 New episode of «${truncate(a.title, 60)}»: ${formatEpisode(e)}${name} aired on ${formatAirDay(e.airedAt)}${more}.`, [[
    { text: `✓ Watched ${formatEpisode(e)}`, data: buttonData(MARK_WATCHED_BUTTON, a.entryId, e.season, e.episode) },
  ]]);
}

/** "2 new episodes" for /progress: aired episodes past the show's position, from the last check. */
export function newEpisodesNote(turn: Turn, show: Entry): string | undefined {
  const aired = turn.state.airedEpisodes?.[show.id];
  if (!aired) return undefined;
  const count = newEpisodeCount(positionOf(show), aired);
  return count > 0 ? `${count} new episode${count === 1 ? "" : "s"}` : undefined;
}

async function markWatched(turn: Turn, [id, season, episode]: string[], press: ButtonPress): Promise<string | void> {
  const target: EpisodeRef = { season: Number(season), episode: Number(episode) };
  if (!Number.isInteger(target.season) || !Number.isInteger(target.episode) || target.season < 1 || target.episode < 1) {
    return "That button is no longer active.";
  }
  const change = await changeEntry(turn, id, (show) => {
    if (show.kind !== "show") return "That button is no longer active.";
    if (!isAfter(target, positionOf(show))) return `You're already at ${formatPlace(show)}.`;
    return { season: target.season, episode: target.episode, status: "watching" };
  });
  if (!change.ok) return change.reason;
  if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
  const left = newEpisodesNote(turn, change.after);
  turn.reply(`${entryRef(change.after)}: marked ${formatEpisode(target)} watched, now at ${formatPlace(change.after)}.${left ? ` ${left} to go.` : ""}`);
}

export const alertButtons: ButtonRoute[] = [{ prefix: MARK_WATCHED_BUTTON, run: markWatched }];

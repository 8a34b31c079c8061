// The new-episode check: one system agent (key "system:episodes") owns a durable timer that fires
// every EPISODE_CHECK_HOURS. Its check is one journaled step: it reads the shows being watched in
// every chat, fetches each distinct show's episodes once, and posts an "episode-alert" message to
// each chat with something new, under a deterministic id ("alert:<chat>:<show>:S2E7"), so a check
// repeated after a crash posts nothing twice. Each chat's agent then decides and sends (alert.ts).
// A show whose fetch fails is skipped: the next check tries it again. The timer re-arms itself.
import { z } from "zod";
import type { AgentContext } from "../../../runtime/index.js";
import type { MediaReader, WatchedShow } from "../media-store.js";
import type { ShowSource } from "../providers.js";
import type { ChatState } from "../state.js";
import { type AiredEpisode, type EpisodeRef, type ShowNews, formatEpisode, isAfter, seenUpTo } from "./episodes.js";

export const EPISODE_CHECK_KEY = "system:episodes";
/** Posted at start-up: arms the check's timer unless one fitting the configured interval is armed. */
export const EPISODE_CHECK_START = "episode-check-start";
export const EPISODE_CHECK_TIMER = "episode-check";
/**
 * Posted by a check to its own agent to arm the next timer. (A timer armed while handling a timer
 * message would take an id made from that message's, growing with every check.)
 */
export const EPISODE_CHECK_NEXT = "episode-check-next";
/** The message a chat gets from the check. */
export const EPISODE_ALERT = "episode-alert";
/** Aired episodes carried per alert (the named one is among them; the rest are only counted). */
const MAX_NEWS_EPISODES = 30;

export interface PostedMessage {
  id: string;
  agentKey: string;
  kind: string;
  payload: unknown;
}

export interface EpisodeCheckDeps {
  media: MediaReader;
  shows: ShowSource | undefined;
  intervalMs: number;
  /** Stores messages for chats' agents (deduplicated by id); resolves after the commit. */
  post(messages: PostedMessage[]): Promise<void>;
}

export interface CheckReport {
  shows: number;
  failed: number;
  alerts: number;
  error?: string;
}

const timerMessage = z.object({ timerId: z.string(), kind: z.string() });
const nextMessage = z.object({ after: z.string() });

/** Handles a message for the system agent: the start-up message or the check's timer. */
export async function handleEpisodeCheck(ctx: AgentContext<ChatState>, deps: EpisodeCheckDeps): Promise<void> {
  if (ctx.message.kind === EPISODE_CHECK_START) return ensureArmed(ctx, deps.intervalMs);
  if (ctx.message.kind === EPISODE_CHECK_NEXT) {
    const next = nextMessage.safeParse(ctx.message.payload);
    if (next.success && next.data.after === ctx.state.episodeCheck?.timerId) arm(ctx, ctx.now() + deps.intervalMs);
    return;
  }
  if (ctx.message.kind !== "timer") return;
  const timer = timerMessage.safeParse(ctx.message.payload);
  // Only the timer the state armed last counts: an older chain's timer is ignored.
  if (!timer.success || timer.data.kind !== EPISODE_CHECK_TIMER || timer.data.timerId !== ctx.state.episodeCheck?.timerId) return;
  const nowMs = ctx.now();
  // The step never throws (check() reports errors in its result), so it is always journaled and the
  // next check is always asked for: a failing check cannot end the chain.
  await ctx.run("episode-check", () => check(deps, nowMs), { maxAttempts: 1 });
  const after = timer.data.timerId;
  await ctx.run("episode-check-next", () =>
    deps.post([{ id: `episodes:next:${nowMs}`, agentKey: EPISODE_CHECK_KEY, kind: EPISODE_CHECK_NEXT, payload: { after } }]));
}

function ensureArmed(ctx: AgentContext<ChatState>, intervalMs: number): void {
  const nowMs = ctx.now();
  const armed = ctx.state.episodeCheck;
  // Armed within the interval (a longer one from an older setting is replaced), and not stranded in the past.
  if (armed && armed.atMs <= nowMs + intervalMs && armed.atMs > nowMs - intervalMs) return;
  if (armed) ctx.cancelTimer(armed.timerId);
  arm(ctx, nowMs + intervalMs);
}

function arm(ctx: AgentContext<ChatState>, atMs: number): void {
  const timerId = ctx.setTimer(EPISODE_CHECK_TIMER, atMs, null);
  ctx.state.episodeCheck = { timerId, atMs };
}

/** The check itself, run inside one journaled step; answers a small report and never throws. */
export async function check(deps: EpisodeCheckDeps, nowMs: number): Promise<CheckReport> {
  if (!deps.shows) return { shows: 0, failed: 0, alerts: 0 };
  try {
    const byShow = new Map<number, WatchedShow[]>();
    for (const show of await deps.media.watchedShows()) byShow.set(show.tvmazeId, [...(byShow.get(show.tvmazeId) ?? []), show]);
    const messages: PostedMessage[] = [];
    let failed = 0;
    for (const [tvmazeId, watchers] of byShow) {
      let aired: AiredEpisode[];
      try {
        aired = (await deps.shows.episodes(String(tvmazeId)))
          .filter((e) => e.airstamp !== undefined && Date.parse(e.airstamp) <= nowMs)
          .map((e) => ({ season: e.season, episode: e.number, name: e.name.slice(0, 200), airedAt: e.airstamp! }));
      } catch {
        failed += 1;
        continue;
      }
      messages.push(...newsFor(tvmazeId, aired, watchers));
    }
    await deps.post(messages);
    return { shows: byShow.size, failed, alerts: messages.length };
  } catch (error) {
    return { shows: 0, failed: 0, alerts: 0, error: error instanceof Error ? error.message : String(error) };
  }
}

/** One message per chat that has aired episodes past where it is. */
export function newsFor(tvmazeId: number, aired: AiredEpisode[], watchers: WatchedShow[]): PostedMessage[] {
  const latest = aired.reduce<AiredEpisode | undefined>((a, e) => (a === undefined || isAfter(e, a) ? e : a), undefined);
  if (!latest) return [];
  const airedBySeason: Record<string, number> = {};
  for (const e of aired) airedBySeason[String(e.season)] = Math.max(airedBySeason[String(e.season)] ?? 0, e.episode);
  const byChat = new Map<string, EpisodeRef>();
  for (const w of watchers) {
    const seen = seenUpTo(w);
    const before = byChat.get(w.chatId);
    if (!before || isAfter(before, seen)) byChat.set(w.chatId, seen);
  }
  const messages: PostedMessage[] = [];
  for (const [chatId, from] of byChat) {
    if (!isAfter(latest, from)) continue;
    const past = aired.filter((e) => isAfter(e, from)).sort((a, b) => (isAfter(a, b) ? 1 : -1));
    const episodes = past.length > MAX_NEWS_EPISODES ? [...past.slice(0, MAX_NEWS_EPISODES - 1), latest] : past;
    const news: ShowNews = { tvmazeId, latest: formatEpisode(latest), airedBySeason, episodes };
    messages.push({ id: `alert:${chatId}:${tvmazeId}:${formatEpisode(latest)}`, agentKey: chatId, kind: EPISODE_ALERT, payload: news });
  }
  return messages;
}

// Episodes as positions: "S2E6" in and out, which comes after which, and how many aired episodes
// lie past where the person is. A show's position is the last episode watched (S1E0: not started).
import { z } from "zod";

export interface EpisodeRef {
  season: number;
  episode: number;
}

/** An aired episode as an alert names it. */
export interface AiredEpisode extends EpisodeRef {
  name: string;
  /** ISO 8601. */
  airedAt: string;
}

/** What one check found about one show, for one chat (the payload of an "episode-alert" message). */
export const showNewsSchema = z.object({
  tvmazeId: z.number().int().positive(),
  /** The newest aired episode, "S2E7". */
  latest: z.string().regex(/^S\d+E\d+$/),
  /** The highest aired episode number per season, keyed by season: {"1": 9, "2": 7}. */
  airedBySeason: z.record(z.string().regex(/^\d+$/), z.number().int().min(0)),
  /** Aired episodes past where this chat was at the check, oldest first (a bounded few, the latest last). */
  episodes: z.array(
    z.object({ season: z.number().int().min(1), episode: z.number().int().min(1), name: z.string().max(300), airedAt: z.string().max(40) }),
  ).max(50),
});
export type ShowNews = z.infer<typeof showNewsSchema>;

export function formatEpisode(e: EpisodeRef): string {
  return `S${e.season}E${e.episode}`;
}

export function parseEpisode(text: string | undefined): EpisodeRef | undefined {
  const m = /^S(\d{1,4})E(\d{1,5})$/.exec(text ?? "");
  return m ? { season: Number(m[1]), episode: Number(m[2]) } : undefined;
}

export function isAfter(a: EpisodeRef, b: EpisodeRef): boolean {
  return a.season > b.season || (a.season === b.season && a.episode > b.episode);
}

/** Where a show's entry is: its season and episode (an unstarted show is before S1E1). */
export function positionOf(entry: { season?: number; episode?: number }): EpisodeRef {
  return { season: entry.season ?? 1, episode: entry.episode ?? 0 };
}

/** The later of the position and the last episode announced: only what is past both is news. */
export function seenUpTo(entry: { season?: number; episode?: number; lastAlerted?: string }): EpisodeRef {
  const position = positionOf(entry);
  const alerted = parseEpisode(entry.lastAlerted);
  return alerted && isAfter(alerted, position) ? alerted : position;
}

/** Aired episodes past `position`, from the highest aired number per season. */
export function newEpisodeCount(position: EpisodeRef, airedBySeason: Record<string, number>): number {
  let count = 0;
  for (const [season, highest] of Object.entries(airedBySeason)) {
    const s = Number(season);
    if (s > position.season) count += highest;
    else if (s === position.season) count += Math.max(0, highest - position.episode);
  }
  return count;
}

/** "Jan 17, 2025" (UTC: the day TVmaze's airstamp falls on there). */
export function formatAirDay(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return "recently";
  return new Date(ms).toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
}

// Shows from TVmaze (no key): GET /search/shows?q=…, /shows/{id} and /shows/{id}/episodes.
// TVmaze allows 20 calls per 10 s per IP address, so every call waits for the process-wide limiter;
// a 429 anyway (another program on the same address) is waited out and retried once. Episode lists
// are cached briefly, so checking one show for many chats fetches it once.
import { z } from "zod";
import { raceSignal, systemWaitClock, type WaitClock } from "./clock.js";
import { ProviderUnavailableError, TitleNotFoundError } from "./errors.js";
import { TtlCache } from "./cache.js";
import { createHttpClient, DEFAULT_TIMEOUT_MS, endpoint, type GetJsonOptions } from "./http.js";
import { type RateLimiter, sharedTvmazeLimiter } from "./limiter.js";
import { cleanLine, compact, httpsUrl, MAX_EPISODE_NAME, MAX_NAME, MAX_QUERY, MAX_TITLE, yearFrom } from "./normalize.js";
import type { Episode, ShowDetails, ShowMatch, ShowProvider } from "./types.js";

export const TVMAZE_DEFAULT_ROOT = "https://api.tvmaze.com";

/** TVmaze asks for a retry "a few seconds later" when it sends no Retry-After. */
export const DEFAULT_RETRY_AFTER_MS = 2_000;
const MAX_RETRY_AFTER_MS = 10_000;

export interface TvmazeOptions {
  root?: string;
  userAgent: string;
  timeoutMs?: number;
  maxResults?: number;
  fetch?: typeof fetch;
  /** Default: the one limiter shared by the whole process. */
  limiter?: RateLimiter;
  /** For the wait after a 429 and the cache's expiry. */
  clock?: WaitClock;
  /** How long an episode list is reused. Default 10 minutes. */
  episodeCacheTtlMs?: number;
  /** How many shows' episode lists are kept. Default 200. */
  episodeCacheShows?: number;
  /** How many episodes are kept over all cached shows. Default 100,000. */
  episodeCacheEpisodes?: number;
}

const loose = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

const show = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  premiered: loose(z.string()),
  status: loose(z.string()),
  network: loose(z.object({ name: z.string() })),
  webChannel: loose(z.object({ name: z.string() })),
  image: loose(z.object({ medium: loose(z.string()), original: loose(z.string()) })),
});

const searchAnswer = z.array(z.object({ show }));

const episodesAnswer = z.array(
  z.object({
    season: z.number().int(),
    // Specials have no number.
    number: z.number().int().nullable(),
    name: loose(z.string()),
    airstamp: loose(z.string()),
  }),
);

type Show = z.infer<typeof show>;

export function createTvmazeProvider(options: TvmazeOptions): ShowProvider {
  const root = options.root ?? TVMAZE_DEFAULT_ROOT;
  const maxResults = options.maxResults ?? 5;
  const limiter = options.limiter ?? sharedTvmazeLimiter();
  const clock = options.clock ?? systemWaitClock;
  const http = createHttpClient({
    provider: "tvmaze",
    userAgent: options.userAgent,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const cache = new TtlCache<number, Episode[]>({
    ttlMs: options.episodeCacheTtlMs ?? 10 * 60_000,
    maxEntries: options.episodeCacheShows ?? 200,
    maxWeight: options.episodeCacheEpisodes ?? 100_000,
    weigh: (episodes) => episodes.length + 1,
    now: () => clock.now(),
  });

  /** One call through the limiter; a 429 is waited out (Retry-After, at most 10 s) and tried once more. */
  async function call<T>(url: URL, schema: z.ZodType<T>, get: GetJsonOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await limiter.acquire(get.signal);
      try {
        return await http.getJson(url, schema, get);
      } catch (error) {
        if (!(error instanceof ProviderUnavailableError) || error.reason !== "rate-limited" || attempt > 1) throw error;
        await clock.sleep(Math.min(error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS), get.signal);
      }
    }
  }

  async function fetchEpisodes(tvmazeId: number): Promise<Episode[]> {
    // Long-running daily shows have thousands of episodes: a larger body is allowed here.
    const answer = await call(endpoint(root, `/shows/${tvmazeId}/episodes`), episodesAnswer, {
      notFoundId: String(tvmazeId),
      maxBytes: 32 * 1024 * 1024,
    });
    const episodes: Episode[] = [];
    for (const e of answer) {
      if (e.number === null || e.number < 1 || e.season < 1) continue;
      const airstamp = e.airstamp ? Date.parse(e.airstamp) : Number.NaN;
      episodes.push(
        compact({
          season: e.season,
          number: e.number,
          name: cleanLine(e.name, MAX_EPISODE_NAME) ?? `Episode ${e.number}`,
          airstamp: Number.isFinite(airstamp) ? new Date(airstamp).toISOString() : undefined,
        }),
      );
    }
    return episodes.sort((a, b) => a.season - b.season || a.number - b.number);
  }

  async function episodes(id: string, signal?: AbortSignal): Promise<Episode[]> {
    const tvmazeId = showId(id);
    signal?.throwIfAborted();
    // The load is shared by every caller asking meanwhile, so it does not follow one caller's signal;
    // each caller stops waiting on its own.
    return raceSignal(cache.getOrLoad(tvmazeId, () => fetchEpisodes(tvmazeId)), signal);
  }

  return {
    name: "tvmaze",
    episodes,

    async search(query, signal) {
      const q = cleanLine(query, MAX_QUERY);
      if (!q) return [];
      const answer = await call(endpoint(root, "/search/shows", { q }), searchAnswer, signal ? { signal } : {});
      const matches: ShowMatch[] = [];
      for (const { show } of answer) {
        const title = cleanLine(show.name, MAX_TITLE);
        if (!title) continue;
        matches.push(
          compact({
            provider: "tvmaze" as const,
            id: String(show.id),
            title,
            year: yearFrom(show.premiered, 1900, 2100),
            network: networkOf(show),
            coverUrl: coverOf(show),
          }),
        );
        if (matches.length >= maxResults) break;
      }
      return matches;
    },

    async details(id, signal) {
      const tvmazeId = showId(id);
      const [found, list] = await Promise.all([
        call(endpoint(root, `/shows/${tvmazeId}`), show, { ...(signal ? { signal } : {}), notFoundId: id }),
        episodes(id, signal),
      ]);
      const title = cleanLine(found.name, MAX_TITLE);
      if (!title) throw new ProviderUnavailableError("tvmaze", "malformed", "a show without a name");
      const seasonEpisodes: Record<string, number> = {};
      for (const e of list) seasonEpisodes[String(e.season)] = (seasonEpisodes[String(e.season)] ?? 0) + 1;
      const details: ShowDetails = compact({
        provider: "tvmaze" as const,
        tvmazeId: found.id,
        title,
        year: yearFrom(found.premiered, 1900, 2100),
        network: networkOf(found),
        coverUrl: coverOf(found),
        status: cleanLine(found.status, 40),
        seasonEpisodes,
        episodes: list,
      });
      return details;
    },
  };
}

function showId(id: string): number {
  if (!/^[1-9]\d{0,9}$/.test(id)) throw new TitleNotFoundError("tvmaze", id);
  return Number(id);
}

function networkOf(show: Show): string | undefined {
  return cleanLine(show.network?.name, MAX_NAME) ?? cleanLine(show.webChannel?.name, MAX_NAME);
}

function coverOf(show: Show): string | undefined {
  return httpsUrl(show.image?.medium) ?? httpsUrl(show.image?.original);
}

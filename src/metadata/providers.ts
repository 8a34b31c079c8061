// Builds the title providers the configuration turns on: none with METADATA=off, movies only with
// a TMDB key, books and shows always otherwise. Every client gets the project's User-Agent.
import packageJson from "../../package.json" with { type: "json" };
import type { Config } from "../config.js";
import type { WaitClock } from "./clock.js";
import { DEFAULT_TIMEOUT_MS } from "./http.js";
import type { RateLimiter } from "./limiter.js";
import { createOpenLibraryProvider } from "./openlibrary.js";
import { createTmdbProvider } from "./tmdb.js";
import { createTvmazeProvider } from "./tvmaze.js";
import type { MetadataProviders } from "./types.js";

/** Open Library asks for a User-Agent naming the application; the others get the same. */
export const USER_AGENT = `media-tracker/${packageJson.version} (self-hosted Telegram bot)`;

export type MetadataConfig = Pick<
  Config,
  "METADATA" | "TMDB_API_KEY" | "TMDB_API_ROOT" | "OPENLIBRARY_ROOT" | "TVMAZE_API_ROOT" | "EPISODE_CHECK_HOURS"
>;

export interface MetadataOptions {
  /** The limit for one call. Default 5 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** TVmaze's limiter; default the one shared by the process. */
  tvmazeLimiter?: RateLimiter;
  clock?: WaitClock;
}

export function createMetadataProviders(config: MetadataConfig, options: MetadataOptions = {}): MetadataProviders {
  if (config.METADATA === "off") return {};
  const common = {
    userAgent: USER_AGENT,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  // An episode list is never reused from one check of new episodes to the next.
  const checkMs = config.EPISODE_CHECK_HOURS * 3_600_000;
  return {
    book: createOpenLibraryProvider({ ...common, root: config.OPENLIBRARY_ROOT }),
    ...(config.TMDB_API_KEY ? { movie: createTmdbProvider({ ...common, root: config.TMDB_API_ROOT, apiKey: config.TMDB_API_KEY }) } : {}),
    show: createTvmazeProvider({
      ...common,
      root: config.TVMAZE_API_ROOT,
      episodeCacheTtlMs: Math.min(10 * 60_000, checkMs / 2),
      ...(options.tvmazeLimiter ? { limiter: options.tvmazeLimiter } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    }),
  };
}

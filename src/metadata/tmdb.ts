// Movies from TMDB's API v3: GET /search/movie?query=… and GET /movie/{id}. The key is either a
// v3 API key (sent as the api_key query parameter) or a v4 read access token, a JWT starting with
// "eyJ" (sent as Authorization: Bearer). Posters come from TMDB's image server.
import { z } from "zod";
import { ProviderUnavailableError, TitleNotFoundError } from "./errors.js";
import { createHttpClient, DEFAULT_TIMEOUT_MS, endpoint } from "./http.js";
import { cleanLine, compact, MAX_QUERY, MAX_TITLE, yearFrom } from "./normalize.js";
import type { MovieDetails, MovieMatch, MovieProvider } from "./types.js";

export const TMDB_DEFAULT_ROOT = "https://api.themoviedb.org/3";
export const TMDB_IMAGE_BASE = "https://image.tmdb.org/t/p/w342";

export interface TmdbOptions {
  /** TMDB_API_KEY: a v3 key or a v4 read access token. */
  apiKey: string;
  root?: string;
  userAgent: string;
  timeoutMs?: number;
  maxResults?: number;
  fetch?: typeof fetch;
}

/** A v4 read access token is a JWT (three base64url parts, the first one "eyJ…"); a v3 key is 32 hex digits. */
export function isReadAccessToken(key: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(key);
}

const text = z.string().nullish().catch(undefined);

const movieSummary = z.object({
  id: z.number().int().positive(),
  title: z.string(),
  release_date: text,
  poster_path: text,
});

const searchAnswer = z.object({
  page: z.number().int(),
  results: z.array(movieSummary),
  total_results: z.number().int().optional(),
});

const movieAnswer = movieSummary.extend({ imdb_id: text });

export function createTmdbProvider(options: TmdbOptions): MovieProvider {
  const root = options.root ?? TMDB_DEFAULT_ROOT;
  const maxResults = options.maxResults ?? 5;
  const bearer = isReadAccessToken(options.apiKey);
  const http = createHttpClient({
    provider: "tmdb",
    userAgent: options.userAgent,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    keyVariable: "TMDB_API_KEY",
    secrets: [options.apiKey],
    // The key travels with every request: never let a redirect carry it to another host.
    redirect: "error",
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const headers = bearer ? { authorization: `Bearer ${options.apiKey}` } : undefined;
  const url = (path: string, query: Record<string, string | number> = {}) =>
    endpoint(root, path, bearer ? query : { ...query, api_key: options.apiKey });

  return {
    name: "tmdb",

    async search(query, signal) {
      const q = cleanLine(query, MAX_QUERY);
      if (!q) return [];
      const answer = await http.getJson(
        url("/search/movie", { query: q, include_adult: "false", language: "en-US", page: 1 }),
        searchAnswer,
        { ...(headers ? { headers } : {}), ...(signal ? { signal } : {}) },
      );
      const matches: MovieMatch[] = [];
      for (const movie of answer.results) {
        const title = cleanLine(movie.title, MAX_TITLE);
        if (!title) continue;
        matches.push(
          compact({
            provider: "tmdb" as const,
            id: String(movie.id),
            title,
            year: yearFrom(movie.release_date, 1870, 2100),
            coverUrl: posterUrl(movie.poster_path),
          }),
        );
        if (matches.length >= maxResults) break;
      }
      return matches;
    },

    async details(id, signal) {
      if (!/^[1-9]\d{0,9}$/.test(id)) throw new TitleNotFoundError("tmdb", id);
      const movie = await http.getJson(url(`/movie/${id}`, { language: "en-US" }), movieAnswer, {
        ...(headers ? { headers } : {}),
        ...(signal ? { signal } : {}),
        notFoundId: id,
      });
      const title = cleanLine(movie.title, MAX_TITLE);
      if (!title) throw new ProviderUnavailableError("tmdb", "malformed", "a movie without a title");
      const imdbId = movie.imdb_id && /^tt\d{1,12}$/.test(movie.imdb_id) ? movie.imdb_id : undefined;
      const details: MovieDetails = compact({
        provider: "tmdb" as const,
        tmdbId: movie.id,
        title,
        year: yearFrom(movie.release_date, 1870, 2100),
        coverUrl: posterUrl(movie.poster_path),
        imdbId,
      });
      return details;
    },
  };
}

/** TMDB gives a file path such as "/d5NXSklXo0qyIYkgV94XAgMIckC.jpg"; anything else is no poster. */
function posterUrl(path: string | null | undefined): string | undefined {
  return path && /^\/[A-Za-z0-9_-]{1,100}\.(jpe?g|png|webp)$/i.test(path) ? `${TMDB_IMAGE_BASE}${path}` : undefined;
}

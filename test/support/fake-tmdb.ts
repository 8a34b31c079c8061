// A local fake of TMDB's API v3 for the movie lookup: GET /3/search/movie and GET /3/movie/{id},
// with TMDB's auth (the v3 key as ?api_key=, or the v4 read access token as Authorization: Bearer;
// anything else: 401 with status_code 7) and its response shapes (search pages of 20, "" for an
// unknown release date, null for no poster, 404 with status_code 34).
import { type FakeProvider, looselyContains, type ProviderRequest, type RouteAnswer, startFakeProviderServer } from "./fake-provider-server.js";

export interface FakeMovie {
  id: number;
  title: string;
  original_title?: string;
  /** "YYYY-MM-DD", or "" when unknown (as TMDB sends it). */
  release_date: string;
  poster_path: string | null;
  imdb_id?: string | null;
  popularity?: number;
  overview?: string;
  runtime?: number;
}

export const FAKE_TMDB_KEY = "0123456789abcdef0123456789abcdef";
/** Shaped like a v4 read access token: a JWT (header.payload.signature). */
export const FAKE_TMDB_TOKEN =
  "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIwMTIzNDU2Nzg5YWJjZGVmIiwic2NvcGVzIjpbImFwaV9yZWFkIl0sInZlcnNpb24iOjF9.c2lnbmF0dXJlLW9mLXRoZS1mYWtl";

export const DEFAULT_MOVIES: FakeMovie[] = [
  { id: 438631, title: "Dune", release_date: "2021-09-15", poster_path: "/d5NXSklXo0qyIYkgV94XAgMIckC.jpg", imdb_id: "tt1160419", popularity: 120.5, runtime: 155 },
  { id: 841, title: "Dune", release_date: "1984-12-14", poster_path: "/a3nDwAnKAl0jsSmsGaIHWs4xJEv.jpg", imdb_id: "tt0087182", popularity: 40.1, runtime: 137 },
  { id: 693134, title: "Dune: Part Two", release_date: "2024-02-27", poster_path: "/1pdfLvkbY9ohJlCjQH2CZjjYVvJ.jpg", imdb_id: "tt15239678", popularity: 300.2, runtime: 167 },
  { id: 1170608, title: "Dune: Part Three", release_date: "", poster_path: null, imdb_id: null, popularity: 20 },
  { id: 329865, title: "Arrival", release_date: "2016-11-10", poster_path: "/x2FJsf1ElAgr63Y3PNPtJrcmpoe.jpg", imdb_id: "tt2543164", popularity: 60 },
  { id: 129, title: "Spirited Away", original_title: "千と千尋の神隠し", release_date: "2001-07-20", poster_path: "/39wmItIWsg5sZMyRUHLkWBcuVCM.jpg", imdb_id: "tt0245429", popularity: 90 },
];

export interface FakeTmdb extends FakeProvider {
  readonly movies: Map<number, FakeMovie>;
  addMovie(movie: FakeMovie): void;
}

export interface FakeTmdbOptions {
  /** The accepted v3 key. Default FAKE_TMDB_KEY. */
  apiKey?: string;
  /** The accepted v4 read access token. Default FAKE_TMDB_TOKEN. */
  readToken?: string;
  movies?: FakeMovie[];
}

const PAGE_SIZE = 20;

export async function startFakeTmdb(options: FakeTmdbOptions = {}): Promise<FakeTmdb> {
  const apiKey = options.apiKey ?? FAKE_TMDB_KEY;
  const readToken = options.readToken ?? FAKE_TMDB_TOKEN;
  const movies = new Map(structuredClone(options.movies ?? DEFAULT_MOVIES).map((m) => [m.id, m]));

  const route = (request: ProviderRequest): RouteAnswer => {
    const bearer = request.headers.authorization;
    const authorized = request.query.api_key === apiKey || bearer === `Bearer ${readToken}`;
    if (!authorized) {
      return { status: 401, body: { status_code: 7, status_message: "Invalid API key: You must be granted a valid key.", success: false } };
    }
    if (request.method !== "GET") return notFound();
    if (request.path === "/search/movie") return search(request.query);
    const details = /^\/movie\/(\d+)$/.exec(request.path);
    if (details) {
      const movie = movies.get(Number(details[1]));
      return movie ? { status: 200, body: fullMovie(movie) } : notFound();
    }
    return notFound();
  };

  const search = (query: Record<string, string>): RouteAnswer => {
    const text = query.query ?? "";
    const page = Math.max(1, Number(query.page ?? "1") || 1);
    const hits =
      text.trim() === ""
        ? []
        : [...movies.values()]
            .filter((m) => looselyContains(m.title, text) || looselyContains(m.original_title ?? m.title, text))
            .sort((a, b) => (b.popularity ?? 0) - (a.popularity ?? 0));
    const results = hits.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map(summary);
    return {
      status: 200,
      body: { page, results, total_pages: Math.max(1, Math.ceil(hits.length / PAGE_SIZE)), total_results: hits.length },
    };
  };

  const server = await startFakeProviderServer({ prefix: "/3", route });
  return Object.assign(server, {
    movies,
    addMovie(movie: FakeMovie) {
      movies.set(movie.id, movie);
    },
  }) as FakeTmdb;
}

function notFound(): RouteAnswer {
  return { status: 404, body: { success: false, status_code: 34, status_message: "The resource you requested could not be found." } };
}

function summary(m: FakeMovie) {
  return {
    adult: false,
    backdrop_path: null,
    genre_ids: [878, 12],
    id: m.id,
    original_language: "en",
    original_title: m.original_title ?? m.title,
    overview: m.overview ?? "",
    popularity: m.popularity ?? 1,
    poster_path: m.poster_path,
    release_date: m.release_date,
    title: m.title,
    video: false,
    vote_average: 7.8,
    vote_count: 1234,
  };
}

function fullMovie(m: FakeMovie) {
  const { genre_ids: _genres, ...rest } = summary(m);
  return {
    ...rest,
    belongs_to_collection: null,
    budget: 0,
    genres: [{ id: 878, name: "Science Fiction" }],
    homepage: "",
    imdb_id: m.imdb_id ?? null,
    origin_country: ["US"],
    production_companies: [],
    production_countries: [],
    revenue: 0,
    runtime: m.runtime ?? 0,
    spoken_languages: [{ english_name: "English", iso_639_1: "en", name: "English" }],
    status: m.release_date ? "Released" : "In Production",
    tagline: "",
  };
}

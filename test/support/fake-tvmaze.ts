// A local fake of TVmaze's API for the show lookup and episode checks: GET /search/shows?q=,
// /shows/{id} and /shows/{id}/episodes in TVmaze's shapes (network or webChannel, image null or
// {medium, original}, specials with number null, airstamp with an offset), no key. Like TVmaze it
// answers 429 when more than `limit` calls (default 20) would be served within `windowMs` (10 s),
// judged on an injectable clock so a test can run in virtual time.
import { type FakeProvider, looselyContains, type ProviderRequest, type RouteAnswer, startFakeProviderServer } from "./fake-provider-server.js";

export interface FakeEpisode {
  season: number;
  /** null for a special. */
  number: number | null;
  name: string;
  /** ISO 8601 with offset, or null when not scheduled. */
  airstamp: string | null;
}

export interface FakeShow {
  id: number;
  name: string;
  premiered: string | null;
  status?: string;
  network?: string | null;
  webChannel?: string | null;
  image?: { medium: string; original: string } | null;
  episodes: FakeEpisode[];
}

/** Episodes of `counts[i]` per season i + 1, a week apart from `firstAir`. */
export function makeEpisodes(counts: number[], firstAir = "2022-02-18T02:00:00+00:00"): FakeEpisode[] {
  const start = Date.parse(firstAir);
  const episodes: FakeEpisode[] = [];
  let week = 0;
  counts.forEach((count, i) => {
    for (let n = 1; n <= count; n++) {
      episodes.push({ season: i + 1, number: n, name: `Episode ${n}`, airstamp: new Date(start + week++ * 7 * 86_400_000).toISOString() });
    }
  });
  return episodes;
}

export const DEFAULT_SHOWS: FakeShow[] = [
  {
    id: 44933,
    name: "Severance",
    premiered: "2022-02-18",
    status: "Running",
    webChannel: "Apple TV+",
    image: {
      medium: "https://static.tvmaze.com/uploads/images/medium_portrait/546/1366393.jpg",
      original: "https://static.tvmaze.com/uploads/images/original_untouched/546/1366393.jpg",
    },
    episodes: [...makeEpisodes([9, 10]), { season: 2, number: null, name: "Behind the Scenes", airstamp: "2025-03-21T01:00:00+00:00" }],
  },
  {
    id: 526,
    name: "The Office",
    premiered: "2005-03-24",
    status: "Ended",
    network: "NBC",
    image: {
      medium: "https://static.tvmaze.com/uploads/images/medium_portrait/481/1204342.jpg",
      original: "https://static.tvmaze.com/uploads/images/original_untouched/481/1204342.jpg",
    },
    episodes: makeEpisodes([6, 22], "2005-03-25T01:30:00+00:00"),
  },
  { id: 1371, name: "The Office", premiered: "2001-07-09", status: "Ended", network: "BBC Two", image: null, episodes: makeEpisodes([6, 6]) },
];

export interface FakeTvmaze extends FakeProvider {
  readonly shows: Map<number, FakeShow>;
  addShow(show: FakeShow): void;
  /** Requests answered 429 so far. */
  readonly refused: ProviderRequest[];
}

export interface FakeTvmazeOptions {
  shows?: FakeShow[];
  /** Calls served per window before 429. Default 20 (TVmaze's documented minimum). */
  limit?: number;
  windowMs?: number;
  now?: () => number;
  /** Send Retry-After (seconds) with a 429; TVmaze itself usually sends none. */
  retryAfterSeconds?: number;
}

export async function startFakeTvmaze(options: FakeTvmazeOptions = {}): Promise<FakeTvmaze> {
  // A copy, so a test that changes a show changes it for itself only.
  const shows = new Map(structuredClone(options.shows ?? DEFAULT_SHOWS).map((s) => [s.id, s]));
  const limit = options.limit ?? 20;
  const windowMs = options.windowMs ?? 10_000;
  const now = options.now ?? Date.now;
  const served: number[] = [];
  const refused: ProviderRequest[] = [];

  const route = (request: ProviderRequest): RouteAnswer => {
    while (served.length > 0 && served[0]! <= request.at - windowMs) served.shift();
    if (served.length >= limit) {
      refused.push(request);
      return {
        status: 429,
        body: { name: "Too Many Requests", message: "Rate limit exceeded", code: 0, status: 429 },
        ...(options.retryAfterSeconds !== undefined ? { headers: { "retry-after": String(options.retryAfterSeconds) } } : {}),
      };
    }
    served.push(request.at);
    if (request.path === "/search/shows") {
      const q = request.query.q;
      if (q === undefined) return { status: 400, body: { name: "Bad Request", message: "Missing required parameters: q", code: 0, status: 400 } };
      const hits = [...shows.values()].filter((s) => q.trim() !== "" && looselyContains(s.name, q)).slice(0, 10);
      return { status: 200, body: hits.map((s, i) => ({ score: Math.max(0.1, 0.9 - i * 0.1), show: showRecord(s) })) };
    }
    let m = /^\/shows\/(\d+)$/.exec(request.path);
    if (m) {
      const found = shows.get(Number(m[1]));
      return found ? { status: 200, body: showRecord(found) } : notFound();
    }
    m = /^\/shows\/(\d+)\/episodes$/.exec(request.path);
    if (m) {
      const found = shows.get(Number(m[1]));
      if (!found) return notFound();
      const withSpecials = request.query.specials === "1";
      return {
        status: 200,
        body: found.episodes.filter((e) => withSpecials || e.number !== null).map((e, i) => episodeRecord(found, e, i)),
      };
    }
    return notFound();
  };

  const server = await startFakeProviderServer({ route, now });
  return Object.assign(server, {
    shows,
    refused,
    addShow(show: FakeShow) {
      shows.set(show.id, show);
    },
  }) as FakeTvmaze;
}

function notFound(): RouteAnswer {
  return { status: 404, body: { name: "Not Found", message: "", code: 0, status: 404 } };
}

function channel(id: number, name: string) {
  return { id, name, country: { name: "United States", code: "US", timezone: "America/New_York" }, officialSite: null };
}

function showRecord(s: FakeShow) {
  return {
    id: s.id,
    url: `https://www.tvmaze.com/shows/${s.id}`,
    name: s.name,
    type: "Scripted",
    language: "English",
    genres: ["Drama"],
    status: s.status ?? "Running",
    runtime: 50,
    averageRuntime: 50,
    premiered: s.premiered,
    ended: s.status === "Ended" ? "2013-05-16" : null,
    officialSite: null,
    schedule: { time: "21:00", days: ["Friday"] },
    rating: { average: 8.4 },
    weight: 98,
    network: s.network ? channel(1, s.network) : null,
    webChannel: s.webChannel ? { ...channel(310, s.webChannel), country: null } : null,
    dvdCountry: null,
    externals: { tvrage: null, thetvdb: 371980, imdb: "tt11280740" },
    image: s.image ?? null,
    summary: `<p>${s.name}.</p>`,
    updated: 1_700_000_000,
    _links: { self: { href: `https://api.tvmaze.com/shows/${s.id}` } },
  };
}

function episodeRecord(s: FakeShow, e: FakeEpisode, i: number) {
  return {
    id: s.id * 10_000 + i,
    url: `https://www.tvmaze.com/episodes/${s.id * 10_000 + i}`,
    name: e.name,
    season: e.season,
    number: e.number,
    type: e.number === null ? "significant_special" : "regular",
    airdate: e.airstamp ? e.airstamp.slice(0, 10) : "",
    airtime: "21:00",
    airstamp: e.airstamp,
    runtime: 50,
    rating: { average: null },
    image: null,
    summary: null,
    _links: { self: { href: `https://api.tvmaze.com/episodes/${s.id * 10_000 + i}` }, show: { href: `https://api.tvmaze.com/shows/${s.id}`, name: s.name } },
  };
}

// The TVmaze show client against a local fake of TVmaze over real HTTP: mapping, 429 handling,
// the episode-list cache. Waits run on a virtual clock.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderUnavailableError, TitleNotFoundError } from "../../src/metadata/errors.js";
import { RateLimiter } from "../../src/metadata/limiter.js";
import { createTvmazeProvider, type TvmazeOptions } from "../../src/metadata/tvmaze.js";
import { type FakeTvmaze, makeEpisodes, startFakeTvmaze } from "../support/fake-tvmaze.js";
import { VirtualClock } from "../support/virtual-clock.js";

const USER_AGENT = "media-tracker/test (self-hosted Telegram bot)";
let fake: FakeTvmaze;
let clock: VirtualClock;

beforeEach(async () => {
  fake = await startFakeTvmaze();
  clock = new VirtualClock(1_700_000_000_000, { auto: true });
});
afterEach(async () => {
  await fake.close();
});

function client(options: Partial<TvmazeOptions> = {}) {
  return createTvmazeProvider({
    root: fake.root,
    userAgent: USER_AGENT,
    clock,
    // Each test its own limiter, roomy enough not to matter here (limiter.test.ts tests it).
    limiter: new RateLimiter({ limit: 1000, windowMs: 10_000, clock }),
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("TVmaze search", () => {
  it("maps /search/shows to matches with year, network (or web channel) and cover", async () => {
    expect(await client().search("the office")).toEqual([
      {
        provider: "tvmaze",
        id: "526",
        title: "The Office",
        year: 2005,
        network: "NBC",
        coverUrl: "https://static.tvmaze.com/uploads/images/medium_portrait/481/1204342.jpg",
      },
      { provider: "tvmaze", id: "1371", title: "The Office", year: 2001, network: "BBC Two" },
    ]);
    expect(await client().search("severance")).toEqual([
      {
        provider: "tvmaze",
        id: "44933",
        title: "Severance",
        year: 2022,
        network: "Apple TV+",
        coverUrl: "https://static.tvmaze.com/uploads/images/medium_portrait/546/1366393.jpg",
      },
    ]);
    const [request] = fake.requestsTo("/search/shows");
    expect(request!.query).toEqual({ q: "the office" });
    expect(request!.headers["user-agent"]).toBe(USER_AGENT);
  });

  it("keeps only https images", async () => {
    fake.addShow({
      id: 9001,
      name: "Hostile",
      premiered: "2020-01-01",
      image: { medium: "javascript:alert(1)", original: "http://insecure.example/a.jpg" },
      episodes: [],
    });
    const [match] = await client().search("hostile");
    expect(match).toEqual({ provider: "tvmaze", id: "9001", title: "Hostile", year: 2020 });
  });
});

describe("TVmaze details", () => {
  it("gives the show with its episode counts per season and its episodes in order, specials left out", async () => {
    fake.shows.get(44933)!.episodes.reverse();
    const details = await client().details("44933");

    expect(details).toMatchObject({
      provider: "tvmaze",
      tvmazeId: 44933,
      title: "Severance",
      year: 2022,
      network: "Apple TV+",
      status: "Running",
      seasonEpisodes: { "1": 9, "2": 10 },
    });
    expect(details.episodes).toHaveLength(19);
    expect(details.episodes[0]).toEqual({ season: 1, number: 1, name: "Episode 1", airstamp: "2022-02-18T02:00:00.000Z" });
    expect(details.episodes.at(-1)).toMatchObject({ season: 2, number: 10 });
    expect(fake.requests.map((r) => r.path).sort()).toEqual(["/shows/44933", "/shows/44933/episodes"]);
  });

  it("drops episodes without a number or season, and keeps one without an airstamp without inventing one", async () => {
    fake.addShow({
      id: 9002,
      name: "Odd",
      premiered: null,
      episodes: [
        { season: 1, number: 1, name: "Pilot", airstamp: "2024-01-01T01:00:00-05:00" },
        { season: 1, number: 2, name: "  ", airstamp: null },
        { season: 0, number: 1, name: "Season zero", airstamp: null },
      ],
    });
    fake.queue({
      status: 200,
      body: [
        { season: 1, number: 1, name: "Pilot", airstamp: "2024-01-01T01:00:00-05:00" },
        { season: 1, number: null, name: "Special", airstamp: "2024-01-02T01:00:00+00:00" },
        { season: 1, number: 2, name: "  ", airstamp: null },
        { season: 0, number: 1, name: "Season zero", airstamp: "not a date" },
      ],
    });
    expect(await client().episodes("9002")).toEqual([
      { season: 1, number: 1, name: "Pilot", airstamp: "2024-01-01T06:00:00.000Z" },
      { season: 1, number: 2, name: "Episode 2" },
    ]);
  });

  it("answers TitleNotFoundError for an unknown show (404) and for an id that cannot be one", async () => {
    expect(await failure(client().details("404404"))).toBeInstanceOf(TitleNotFoundError);
    expect(await failure(client().episodes("404404"))).toBeInstanceOf(TitleNotFoundError);
    expect(await failure(client().episodes("1/../../search"))).toBeInstanceOf(TitleNotFoundError);
    expect(await failure(client().details("0"))).toBeInstanceOf(TitleNotFoundError);
  });
});

describe("TVmaze 429", () => {
  it("waits as long as Retry-After says and tries once more", async () => {
    fake.queue({ status: 429, headers: { "retry-after": "3" }, body: { name: "Too Many Requests", status: 429 } });
    expect((await client().search("severance")).map((m) => m.id)).toEqual(["44933"]);
    expect(fake.requestsTo("/search/shows")).toHaveLength(2);
    expect(clock.sleeps).toEqual([3000]);
  });

  it("waits a couple of seconds when TVmaze sends no Retry-After, as it asks", async () => {
    fake.queue({ status: 429 });
    await client().episodes("44933");
    expect(clock.sleeps).toEqual([2000]);
  });

  it("gives up after the one retry with ProviderUnavailableError (rate-limited)", async () => {
    fake.queue({ status: 429 }, { status: 429 });
    const error = await failure(client().search("severance"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe("rate-limited");
    expect(fake.requests).toHaveLength(2);
  });

  it("waits no longer than 10 s whatever Retry-After asks", async () => {
    fake.queue({ status: 429, headers: { "retry-after": "3600" } });
    await client().search("severance");
    expect(clock.sleeps).toEqual([10_000]);
  });

  it("counts the retry against the limiter too", async () => {
    const limiter = new RateLimiter({ limit: 20, windowMs: 10_000, clock });
    fake.queue({ status: 429 });
    await client({ limiter }).search("severance");
    expect(limiter.recentStarts).toBe(2);
  });
});

describe("TVmaze failures", () => {
  it("gives up on a hanging server after its timeout", async () => {
    fake.always({ hang: true });
    const error = await failure(client({ timeoutMs: 150 }).episodes("44933"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe("timeout");
  });

  it.each([
    ["a 500", { status: 500 }, "http"],
    ["malformed JSON", { raw: "[{" }, "malformed"],
    ["an object where a list belongs", { status: 200, body: { show: {} } }, "malformed"],
    ["a show without an id", { status: 200, body: [{ score: 1, show: { name: "x" } }] }, "malformed"],
  ])("turns %s into ProviderUnavailableError", async (_, override, reason) => {
    fake.queue(override);
    const error = await failure(client().search("severance"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe(reason);
  });
});

describe("the episode-list cache", () => {
  it("reuses an episode list within its time to live and fetches it again after", async () => {
    const manual = new VirtualClock();
    const shows = client({ clock: manual, limiter: new RateLimiter({ limit: 1000, windowMs: 1, clock: manual }), episodeCacheTtlMs: 60_000 });

    await shows.episodes("44933");
    await shows.episodes("44933");
    await shows.details("44933");
    expect(fake.requestsTo("/shows/44933/episodes")).toHaveLength(1);

    fake.shows.get(44933)!.episodes.push(...makeEpisodes([0, 0, 1], "2026-01-01T02:00:00+00:00").map((e) => ({ ...e, season: 3 })));
    manual.advance(59_999);
    expect(await shows.episodes("44933")).toHaveLength(19);
    manual.advance(1);
    expect(await shows.episodes("44933")).toHaveLength(20);
    expect(fake.requestsTo("/shows/44933/episodes")).toHaveLength(2);
  });

  it("fetches a show once for many callers asking at the same time", async () => {
    const shows = client();
    const lists = await Promise.all(Array.from({ length: 8 }, () => shows.episodes("44933")));
    expect(new Set(lists.map((l) => l.length))).toEqual(new Set([19]));
    expect(fake.requestsTo("/shows/44933/episodes")).toHaveLength(1);
  });

  it("lets a caller stop waiting without failing the others sharing the fetch", async () => {
    const shows = client({ timeoutMs: 200 });
    fake.queue({ hang: true });
    const patient = shows.episodes("44933");
    const controller = new AbortController();
    const impatient = shows.episodes("44933", controller.signal);
    controller.abort(new Error("gave up"));
    expect(await failure(impatient)).toEqual(new Error("gave up"));
    // The shared fetch went on for the patient caller, who gets its own outcome (here: the timeout).
    const outcome = await failure(patient);
    expect(outcome).toBeInstanceOf(ProviderUnavailableError);
    expect((outcome as ProviderUnavailableError).reason).toBe("timeout");
    expect(fake.requestsTo("/shows/44933/episodes")).toHaveLength(1);
  });

  it("does not keep a failure", async () => {
    const shows = client();
    fake.queue({ status: 500 });
    expect(await failure(shows.episodes("44933"))).toBeInstanceOf(ProviderUnavailableError);
    expect(await shows.episodes("44933")).toHaveLength(19);
    expect(fake.requestsTo("/shows/44933/episodes")).toHaveLength(2);
  });

  it("keeps at most episodeCacheShows shows, dropping the least recently used", async () => {
    const shows = client({ episodeCacheShows: 2 });
    await shows.episodes("44933");
    await shows.episodes("526");
    await shows.episodes("44933"); // used again: 526 is now the oldest
    await shows.episodes("1371"); // pushes 526 out
    await shows.episodes("44933");
    await shows.episodes("526");
    expect(fake.requestsTo("/shows/44933/episodes")).toHaveLength(1);
    expect(fake.requestsTo("/shows/526/episodes")).toHaveLength(2);
  });

  it("keeps at most episodeCacheEpisodes episodes over all shows", async () => {
    const shows = client({ episodeCacheEpisodes: 30 });
    await shows.episodes("44933"); // 19 episodes
    await shows.episodes("526"); // 28 more: 44933 goes
    await shows.episodes("526");
    await shows.episodes("44933");
    expect(fake.requestsTo("/shows/526/episodes")).toHaveLength(1);
    expect(fake.requestsTo("/shows/44933/episodes")).toHaveLength(2);
  });
});

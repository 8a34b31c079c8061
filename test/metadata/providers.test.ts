// The set of providers built from the configuration, end to end against the three local fakes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import { parseConfig } from "../../src/config.js";
import { sharedTvmazeLimiter } from "../../src/metadata/limiter.js";
import { createMetadataProviders, USER_AGENT } from "../../src/metadata/providers.js";
import { FAKE_TMDB_KEY, type FakeTmdb, startFakeTmdb } from "../support/fake-tmdb.js";
import { type FakeOpenLibrary, startFakeOpenLibrary } from "../support/fake-openlibrary.js";
import { type FakeTvmaze, startFakeTvmaze } from "../support/fake-tvmaze.js";
import { VirtualClock } from "../support/virtual-clock.js";

let tmdb: FakeTmdb;
let openLibrary: FakeOpenLibrary;
let tvmaze: FakeTvmaze;

beforeAll(async () => {
  [tmdb, openLibrary, tvmaze] = await Promise.all([startFakeTmdb(), startFakeOpenLibrary(), startFakeTvmaze()]);
});
afterAll(async () => {
  await Promise.all([tmdb.close(), openLibrary.close(), tvmaze.close()]);
});

function env(extra: Record<string, string> = {}) {
  return parseConfig({
    TMDB_API_ROOT: tmdb.root,
    OPENLIBRARY_ROOT: openLibrary.root,
    TVMAZE_API_ROOT: tvmaze.root,
    ...extra,
  });
}

describe("createMetadataProviders", () => {
  it("looks up books, movies and shows at the configured roots, naming the project in User-Agent", async () => {
    const providers = createMetadataProviders(env({ TMDB_API_KEY: FAKE_TMDB_KEY }));

    expect((await providers.book!.search("dune"))[0]).toMatchObject({ provider: "openlibrary", title: "Dune", author: "Frank Herbert" });
    expect((await providers.movie!.search("arrival"))[0]).toMatchObject({ provider: "tmdb", id: "329865", year: 2016 });
    expect((await providers.show!.search("severance"))[0]).toMatchObject({ provider: "tvmaze", id: "44933" });

    expect(USER_AGENT).toBe(`media-tracker/${packageJson.version} (self-hosted Telegram bot)`);
    for (const fake of [openLibrary, tmdb, tvmaze]) expect(fake.requests.at(-1)!.headers["user-agent"]).toBe(USER_AGENT);
  });

  it("has no movie provider without a TMDB key; books and shows need none", () => {
    const providers = createMetadataProviders(env());
    expect(providers.movie).toBeUndefined();
    expect(providers.book?.name).toBe("openlibrary");
    expect(providers.show?.name).toBe("tvmaze");
  });

  it("has none at all with METADATA=off, so nothing typed leaves the machine", () => {
    expect(createMetadataProviders(env({ METADATA: "off", TMDB_API_KEY: FAKE_TMDB_KEY }))).toEqual({});
  });

  it("gives every show provider in the process the one TVmaze limiter", async () => {
    const before = sharedTvmazeLimiter().recentStarts;
    await createMetadataProviders(env()).show!.search("office");
    await createMetadataProviders(env()).show!.search("office");
    expect(sharedTvmazeLimiter().recentStarts).toBe(before + 2);
  });

  it("never reuses an episode list from one check of new episodes to the next", async () => {
    // Checks every 0.01 h (36 s): a list is kept at most half of that.
    const clock = new VirtualClock();
    const shows = createMetadataProviders(env({ EPISODE_CHECK_HOURS: "0.01" }), { clock }).show!;
    const before = tvmaze.requestsTo("/shows/526/episodes").length;
    await shows.episodes("526");
    clock.advance(17_999);
    await shows.episodes("526");
    expect(tvmaze.requestsTo("/shows/526/episodes").length).toBe(before + 1);
    clock.advance(1);
    await shows.episodes("526");
    expect(tvmaze.requestsTo("/shows/526/episodes").length).toBe(before + 2);
  });
});

describe("the lookup settings", () => {
  it("have the contract's defaults", () => {
    expect(parseConfig({})).toMatchObject({
      METADATA: "on",
      TMDB_API_ROOT: "https://api.themoviedb.org/3",
      OPENLIBRARY_ROOT: "https://openlibrary.org",
      TVMAZE_API_ROOT: "https://api.tvmaze.com",
      EPISODE_CHECK_HOURS: 24,
    });
    expect(parseConfig({ TMDB_API_KEY: "" }).TMDB_API_KEY).toBeUndefined();
  });

  it("take decimal hours between checks", () => {
    expect(parseConfig({ EPISODE_CHECK_HOURS: "0.5" }).EPISODE_CHECK_HOURS).toBe(0.5);
  });

  it.each([
    [{ METADATA: "maybe" }, "METADATA"],
    [{ EPISODE_CHECK_HOURS: "0" }, "EPISODE_CHECK_HOURS must be more than 0 hours"],
    [{ EPISODE_CHECK_HOURS: "daily" }, "EPISODE_CHECK_HOURS must be a number of hours"],
    [{ TMDB_API_KEY: "has spaces in it, not a key" }, "TMDB_API_KEY must be a TMDB v3 API key or v4 read access token"],
    [{ TVMAZE_API_ROOT: "ftp://example.com" }, "TVMAZE_API_ROOT"],
  ])("name a bad value in one line: %j", (bad, expected) => {
    expect(() => parseConfig(bad)).toThrow(expected);
  });
});

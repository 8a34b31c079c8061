// The TMDB movie client against a local fake of TMDB's API v3 over real HTTP.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderKeyRejectedError, ProviderUnavailableError, TitleNotFoundError } from "../../src/metadata/errors.js";
import { createTmdbProvider, isReadAccessToken, TMDB_IMAGE_BASE, type TmdbOptions } from "../../src/metadata/tmdb.js";
import { FAKE_TMDB_KEY, FAKE_TMDB_TOKEN, type FakeTmdb, startFakeTmdb } from "../support/fake-tmdb.js";

const USER_AGENT = "media-tracker/test (self-hosted Telegram bot)";
let fake: FakeTmdb;

beforeEach(async () => {
  fake = await startFakeTmdb();
});
afterEach(async () => {
  await fake.close();
});

function client(options: Partial<TmdbOptions> = {}) {
  return createTmdbProvider({ apiKey: FAKE_TMDB_KEY, root: fake.root, userAgent: USER_AGENT, ...options });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("TMDB search", () => {
  it("maps /search/movie results to matches, most popular first, with year and poster", async () => {
    const matches = await client().search("dune");

    expect(matches).toEqual([
      { provider: "tmdb", id: "693134", title: "Dune: Part Two", year: 2024, coverUrl: `${TMDB_IMAGE_BASE}/1pdfLvkbY9ohJlCjQH2CZjjYVvJ.jpg` },
      { provider: "tmdb", id: "438631", title: "Dune", year: 2021, coverUrl: `${TMDB_IMAGE_BASE}/d5NXSklXo0qyIYkgV94XAgMIckC.jpg` },
      { provider: "tmdb", id: "841", title: "Dune", year: 1984, coverUrl: `${TMDB_IMAGE_BASE}/a3nDwAnKAl0jsSmsGaIHWs4xJEv.jpg` },
      // TMDB sends "" for an unknown release date and null for no poster: neither is invented.
      { provider: "tmdb", id: "1170608", title: "Dune: Part Three" },
    ]);
    const [request] = fake.requestsTo("/search/movie");
    expect(request!.query).toMatchObject({ query: "dune", include_adult: "false", page: "1" });
    expect(request!.headers["user-agent"]).toBe(USER_AGENT);
  });

  it("offers at most maxResults matches (5 by default)", async () => {
    for (let i = 1; i <= 12; i++) fake.addMovie({ id: 9000 + i, title: `Alien ${i}`, release_date: "1990-01-01", poster_path: null, popularity: i });
    expect(await client().search("alien")).toHaveLength(5);
    expect(await client({ maxResults: 2 }).search("alien")).toHaveLength(2);
  });

  it("sends no request for a blank query and answers []", async () => {
    expect(await client().search("  \n ")).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it("cleans hostile titles and drops posters that are not TMDB image paths", async () => {
    fake.addMovie({ id: 7001, title: "Evil\u202Egnp.exe\u0007 " + "x".repeat(400), release_date: "2020-01-01", poster_path: "/../../etc/passwd" });
    fake.addMovie({ id: 7002, title: " \u200B ", release_date: "2020-01-01", poster_path: null });
    const [match, ...rest] = await client().search("evil");
    expect(rest).toEqual([]);
    expect(match!.title.startsWith("Evilgnp.exe x")).toBe(true);
    expect(match!.title).not.toMatch(/[\u202E\u0007]/);
    expect(Array.from(match!.title).length).toBe(300);
    expect(match!.coverUrl).toBeUndefined();
    expect(await client().search("\u200B")).toEqual([]);
  });
});

describe("TMDB auth", () => {
  it("sends a v3 key as the api_key query parameter, with no Authorization header", async () => {
    await client().search("arrival");
    const [request] = fake.requests;
    expect(request!.query.api_key).toBe(FAKE_TMDB_KEY);
    expect(request!.headers.authorization).toBeUndefined();
  });

  it("sends a v4 read access token as Authorization: Bearer, never in the URL", async () => {
    expect(isReadAccessToken(FAKE_TMDB_TOKEN)).toBe(true);
    expect(isReadAccessToken(FAKE_TMDB_KEY)).toBe(false);
    const matches = await client({ apiKey: FAKE_TMDB_TOKEN }).search("arrival");
    expect(matches.map((m) => m.id)).toEqual(["329865"]);
    const [request] = fake.requests;
    expect(request!.headers.authorization).toBe(`Bearer ${FAKE_TMDB_TOKEN}`);
    expect(request!.query.api_key).toBeUndefined();
  });

  it.each([
    ["a wrong v3 key", "ffffffffffffffffffffffffffffffff"],
    ["a wrong v4 token", "eyJhbGciOiJIUzI1NiJ9.eyJ3cm9uZyI6dHJ1ZX0.bm9wZQ"],
  ])("turns a 401 for %s into ProviderKeyRejectedError naming TMDB_API_KEY, without the key", async (_, key) => {
    const error = await failure(client({ apiKey: key }).search("dune"));
    expect(error).toBeInstanceOf(ProviderKeyRejectedError);
    expect((error as Error).message).toBe("TMDB key rejected (HTTP 401): check TMDB_API_KEY.");
    expect((error as Error).message).not.toContain(key);
    expect(await failure(client({ apiKey: key }).details("438631"))).toBeInstanceOf(ProviderKeyRejectedError);
  });
});

describe("TMDB details", () => {
  it("maps /movie/{id} to the movie an entry keeps", async () => {
    expect(await client().details("438631")).toEqual({
      provider: "tmdb",
      tmdbId: 438631,
      title: "Dune",
      year: 2021,
      coverUrl: `${TMDB_IMAGE_BASE}/d5NXSklXo0qyIYkgV94XAgMIckC.jpg`,
      imdbId: "tt1160419",
    });
    expect(fake.requests.map((r) => r.path)).toEqual(["/movie/438631"]);
  });

  it("answers TitleNotFoundError for an id TMDB does not know (404) and for one that cannot be an id", async () => {
    expect(await failure(client().details("999999"))).toBeInstanceOf(TitleNotFoundError);
    expect(await failure(client().details("../search/movie?query=x"))).toBeInstanceOf(TitleNotFoundError);
    expect(await failure(client().details("-1"))).toBeInstanceOf(TitleNotFoundError);
    expect(fake.requests).toHaveLength(1);
  });
});

describe("TMDB failures", () => {
  it("gives up on a hanging server after its timeout with ProviderUnavailableError (timeout)", async () => {
    fake.always({ hang: true });
    const error = await failure(client({ timeoutMs: 150 }).search("dune"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe("timeout");
  });

  it("rejects with the caller's own reason when the caller aborts", async () => {
    fake.always({ hang: true });
    const controller = new AbortController();
    const pending = client().search("dune", controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("dialog moved on"));
    expect(await failure(pending)).toEqual(new Error("dialog moved on"));
  });

  it.each([
    ["a 500", { status: 500 }, "http"],
    ["a 503 with an HTML body", { raw: "<html>busy</html>", status: 503, contentType: "text/html" }, "http"],
    ["malformed JSON", { raw: '{"page":1,"results":[{"id":' }, "malformed"],
    ["JSON of the wrong shape", { status: 200, body: { page: 1, results: "none" } }, "malformed"],
    ["a result without an id", { status: 200, body: { page: 1, results: [{ title: "Dune" }] } }, "malformed"],
    ["a reset connection", "reset" as const, "network"],
  ])("turns %s into ProviderUnavailableError", async (_, override, reason) => {
    fake.queue(override);
    const error = await failure(client().search("dune"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe(reason);
    expect((error as Error).message).not.toContain(FAKE_TMDB_KEY);
  });

  it("refuses an answer larger than it reads", async () => {
    fake.queue({ status: 200, body: { page: 1, results: [], padding: "x".repeat(5 * 1024 * 1024) } });
    const error = await failure(client().search("dune"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe("too-large");
  });

  it("does not follow a redirect, which could carry the key to another host", async () => {
    fake.queue({ status: 302, headers: { location: "http://127.0.0.1:1/steal" } });
    const error = await failure(client().search("dune"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(fake.requests).toHaveLength(1);
  });
});

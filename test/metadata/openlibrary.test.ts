// The Open Library book client against a local fake of Open Library over real HTTP.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderUnavailableError, TitleNotFoundError } from "../../src/metadata/errors.js";
import { createOpenLibraryProvider, OPENLIBRARY_COVERS, type OpenLibraryOptions, SEARCH_FIELDS } from "../../src/metadata/openlibrary.js";
import { type FakeOpenLibrary, startFakeOpenLibrary } from "../support/fake-openlibrary.js";

const USER_AGENT = "media-tracker/test (self-hosted Telegram bot)";
let fake: FakeOpenLibrary;

beforeEach(async () => {
  fake = await startFakeOpenLibrary();
});
afterEach(async () => {
  await fake.close();
});

function client(options: Partial<OpenLibraryOptions> = {}) {
  return createOpenLibraryProvider({ root: fake.root, userAgent: USER_AGENT, ...options });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("Open Library search", () => {
  it("asks /search.json for a few fields and maps the docs to matches with author, year, cover and ISBN", async () => {
    const matches = await client().search("Dune");

    expect(matches).toEqual([
      {
        provider: "openlibrary",
        id: "OL893415W",
        title: "Dune",
        year: 1965,
        author: "Frank Herbert",
        coverUrl: `${OPENLIBRARY_COVERS}/11481354-M.jpg`,
        // The search lists ISBN-10s first; an ISBN-13 is preferred.
        isbn: "9780441172719",
      },
      { provider: "openlibrary", id: "OL893526W", title: "Dune Messiah", year: 1969, author: "Frank Herbert", coverUrl: `${OPENLIBRARY_COVERS}/12353456-M.jpg` },
    ]);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.path).toBe("/search.json");
    expect(request!.query).toEqual({ q: "Dune", fields: SEARCH_FIELDS, limit: "5" });
    // Open Library asks for a User-Agent naming the application.
    expect(request!.headers["user-agent"]).toBe(USER_AGENT);
  });

  it("leaves out what a doc does not have, and docs that are not works", async () => {
    fake.queue({
      status: 200,
      body: {
        numFound: 3,
        docs: [
          { key: "/works/OL1W", title: "Bare" },
          { key: "/books/OL2M", title: "An edition, not a work" },
          { key: "/works/OL3W", title: "Odd fields", author_name: "not a list", cover_i: -1, isbn: ["123", "97804411727"] },
        ],
      },
    });
    expect(await client().search("anything")).toEqual([
      { provider: "openlibrary", id: "OL1W", title: "Bare" },
      { provider: "openlibrary", id: "OL3W", title: "Odd fields" },
    ]);
  });

  it("sends no request for a blank query", async () => {
    expect(await client().search("")).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("Open Library details", () => {
  it("reads the work, its first author's name and an ISBN from its editions", async () => {
    expect(await client().details("OL893415W")).toEqual({
      provider: "openlibrary",
      openLibraryKey: "OL893415W",
      title: "Dune",
      author: "Frank Herbert",
      year: 1965,
      coverUrl: `${OPENLIBRARY_COVERS}/11481354-M.jpg`,
      isbn: "9780441172719",
    });
    expect(fake.requests.map((r) => r.path).sort()).toEqual([
      "/authors/OL79034A.json",
      "/works/OL893415W.json",
      "/works/OL893415W/editions.json",
    ]);
  });

  it("follows a merged work's redirect record to the work that stays", async () => {
    fake.redirect("OL999W", "OL27448W");
    const details = await client().details("OL999W");
    // The work record has no first_publish_date here (as often on Open Library): no year is made up.
    expect(details).toEqual({
      provider: "openlibrary",
      openLibraryKey: "OL27448W",
      title: "The Lord of the Rings",
      author: "J.R.R. Tolkien",
      coverUrl: `${OPENLIBRARY_COVERS}/14625765-M.jpg`,
    });
    expect(fake.requests.map((r) => r.path)).toContain("/works/OL999W.json");
  });

  it("still gives the book when the author or editions call fails", async () => {
    fake.queue({ status: 200, body: (await (await fetch(`${fake.root}/works/OL893415W.json`)).json()) as object }, { status: 500 }, { hang: true });
    fake.requests.length = 0;
    const details = await client({ timeoutMs: 200 }).details("OL893415W");
    expect(details).toEqual({
      provider: "openlibrary",
      openLibraryKey: "OL893415W",
      title: "Dune",
      year: 1965,
      coverUrl: `${OPENLIBRARY_COVERS}/11481354-M.jpg`,
    });
  });

  it("answers TitleNotFoundError for an unknown work (404) and for an id that is not a work id", async () => {
    expect(await failure(client().details("OL1234W"))).toBeInstanceOf(TitleNotFoundError);
    expect(await failure(client().details("OL79034A"))).toBeInstanceOf(TitleNotFoundError);
    expect(await failure(client().details("/works/OL893415W"))).toBeInstanceOf(TitleNotFoundError);
    expect(fake.requests).toHaveLength(1);
  });
});

describe("Open Library failures", () => {
  it("gives up on a hanging server after its timeout", async () => {
    fake.always({ hang: true });
    const error = await failure(client({ timeoutMs: 150 }).search("dune"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe("timeout");
    const details = await failure(client({ timeoutMs: 150 }).details("OL893415W"));
    expect((details as ProviderUnavailableError).reason).toBe("timeout");
  });

  it.each([
    ["a 500", { status: 500 }, "http"],
    ["malformed JSON", { raw: "{docs:[" }, "malformed"],
    ["an answer without docs", { status: 200, body: { numFound: 0 } }, "malformed"],
  ])("turns %s into ProviderUnavailableError", async (_, override, reason) => {
    fake.queue(override);
    const error = await failure(client().search("dune"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe(reason);
  });

  it("turns a malformed work into ProviderUnavailableError", async () => {
    fake.queue({ status: 200, body: { key: "/works/OL893415W", title: 42 } });
    const error = await failure(client().details("OL893415W"));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).reason).toBe("malformed");
  });
});

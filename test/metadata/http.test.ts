// The small helpers of the lookup clients' one HTTP function.
import { describe, expect, it } from "vitest";
import { endpoint, parseRetryAfter } from "../../src/metadata/http.js";
import { cleanLine, pickIsbn, yearFrom } from "../../src/metadata/normalize.js";

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, and ignores what it cannot read", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("1.5", now)).toBe(1500);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:07 GMT", now)).toBe(7000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("endpoint", () => {
  it("joins a root with or without a trailing slash, and encodes the query", () => {
    expect(endpoint("https://api.themoviedb.org/3/", "/search/movie", { query: "Amélie & co", page: 1 }).href).toBe(
      "https://api.themoviedb.org/3/search/movie?query=Am%C3%A9lie+%26+co&page=1",
    );
    expect(endpoint("http://127.0.0.1:9/3", "/movie/1").href).toBe("http://127.0.0.1:9/3/movie/1");
  });
});

describe("normalizing provider data", () => {
  it("keeps a title to one clean line of at most the given length", () => {
    expect(cleanLine("  Dune:\n\tPart\u0000 Two ", 300)).toBe("Dune: Part Two");
    expect(cleanLine("\u2067abc\u2069", 300)).toBe("abc");
    expect(cleanLine("🎬".repeat(5), 3)).toBe("🎬🎬…");
    expect(cleanLine(42, 300)).toBeUndefined();
  });

  it("takes a year only within range", () => {
    expect(yearFrom("2021-09-15", 1870, 2100)).toBe(2021);
    expect(yearFrom("August 1965", 1, 2100)).toBe(1965);
    expect(yearFrom("", 1870, 2100)).toBeUndefined();
    expect(yearFrom(1750, 1870, 2100)).toBeUndefined();
  });

  it("prefers a valid ISBN-13 and skips ones with a wrong check digit", () => {
    expect(pickIsbn(["0441013597", "978-0-441-17271-9"])).toBe("9780441172719");
    expect(pickIsbn(["9780441172718", "0441013597"])).toBe("0441013597");
    expect(pickIsbn(["nonsense", 12])).toBeUndefined();
  });
});

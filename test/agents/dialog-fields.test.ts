// Parsers of the book, show and quote dialogs, and the edge cases of titles: every refusal says why.
import { describe, expect, it } from "vitest";
import { formatDuration } from "../../agents/media-tracker/dialogs/expiry.js";
import { parseAuthor, parseEpisode, parseQuoteText, parseSeason, parseTitle } from "../../agents/media-tracker/fields.js";

describe("titles", () => {
  it("refuses empty, whitespace-only and invisible-only titles", () => {
    for (const input of ["", "   ", "\n\t", "\u200f", "\u200b\u200e ", "\u00a0"]) {
      expect(parseTitle(input)).toEqual({ ok: false, error: "The title can't be empty." });
    }
  });

  it("refuses a 5,000-character title, saying how long it is and the limit", () => {
    expect(parseTitle("A".repeat(5000))).toEqual({
      ok: false,
      error: "That title is too long: 5,000 characters, and the most I keep is 300. Please shorten it.",
    });
  });

  it("counts emoji as one character each and keeps them, and right-to-left text with its marks", () => {
    expect(parseTitle("🎬".repeat(300))).toEqual({ ok: true, value: "🎬".repeat(300) });
    expect(parseTitle("🎬".repeat(301)).ok).toBe(false);
    expect(parseTitle("  שלום   עולם ")).toEqual({ ok: true, value: "שלום עולם" });
    expect(parseTitle("\u200fكتاب")).toEqual({ ok: true, value: "\u200fكتاب" });
    expect(parseTitle("👩‍👩‍👧 Family")).toEqual({ ok: true, value: "👩‍👩‍👧 Family" });
  });

  it("drops control characters", () => {
    expect(parseTitle("Bad\u0000Title\u0007")).toEqual({ ok: true, value: "Bad Title" });
  });
});

describe("authors", () => {
  it("tidies and limits them to 200 characters", () => {
    expect(parseAuthor("  Ursula   K. Le Guin ")).toEqual({ ok: true, value: "Ursula K. Le Guin" });
    expect(parseAuthor("x".repeat(200)).ok).toBe(true);
    expect(parseAuthor("x".repeat(201))).toEqual({
      ok: false,
      error: "That author's name is too long: 201 characters, and the most I keep is 200. Please shorten it.",
    });
    expect(parseAuthor(" ")).toEqual({ ok: false, error: "The author can't be empty." });
    expect(parseAuthor("/books").ok).toBe(false);
  });
});

describe("quote texts", () => {
  it("keep their line breaks, lose trailing spaces and long blank runs", () => {
    expect(parseQuoteText("  Line one  \r\n  line   two\n\n\n\nthree ")).toEqual({ ok: true, value: "Line one\nline two\n\nthree" });
  });

  it("are 1 to 2,000 characters", () => {
    expect(parseQuoteText("q".repeat(2000)).ok).toBe(true);
    expect(parseQuoteText("q".repeat(2001))).toEqual({
      ok: false,
      error: "That quote is too long: 2,001 characters, and the most I keep is 2,000. Please shorten it.",
    });
    expect(parseQuoteText(" \n ")).toEqual({ ok: false, error: "The quote text can't be empty." });
    expect(parseQuoteText("/cancel").ok).toBe(false);
    expect(parseQuoteText("/ is a slash")).toEqual({ ok: true, value: "/ is a slash" });
  });
});

describe("seasons and episodes", () => {
  it.each([["1", 1], ["100", 100], [" 2 ", 2], ["Season 3", 3], ["S02", 2], ["#7", 7]])("reads season %j", (input, value) => {
    expect(parseSeason(input)).toEqual({ ok: true, value });
  });

  it.each(["0", "101", "-1", "1.5", "two", "", "1e2"])("refuses season %j with a reason", (input) => {
    const parsed = parseSeason(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/season.*1.*100/);
  });

  it("gives every number outside the range the same reason: -1, 0, 1.5, 101", () => {
    for (const input of ["-1", "0", "1.5", "101", "S-1", "Season 0"]) {
      expect(parseSeason(input)).toEqual({ ok: false, error: "The season must be a whole number from 1 to 100." });
    }
    expect(parseSeason("two")).toEqual({ ok: false, error: "Please send the season as a whole number, like 2 (1–100)." });
    expect(parseEpisode("-3")).toEqual({ ok: false, error: "The episode must be a whole number from 1 to 10,000." });
  });

  it("reads episodes 1 to 10,000", () => {
    expect(parseEpisode("1")).toEqual({ ok: true, value: 1 });
    expect(parseEpisode("ep. 10000")).toEqual({ ok: true, value: 10000 });
    expect(parseEpisode("E05")).toEqual({ ok: true, value: 5 });
    for (const input of ["0", "10001", "999999999", "five"]) {
      const parsed = parseEpisode(input);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/episode.*10,000/);
    }
  });
});

describe("the expiry note's duration", () => {
  it.each([[86_400_000, "24 hours"], [3_600_000, "1 hour"], [60_000, "1 minute"], [5_400_000, "90 minutes"], [30_000, "30 seconds"]])(
    "%d ms reads %j",
    (ms, text) => expect(formatDuration(ms)).toBe(text),
  );
});

// The dialog field parsers: what they accept, and that every refusal says why.
import { describe, expect, it } from "vitest";
import { parseDate, parseNotes, parsePage } from "../../agents/media-tracker/edit-fields.js";
import { formatRating, parseAuthor, parseQuoteText, parseRating, parseTitle, parseYear } from "../../agents/media-tracker/fields.js";
import { readCommand } from "../../agents/media-tracker/incoming.js";
import { splitText } from "../../agents/media-tracker/outgoing.js";

describe("fields", () => {
  it.each([["1", 1], ["5", 5], ["3.5", 3.5], ["3,5", 3.5], ["4½", 4.5], ["4½ stars", 4.5], [" 2 stars", 2], ["4/5", 4], ["3.50", 3.5], ["05", 5]])(
    "reads rating %j",
    (input, value) => {
      expect(parseRating(input)).toEqual({ ok: true, value });
    },
  );

  it.each(["0", "6", "5.5", "", "five", "NaN", "Infinity", "1e0x", "½", "-4", "+4", " . "])("refuses rating %j with a reason", (input) => {
    const parsed = parseRating(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/1 to 5/);
  });

  // Number() reads all of these as 4 or 5; nobody typing them means a rating.
  it.each(["0x4", "0b101", "0o4", "4e0", "4E0", "40e-1", " 0x4 stars", "4.0e0"])("refuses the non-decimal number %j", (input) => {
    expect(parseRating(input)).toEqual({ ok: false, error: "The rating must be a number of stars from 1 to 5 (half stars like 3.5 are fine)." });
  });

  it("says a rating between half stars must be whole or half stars, naming the two nearest", () => {
    expect(parseRating("3.7")).toEqual({ ok: false, error: "Ratings go in whole or half stars. Did you mean 3.5 or 4?" });
    expect(parseRating("4,75")).toEqual({ ok: false, error: "Ratings go in whole or half stars. Did you mean 4.5 or 5?" });
    expect(parseRating("1.2")).toEqual({ ok: false, error: "Ratings go in whole or half stars. Did you mean 1 or 1.5?" });
    // Read from its digits: floating point would round this one to 4.5.
    expect(parseRating("4.50000000000000001").ok).toBe(false);
  });

  it("reads years from 1870 to 2100 only; every number outside gets the same reason", () => {
    expect(parseYear("1870")).toEqual({ ok: true, value: 1870 });
    expect(parseYear(" 2100 ")).toEqual({ ok: true, value: 2100 });
    for (const input of ["1869", "2101", "20.5", "-1999", "0", "19999"]) {
      expect(parseYear(input)).toEqual({ ok: false, error: "The year must be a whole number from 1870 to 2100." });
    }
    expect(parseYear("nineteen")).toEqual({ ok: false, error: "Please send the year as a number, like 1999 (1870–2100)." });
  });

  it("reads dates as year-month-day, real calendar days only", () => {
    expect(parseDate("2024-05-17")).toEqual({ ok: true, value: "2024-05-17" });
    expect(parseDate(" 2024/5/7 ")).toEqual({ ok: true, value: "2024-05-07" });
    expect(parseDate("2024-02-29")).toEqual({ ok: true, value: "2024-02-29" });
    expect(parseDate("2023-02-29")).toEqual({ ok: false, error: "There's no such day as 2023-02-29. Please send a real date, like 2024-05-17." });
    expect(parseDate("2024-13-01").ok).toBe(false);
    expect(parseDate("17.05.2024")).toEqual({ ok: false, error: "Please send the date as year-month-day, like 2024-05-17." });
    expect(parseDate("1500-01-01")).toEqual({ ok: false, error: "The year must be from 1870 to 2100." });
  });

  it("gives a page from -1 to 2.5 to 200,000 the same reason", () => {
    for (const input of ["-1", "2.5", "200000"]) expect(parsePage(input)).toEqual({ ok: false, error: "The page must be a whole number from 0 to 100,000." });
    expect(parsePage("p. 120")).toEqual({ ok: true, value: 120 });
  });

  it("tidies titles and refuses empty, huge or command-like ones", () => {
    expect(parseTitle("  The   Thing \n")).toEqual({ ok: true, value: "The Thing" });
    expect(parseTitle("   ").ok).toBe(false);
    expect(parseTitle("x".repeat(301)).ok).toBe(false);
    expect(parseTitle("/movies").ok).toBe(false);
    expect(parseTitle("Amélie 🎬, \"quoted\"")).toEqual({ ok: true, value: "Amélie 🎬, \"quoted\"" });
  });

  it("drops bidirectional embedding, override and isolate controls from every text, and keeps direction marks", () => {
    // "exe.txt" shown by a right-to-left override as "txt.exe"; an unclosed override garbles every line after it.
    expect(parseTitle("evil\u202Etxt.exe")).toEqual({ ok: true, value: "eviltxt.exe" });
    expect(parseTitle("\u202Aa\u202Bb\u202Cc\u202Dd\u202Ee\u2066f\u2067g\u2068h\u2069")).toEqual({ ok: true, value: "abcdefgh" });
    expect(parseAuthor("Le Guin\u202E")).toEqual({ ok: true, value: "Le Guin" });
    expect(parseQuoteText("line one\u2067\nline two\u202E")).toEqual({ ok: true, value: "line one\nline two" });
    expect(parseNotes("notes\u202D here")).toEqual({ ok: true, value: "notes here" });
    expect(parseTitle("\u202E\u2066")).toEqual({ ok: false, error: "The title can't be empty." });
    expect(parseTitle("\u200fكتاب\u200e")).toEqual({ ok: true, value: "\u200fكتاب\u200e" });
  });

  it("draws ratings as stars", () => {
    expect(formatRating(3.5)).toBe("★★★½☆ 3.5/5");
    expect(formatRating(5)).toBe("★★★★★ 5/5");
  });

  it("reads commands, with or without the bot's name", () => {
    expect(readCommand("/add_movie")).toEqual({ name: "add_movie", args: "" });
    expect(readCommand("/Movies@my_bot  later")).toEqual({ name: "movies", args: "later", bot: "my_bot" });
    expect(readCommand("not a command")).toBeUndefined();
  });

  it("splits long texts under Telegram's limit, at line ends when it can", () => {
    const body = Array.from({ length: 500 }, (_, i) => `line ${i} ${"x".repeat(20)}`).join("\n");
    const parts = splitText(body);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.join("\n")).toBe(body);
  });
});

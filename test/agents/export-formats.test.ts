// The export formats as pure functions: the contract's JSON and CSV (plus every other field), and
// the Goodreads, Letterboxd and Yamtrack files with those services' own column names.
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { CSV_COLUMNS, GOODREADS_COLUMNS, LETTERBOXD_COLUMNS, YAMTRACK_COLUMNS, exportEntries, exportFile } from "../../agents/media-tracker/export/formats.js";
import type { Entry } from "../../agents/media-tracker/media-store.js";

const T = Date.UTC(2024, 0, 2, 3, 4, 5);
const base = { chatId: "1", addedAtMs: T, updatedAtMs: T + 1000 };
const SAMPLE: Entry[] = [
  { ...base, id: "b1", kind: "book", title: "Dune, \"Deluxe\"", author: "Frank Herbert", rating: 4.5, status: "finished", finishedOn: "2024-01-01", notes: "line one\nline two, with \"quotes\" 🚀" },
  { ...base, id: "b2", kind: "book", title: "Want", status: "want", currentPage: 12 },
  { ...base, id: "m1", kind: "movie", title: "Heat", year: 1995, rating: 3.5, watchedOn: "2023-12-24", notes: "שלום עולם" },
  { ...base, id: "s1", kind: "show", title: "Severance", season: 2, episode: 5, rating: 5, status: "watching" },
  { ...base, id: "q1", kind: "quote", title: "Solaris", author: "Stanisław Lem", quoteText: "We don't want other worlds;\nwe want mirrors." },
];

const rows = (text: string) => parse(text, { columns: true }) as Array<Record<string, string>>;

describe("contract JSON and CSV", () => {
  it("keeps the contract's fields per kind and adds the entry's other fields", () => {
    const json = JSON.parse(exportEntries(SAMPLE, "json")) as Array<Record<string, unknown>>;
    expect(json[0]).toEqual({
      kind: "book", title: "Dune, \"Deluxe\"", author: "Frank Herbert", rating: 4.5, id: "b1", addedAt: new Date(T).toISOString(),
      status: "finished", currentPage: null, finishedOn: "2024-01-01", notes: "line one\nline two, with \"quotes\" 🚀",
      updatedAt: new Date(T + 1000).toISOString(), history: [],
    });
    expect(json[2]).toMatchObject({ kind: "movie", year: 1995, rating: 3.5, watchedOn: "2023-12-24" });
    expect(json[3]).toMatchObject({ kind: "show", season: 2, episode: 5, rating: 5, status: "watching" });
    expect(json[4]).toMatchObject({ kind: "quote", title: "Solaris", text: "We don't want other worlds;\nwe want mirrors.", author: "Stanisław Lem" });
    expect(json[4]).not.toHaveProperty("rating");
  });

  it("writes a CSV with the same column names, quoting what needs it", () => {
    const text = exportEntries(SAMPLE, "csv");
    expect(text.split("\n")[0]).toBe(CSV_COLUMNS.join(","));
    const parsed = rows(text);
    expect(parsed).toHaveLength(5);
    expect(parsed[0]!.notes).toBe("line one\nline two, with \"quotes\" 🚀");
    expect(parsed[4]!.text).toBe("We don't want other worlds;\nwe want mirrors.");
  });

  it("adds chatId for exports of every chat", () => {
    expect(exportEntries(SAMPLE, "csv", { withChat: true }).split("\n")[0]).toBe(`chatId,${CSV_COLUMNS.join(",")}`);
    expect(JSON.parse(exportEntries(SAMPLE, "json", { withChat: true }))[0].chatId).toBe("1");
  });
});

describe("other services' files", () => {
  it("Goodreads: the library export's columns, books only, shelves and whole stars", () => {
    const file = exportFile(SAMPLE, "goodreads");
    expect(file).toMatchObject({ fileName: "media-tracker-goodreads.csv", count: 2, left: 3 });
    expect(file.content.split("\n")[0]).toBe(GOODREADS_COLUMNS.join(","));
    const [dune, want] = rows(file.content);
    expect(dune).toMatchObject({ "Title": "Dune, \"Deluxe\"", "Author": "Frank Herbert", "Author l-f": "Herbert, Frank", "My Rating": "5", "Exclusive Shelf": "read", "Date Read": "2024/01/01", "Date Added": "2024/01/02" });
    expect(dune!["Private Notes"]).toContain("🚀");
    expect(want).toMatchObject({ "My Rating": "0", "Exclusive Shelf": "to-read" });
  });

  it("Letterboxd: the import columns, movies only, half stars kept", () => {
    const file = exportFile(SAMPLE, "letterboxd");
    expect(file.content.split("\n")[0]).toBe(LETTERBOXD_COLUMNS.join(","));
    expect(rows(file.content)).toEqual([{ Title: "Heat", Year: "1995", Rating: "3.5", WatchedDate: "2023-12-24", Rewatch: "", Tags: "", Review: "שלום עולם" }]);
  });

  it("Yamtrack: media types, 0-10 scores and statuses; a show's season as its own row; no quotes", () => {
    const file = exportFile(SAMPLE, "yamtrack");
    expect(file.content.split("\n")[0]).toBe(YAMTRACK_COLUMNS.join(","));
    const parsed = rows(file.content);
    expect(parsed.map((r) => [r.media_type, r.title, r.score, r.status])).toEqual([
      ["book", "Dune, \"Deluxe\"", "9", "Completed"],
      ["book", "Want", "", "Planning"],
      ["movie", "Heat", "7", "Completed"],
      ["tv", "Severance", "10", "In progress"],
      ["season", "Severance", "", "In progress"],
    ]);
    expect(parsed[4]).toMatchObject({ season_number: "2", progress: "5" });
    expect(parsed[1]).toMatchObject({ progress: "12" });
    expect(file.left).toBe(1);
  });
});

describe("CSV cells a spreadsheet would run as a formula (OWASP CSV injection)", () => {
  const HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "'=already quoted", "''+x", "'plain apostrophe", "Plain"];
  const hostile: Entry[] = HOSTILE.flatMap((text, i) => [
    { ...base, id: `b${i}`, kind: "book" as const, title: text.trim() || "x", author: text, rating: 4, status: "finished", notes: text },
    { ...base, id: `m${i}`, kind: "movie" as const, title: text.trim() || "x", year: 1999, rating: 3.5, notes: text },
    { ...base, id: `s${i}`, kind: "show" as const, title: text.trim() || "x", season: 1, episode: 2, status: "watching", notes: text },
    { ...base, id: `q${i}`, kind: "quote" as const, title: "Q", author: text, quoteText: text, notes: text },
  ]);
  const cells = (text: string) => (parse(text, { relax_column_count: true }) as string[][]).flat();

  it.each(["csv", "goodreads", "letterboxd", "yamtrack"] as const)("%s: no cell starts with = + - @, a tab or a carriage return", (format) => {
    const risky = cells(exportFile(hostile, format).content).filter((c) => /^[=+\-@\t\r]/.test(c));
    expect(risky).toEqual([]);
  });

  it("JSON keeps every text exactly as stored", () => {
    const json = JSON.parse(exportEntries(hostile, "json")) as Array<Record<string, unknown>>;
    expect(json.filter((r) => r.kind === "quote").map((r) => r.text)).toEqual(HOSTILE);
    expect(json.filter((r) => r.kind === "book").map((r) => r.author)).toEqual(HOSTILE);
  });

  it("a text cell gets one leading ' (and a real leading ' before one of them gets another); numbers stay numbers", () => {
    const quotes = rows(exportEntries(hostile, "csv")).filter((r) => r.kind === "quote").map((r) => r.text);
    expect(quotes).toEqual([
      '\'=HYPERLINK("http://evil.example","click")', "'+1+1", "'-2+3", "'@SUM(A1:A9)", "'\t=1+1", "'\r=1+1", "''=already quoted", "'''+x", "'plain apostrophe", "Plain",
    ]);
    // A group's chat id is negative: a number, written as it is.
    const all = rows(exportEntries([{ ...hostile[0]!, chatId: "-1001234567890" }], "csv", { withChat: true }));
    expect(all[0]!.chatId).toBe("-1001234567890");
  });
});

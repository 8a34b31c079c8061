// The dialog field parsers: what they accept, and that every refusal says why.
import { describe, expect, it } from "vitest";
import { formatRating, parseRating, parseTitle, parseYear } from "../../agents/media-tracker/fields.js";
import { readCommand } from "../../agents/media-tracker/incoming.js";
import { splitText } from "../../agents/media-tracker/outgoing.js";

describe("fields", () => {
  it.each([["1", 1], ["5", 5], ["3.5", 3.5], ["3,5", 3.5], ["4½", 4.5], [" 2 stars", 2], ["4/5", 4]])("reads rating %j", (input, value) => {
    expect(parseRating(input)).toEqual({ ok: true, value });
  });

  it.each(["0", "6", "3.3", "", "five", "NaN", "Infinity", "1e0x"])("refuses rating %j with a reason", (input) => {
    const parsed = parseRating(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/1 to 5/);
  });

  it("reads years from 1870 to 2100 only", () => {
    expect(parseYear("1870")).toEqual({ ok: true, value: 1870 });
    expect(parseYear(" 2100 ")).toEqual({ ok: true, value: 2100 });
    expect(parseYear("1869").ok).toBe(false);
    expect(parseYear("2101").ok).toBe(false);
    expect(parseYear("20.5").ok).toBe(false);
  });

  it("tidies titles and refuses empty, huge or command-like ones", () => {
    expect(parseTitle("  The   Thing \n")).toEqual({ ok: true, value: "The Thing" });
    expect(parseTitle("   ").ok).toBe(false);
    expect(parseTitle("x".repeat(301)).ok).toBe(false);
    expect(parseTitle("/movies").ok).toBe(false);
    expect(parseTitle("Amélie 🎬, \"quoted\"")).toEqual({ ok: true, value: "Amélie 🎬, \"quoted\"" });
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

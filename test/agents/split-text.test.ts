// Long replies are split for Telegram (4096 UTF-16 units a message): at line breaks where there
// are some, never inside a surrogate pair or an emoji sequence (Telegram answers 400 to half an
// emoji and the reply is lost), and nothing of the text goes missing but the breaks cut at.
import { describe, expect, it } from "vitest";
import { MAX_TEXT_LENGTH, splitText, text } from "../../agents/media-tracker/outgoing.js";

const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

describe("splitText", () => {
  it("never cuts an emoji in half (3,000 emoji are 6,000 UTF-16 units)", () => {
    const body = `x${"😀".repeat(3000)}`;
    const parts = splitText(body);
    expect(parts.length).toBe(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
      expect(wellFormed(part)).toBe(true);
    }
    expect(parts.join("")).toBe(body);
  });

  it("keeps family emoji, flags and accented letters whole", () => {
    for (const unit of ["👨‍👩‍👧‍👦", "🇫🇷", "e\u0301", "🏳️‍🌈"]) {
      const body = `ab${unit.repeat(Math.ceil(9000 / unit.length))}`;
      const parts = splitText(body);
      expect(parts.join("")).toBe(body);
      for (const [i, part] of parts.entries()) {
        expect(part.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
        expect(wellFormed(part)).toBe(true);
        if (i > 0) expect(part.startsWith(unit)).toBe(true);
      }
    }
  });

  it("prefers a line break, then a space, and drops the break it cut at", () => {
    const lines = Array.from({ length: 400 }, (_, i) => `${i}. «Война и мир» ${"★".repeat(5)}`);
    const parts = splitText(lines.join("\n"));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flatMap((p) => p.split("\n"))).toEqual(lines);

    const words = Array.from({ length: 1500 }, (_, i) => `word${i}`).join(" ");
    const byWord = splitText(words);
    expect(byWord.join(" ")).toBe(words);
    for (const part of byWord) expect(part).toMatch(/^word\d+( word\d+)*$/);
  });

  it("puts the buttons under the last part only", () => {
    const buttons = [[{ text: "OK", data: "ok" }]];
    const out = text("🙂".repeat(2500), buttons);
    expect(out.map((o) => o.type === "text" && o.buttons !== undefined)).toEqual([false, true]);
  });
});

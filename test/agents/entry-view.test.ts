// How entries read in chat: list lines per kind, cut long texts, cards and button labels.
import { describe, expect, it } from "vitest";
import {
  countOf, entryActionButtons, entryButtonLabel, entryRef, formatEntryCard, formatEntryLine, formatPlace, truncate,
} from "../../agents/media-tracker/entry-view.js";
import type { Entry } from "../../agents/media-tracker/media-store.js";

function entry(fields: Partial<Entry> & Pick<Entry, "kind" | "title">): Entry {
  return { id: "id-1", chatId: "1", addedAtMs: Date.UTC(2024, 4, 1), updatedAtMs: Date.UTC(2024, 4, 1), ...fields };
}

describe("entry view", () => {
  it("formats one line per kind", () => {
    expect(formatEntryLine(entry({ kind: "book", title: "Dune", author: "Frank Herbert", rating: 4, status: "reading", currentPage: 120 })))
      .toBe("Dune — Frank Herbert, ★★★★☆ 4/5, reading, p. 120");
    expect(formatEntryLine(entry({ kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" })))
      .toBe("Severance S2E5, watching");
    expect(formatEntryLine(entry({ kind: "quote", title: "Dune", quoteText: "Fear is the mind-killer.", author: "Frank Herbert" })))
      .toBe("«Fear is the mind-killer.» — Frank Herbert, Dune");
    expect(formatEntryLine(entry({ kind: "movie", title: "Heat", year: 1995, rating: 4.5 }))).toBe("Heat (1995), ★★★★½ 4.5/5");
    expect(formatEntryLine(entry({ kind: "book", title: "Untitled" }))).toBe("Untitled");
    expect(formatEntryLine(entry({ kind: "show", title: "New show" }))).toBe("New show");
  });

  it("cuts long titles and quotes in lines, labels and references", () => {
    const long = "x".repeat(300);
    const line = formatEntryLine(entry({ kind: "quote", title: long, quoteText: long, author: long }));
    expect(line.length).toBeLessThan(400);
    expect(line).toContain("…");
    expect(truncate("a  b\nc", 10)).toBe("a b c");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("😀😀😀😀😀", 3)).toBe("😀😀…");
    expect(entryButtonLabel(entry({ kind: "movie", title: long })).length).toBeLessThanOrEqual(30);
    expect(entryRef(entry({ kind: "book", title: "Dune" }))).toBe("«Dune»");
  });

  it("shows every detail on the card", () => {
    const card = formatEntryCard(entry({ kind: "book", title: "Dune", author: "Frank Herbert", status: "finished", finishedOn: "2024-05-02", rating: 5, notes: "reread" }));
    expect(card).toContain("Title: Dune");
    expect(card).toContain("Author: Frank Herbert");
    expect(card).toContain("Finished on: 2024-05-02");
    expect(card).toContain("Notes: reread");
    expect(card).toContain("Added: 2024-05-01");
    expect(formatPlace({ season: 3 })).toBe("S3");
    expect(formatPlace({})).toBe("");
  });

  it("counts with thousands separators and the right noun", () => {
    expect(countOf(1, "entry", "entries")).toBe("1 entry");
    expect(countOf(0, "entry", "entries")).toBe("0 entries");
    expect(countOf(3031, "entry", "entries")).toBe("3,031 entries");
  });

  it("offers rating on every card but a quote's, status on books, movies and shows, +1 episode on shows", () => {
    const data = (e: Entry) => entryActionButtons(e).flat().map((b) => b.data);
    expect(data(entry({ kind: "quote", title: "Dune", quoteText: "Fear." }))).toEqual(["ef:id-1", "dl:id-1"]);
    expect(data(entry({ kind: "movie", title: "Heat" }))).toEqual(["ef:id-1", "rt:id-1", "st:id-1", "dl:id-1"]);
    expect(data(entry({ kind: "show", title: "Lost" }))).toEqual(["wt:id-1:c", "ef:id-1", "rt:id-1", "st:id-1", "dl:id-1"]);
  });
});

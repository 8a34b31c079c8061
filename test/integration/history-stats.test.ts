// History and stats through the front door: events recorded by ordinary commands, cards showing the
// last ones, /history (one match, several, none), /stats with its photos, export JSON with history.
import { afterEach, describe, expect, it } from "vitest";
import type { RecordedCall, RecordedFile } from "../support/fake-bot-api.js";
import { replies, seed } from "../support/entries.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  const replayErrors = t?.logs.filter((l) => l.includes("replay check failed")) ?? [];
  await t?.close();
  t = undefined;
  expect(replayErrors).toEqual([]);
});

function buttons(call: RecordedCall): Array<{ text: string; data: string }> {
  const markup = call.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data }));
}

const THIS_YEAR = new Date().getUTCFullYear();

describe("history", () => {
  it("/watched records an episode event; /history lists it and the card shows it", async () => {
    t = await startTestApp();
    await seed(t, 1, [{ id: "s1", kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" }]);
    await t.say(1, "/watched Severance");
    await replies(t, 1, 1);
    await t.say(1, "/history severance");
    const text = (await replies(t, 1, 2))[1]!;
    expect(text).toMatch(/^History of «Severance», newest first:/);
    expect(text).toMatch(/• \d{4}-\d\d-\d\d \d\d:\d\d UTC: watched S2E6/);
    expect(text).toContain("watched S2E5"); // the place it was added at
    await t.press(1, "e:s1");
    const card = (await replies(t, 1, 3))[2]!;
    expect(card).toContain("Recently:");
    expect(card).toContain("watched S2E6");
  });

  it("asks which one when several entries match, answers a pick, and says when none does", async () => {
    t = await startTestApp();
    await seed(t, 2, [
      { id: "b1", kind: "book", title: "Dune", finishedOn: "2021-05-01" },
      { id: "b2", kind: "book", title: "Dune Messiah" },
      { id: "q1", kind: "quote", title: "Dune", quoteText: "Fear is the mind-killer." },
    ]);
    await t.say(2, "/history dun");
    await replies(t, 2, 1);
    const ask = t.api.sent(2).filter((c) => c.method === "sendMessage").at(-1)!;
    expect(ask.params.text).toContain('Several entries match "dun"');
    expect(buttons(ask).map((b) => b.data)).toEqual(["hi:b2", "hi:b1"]);
    await t.press(2, "hi:b1");
    expect((await replies(t, 2, 2))[1]).toContain("2021-05-01: finished reading");
    await t.press(2, "hi:b2");
    expect((await replies(t, 2, 3))[2]).toMatch(/«Dune Messiah» has no dated history yet/);
    await t.say(2, "/history Solaris");
    expect((await replies(t, 2, 4))[3]).toContain(`I can't find anything called "Solaris"`);
    // Another chat's id in a forged button finds nothing.
    await seed(t, 3, [{ id: "other", kind: "movie", title: "Secret", watchedOn: "2024-01-01" }]);
    await t.press(2, "hi:other");
    await t.api.waitFor(() => t!.api.calls.some((c) => c.method === "answerCallbackQuery" && c.params.text === "That entry no longer exists."));
  });

  it("export JSON carries each entry's history; Letterboxd's Rewatch comes from it", async () => {
    t = await startTestApp();
    await seed(t, 4, [{ id: "m1", kind: "movie", title: "Heat", year: 1995, history: [{ at: "2020-01-01", event: "watched" }, { at: "2023-06-01", event: "watched" }] }]);
    await t.say(4, "/export json");
    await t.api.waitFor(() => t!.api.sent(4).some((c) => c.method === "sendDocument"));
    const doc = t.api.sent(4).find((c) => c.method === "sendDocument")!.params.document as RecordedFile;
    const [record] = JSON.parse(doc.data.toString("utf8")) as Array<{ history: unknown }>;
    expect(record!.history).toEqual([{ at: "2020-01-01", event: "watched" }, { at: "2023-06-01", event: "watched" }]);
    await t.say(4, "/export letterboxd");
    await t.api.waitFor(() => t!.api.sent(4).filter((c) => c.method === "sendDocument").length >= 2);
    const csv = (t.api.sent(4).filter((c) => c.method === "sendDocument")[1]!.params.document as RecordedFile).data.toString("utf8");
    expect(csv.split("\n")[1]).toMatch(/^Heat,1995,,,Yes,/);
  });
});

describe("/stats", () => {
  it("sends the year's summary and three PNG charts with sendPhoto", async () => {
    t = await startTestApp();
    await seed(t, 5, [
      { id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", pages: 600, rating: 5, history: [{ at: `${THIS_YEAR}-01-10`, event: "finished" }] },
      { id: "m1", kind: "movie", title: "Heat", rating: 4, history: [{ at: `${THIS_YEAR}-01-12`, event: "watched" }, { at: `${THIS_YEAR - 1}-01-12`, event: "watched" }] },
    ]);
    await t.say(5, "/stats");
    const text = (await replies(t, 5, 1))[0]!;
    expect(text).toContain(`Your ${THIS_YEAR} in numbers:`);
    expect(text).toContain("1 book finished, 600 pages");
    expect(text).toContain("1 movie watched");
    expect(text).toContain("Average rating 4.5/5");
    expect(text).toContain("Top authors: Frank Herbert (1)");
    await t.api.waitFor(() => t!.api.sent(5).filter((c) => c.method === "sendPhoto").length >= 3);
    const photos = t.api.sent(5).filter((c) => c.method === "sendPhoto");
    expect(photos).toHaveLength(3);
    for (const photo of photos) {
      const file = photo.params.photo as RecordedFile;
      expect(file.data.subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(file.size).toBeLessThan(200 * 1024);
    }
    expect(photos.map((p) => p.params.caption)).toEqual([
      `${THIS_YEAR}: books, movies and episodes per month`, `${THIS_YEAR}: your ratings`, `${THIS_YEAR} in review`,
    ]);
  });

  it("answers a past year, a year with nothing, and a wrong year in words", async () => {
    t = await startTestApp();
    await seed(t, 6, [{ id: "m1", kind: "movie", title: "Heat", history: [{ at: "2019-03-01", event: "watched" }] }]);
    await t.say(6, "/stats 2019");
    expect((await replies(t, 6, 1))[0]).toContain("1 movie watched");
    await t.say(6, "/stats 2018");
    expect((await replies(t, 6, 2))[1]).toMatch(/^Nothing dated in 2018 yet/);
    await t.say(6, "/stats next year");
    expect((await replies(t, 6, 3))[2]).toBe("Send /stats for this year, or a year like /stats 2024.");
    await t.say(6, `/stats ${THIS_YEAR + 1}`);
    expect((await replies(t, 6, 4))[3]).toContain(`I can show a year from 1900 to ${THIS_YEAR}`);
    await t.api.waitFor(() => t!.api.sent(6).filter((c) => c.method === "sendPhoto").length >= 3);
    expect(t.api.sent(6).filter((c) => c.method === "sendPhoto")).toHaveLength(3);
  });
});

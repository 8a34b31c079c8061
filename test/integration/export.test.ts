// /export end to end: two documents (CSV and JSON) with the whole list, buttons for the Goodreads,
// Letterboxd and Yamtrack files, an empty list said so; and a round trip: the exported files,
// sent back to a fresh bot, recreate every entry field for field.
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, NewEntry } from "../../agents/media-tracker/media-store.js";
import { createMediaStore } from "../../src/store/media.js";
import { makeDocumentUpdate, postUpdate } from "../support/fake-bot-api.js";
import { docText, documents } from "../support/files.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";
import { addEntries, listOf } from "../support/entries.js";

const apps: TestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});
async function start(): Promise<TestApp> {
  const app = await startTestApp();
  apps.push(app);
  return app;
}

const T = Date.UTC(2024, 4, 1, 12);
const NOTES = 'Line one, with a comma\nLine "two" 🎬🚀\nשורה בעברית, RTL';
const ENTRIES: NewEntry[] = [
  { id: "e1", kind: "book", title: 'Dune, "Deluxe"', author: "Frank Herbert", rating: 4.5, status: "finished", finishedOn: "2024-04-30", notes: NOTES, addedAtMs: T },
  { id: "e2", kind: "book", title: "كتاب", author: "مؤلف", status: "reading", currentPage: 77, addedAtMs: T + 1 },
  { id: "e3", kind: "movie", title: "Amélie 🎠", year: 2001, rating: 3.5, watchedOn: "2024-03-02", notes: NOTES, addedAtMs: T + 2 },
  { id: "e4", kind: "show", title: "Severance", season: 2, episode: 5, rating: 5, status: "watching", notes: "a\r\nb", addedAtMs: T + 3 },
  { id: "e5", kind: "quote", title: "Solaris", author: "Stanisław Lem", quoteText: "We don't want other worlds;\nwe want mirrors, \"really\".", notes: NOTES, addedAtMs: T + 4 },
];

const comparable = (entries: Entry[]) =>
  entries.map(({ id: _, chatId: __, importKey: ___, ...rest }) => rest).sort((a, b) => a.addedAtMs - b.addedAtMs);

describe("/export", () => {
  it("says so when the list is empty", async () => {
    const t = await start();
    await t.say(1, "/export");
    await t.api.waitFor(() => t.replies(1).length === 1);
    expect(t.replies(1)[0]).toMatch(/empty/);
    expect(documents(t, 1)).toEqual([]);
  });

  it("sends CSV and JSON documents and buttons for the other services' files", async () => {
    const t = await start();
    await addEntries(t.app.store, "2", ENTRIES);
    await t.say(2, "/export");
    await t.api.waitFor(() => documents(t, 2).length === 2 && t.replies(2).length === 1);
    const [csv, json] = documents(t, 2).map(docText);
    expect(csv!.name).toBe("media-tracker.csv");
    expect(json!.name).toBe("media-tracker.json");
    const records = JSON.parse(json!.text) as Array<Record<string, unknown>>;
    expect(records.map((r) => r.kind)).toEqual(["book", "book", "movie", "show", "quote"]);
    expect(records[0]).toMatchObject({ title: 'Dune, "Deluxe"', author: "Frank Herbert", rating: 4.5, id: "e1", addedAt: new Date(T).toISOString(), notes: NOTES });
    expect(csv!.text.split("\n")[0]).toMatch(/^kind,title,author,year,season,episode,rating,text,id,addedAt,/);
    const markup = JSON.stringify(t.api.sent(2).at(-1)!.params.reply_markup);
    for (const f of ["goodreads", "letterboxd", "yamtrack"]) expect(markup).toContain(`ex:${f}`);

    for (const [i, f] of ["goodreads", "letterboxd", "yamtrack"].entries()) {
      await t.press(2, `ex:${f}`);
      await t.api.waitFor(() => documents(t, 2).length === 3 + i);
      expect(docText(documents(t, 2).at(-1)!).name).toBe(`media-tracker-${f}.csv`);
    }
    const [goodreads, letterboxd, yamtrack] = documents(t, 2).slice(2).map(docText);
    expect(goodreads!.text).toMatch(/^Book Id,Title,Author,/);
    expect(goodreads!.text).toContain("Frank Herbert");
    expect(letterboxd!.text).toMatch(/^Title,Year,Rating,WatchedDate,Rewatch,Tags,Review\n/);
    expect(yamtrack!.text).toMatch(/^media_id,source,media_type,title,/);
    await t.press(2, "ex:../../etc");
    await t.api.waitFor(() => t.api.calls.filter((c) => c.method === "answerCallbackQuery").length === 4);
    expect(t.api.calls.filter((c) => c.method === "answerCallbackQuery").at(-1)!.params.text).toMatch(/no longer active/);
  });

  it.each(["json", "csv"])("round trip: the %s export sent to a fresh bot recreates every entry", async (format) => {
    const source = await start();
    await addEntries(source.app.store, "3", ENTRIES);
    await source.app.store.submit((tx) => createMediaStore(source.app.store.read).within(tx).update("3", "e2", { currentPage: 80 }, T + 99));
    await source.say(3, "/export");
    await source.api.waitFor(() => documents(source, 3).length === 2);
    const file = documents(source, 3).map(docText).find((d) => d.name.endsWith(format))!;

    const target = await start();
    target.api.addFile("F1", file.name, file.text);
    await postUpdate(target.webhookUrl, makeDocumentUpdate(1000, 9, { fileId: "F1", fileName: file.name, fileSize: Buffer.byteLength(file.text) }), SECRET);
    await target.api.waitFor(() => target.replies(9).length === 1);
    expect(target.replies(9)[0]).toMatch(/Media Tracker export .*2 books, 1 movie, 1 show, 1 quote/);
    const button = JSON.stringify(target.api.sent(9)[0]!.params.reply_markup);
    const importId = /"im:([^"]+)"/.exec(button)![1]!;
    await target.press(9, `im:${importId}`);
    await target.api.waitFor(() => target.replies(9).length === 2);
    expect(target.replies(9)[1]).toMatch(/^Imported 5 entries; 0 were already in your list\./);
    const imported = await listOf(target.app.store, "9");
    expect(comparable(imported)).toEqual(comparable(await listOf(source.app.store, "3")));
    expect(imported.map((e) => e.importKey)).toEqual(["mt:e1", "mt:e2", "mt:e3", "mt:e4", "mt:e5"]);
  });
});

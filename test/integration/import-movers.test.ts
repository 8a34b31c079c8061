// The imports people move with, end to end: Trakt's export ZIP, TV Time's data export and StoryGraph's
// CSV sent to the bot through the fake Bot API, staged with their dated history, applied once on the
// button; the same file again (or the same things from another service) adds nothing twice.
import { afterEach, describe, expect, it } from "vitest";
import { createImportStore } from "../../src/store/imports.js";
import { fixture, fixtureZip } from "../support/fixtures.js";
import { importButton, lastButtons, press, sendFile } from "../support/files.js";
import { type TestApp, startTestApp } from "../support/test-app.js";
import { listOf } from "../support/entries.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function entries(app: TestApp, chatId: number) {
  return listOf(app.app.store, chatId);
}

/** The import waiting behind the last message's buttons, as staged. */
async function staged(app: TestApp, chatId: number) {
  const data = lastButtons(app, chatId).find((b) => /^i[mu]:/.test(b.data))!.data;
  return (await createImportStore(app.app.store.read).get(String(chatId), data.slice(3)))!;
}

describe("importing a Trakt export", () => {
  it("summarises the ZIP, stages its history, imports on the button, and the same ZIP again adds nothing", async () => {
    t = await startTestApp();
    const summary = await sendFile(t, 21, "trakt-export.zip", fixtureZip("trakt-export"));
    expect(summary).toMatch(/^Trakt export \(trakt-export\.zip\): 4 movies, 2 shows\./);
    expect(summary).toContain("Trakt's 1–10 ratings are halved into stars: 7 becomes 3.5★.");
    expect(summary).toContain("Skipped 4 rows:");
    expect(summary).toContain("• history-1.json item 5: a watch without a readable date");
    // The dated events wait with the staged import, so a crash before the button loses none.
    const waiting = await staged(t, 21);
    expect(waiting.entries.find((e) => e.title === "Severance")!.history).toHaveLength(6);

    const result = await press(t, 21, importButton(t, 21)!);
    expect(result).toMatch(/^Imported 6 entries; 0 were already in your list; skipped 4\./);
    const list = await entries(t, 21);
    expect(list.map((e) => [e.kind, e.title, e.rating, e.season, e.episode, e.watchCount, e.tmdbId])).toEqual([
      ["movie", "Cats", 1, undefined, undefined, undefined, 536869],
      ["show", "Severance", 4, 2, 2, undefined, 95396],
      ["show", "The Bear", undefined, 1, 2, undefined, 136315],
      ["movie", "Inception", 4.5, undefined, undefined, 2, 27205],
      ["movie", "Die Hard", undefined, undefined, undefined, undefined, 562],
      ["movie", "Dune: Part Two", undefined, undefined, undefined, undefined, 693134],
    ]);

    const again = await sendFile(t, 21, "trakt-export.zip", fixtureZip("trakt-export"));
    expect(again).toMatch(/6 are already in your list\./);
    expect(again).toMatch(/Nothing new to import/);
    expect(importButton(t, 21)).toBeUndefined();
    expect(await entries(t, 21)).toHaveLength(6);
  });

  it("a TV Time export after it finds the movie Trakt brought already there", async () => {
    t = await startTestApp();
    await sendFile(t, 22, "trakt-export.zip", fixtureZip("trakt-export"));
    await press(t, 22, importButton(t, 22)!);
    const summary = await sendFile(t, 22, "tvtime.zip", fixtureZip("tvtime-export"));
    expect(summary).toMatch(/^TV Time data export \(tvtime\.zip\): 2 movies, 3 shows\./);
    // Inception (same title and year) is in the list already, with a later watch than TV Time's.
    expect(summary).toContain("\n1 is already in your list.\n");
    const result = await press(t, 22, importButton(t, 22)!);
    expect(result).toMatch(/^Imported 4 entries; 1 was already in your list; skipped 5\./);
    expect((await entries(t, 22)).filter((e) => e.title === "Inception")).toHaveLength(1);
  });
});

describe("importing a TV Time data export", () => {
  it("imports shows and movies, and seen_episode.csv sent after it adds nothing", async () => {
    t = await startTestApp();
    const summary = await sendFile(t, 23, "tvtime-gdpr-export.zip", fixtureZip("tvtime-export"));
    expect(summary).toMatch(/^TV Time data export \(tvtime-gdpr-export\.zip\): 2 movies, 3 shows\./);
    expect(summary).toContain("• seen_episode.csv row 7: no show name, only TV Time's episode id");
    expect((await staged(t, 23)).entries.find((e) => e.title === "Breaking Bad")!.history).toHaveLength(4);
    expect(await press(t, 23, importButton(t, 23)!)).toMatch(/^Imported 5 entries; 0 were already in your list; skipped 5\./);
    const list = await entries(t, 23);
    expect(list.find((e) => e.title === "Breaking Bad")).toMatchObject({ kind: "show", season: 2, episode: 1 });
    expect(list.find((e) => e.title === "Oppenheimer")).toMatchObject({ kind: "movie", status: "want" });

    const again = await sendFile(t, 23, "seen_episode.csv", fixture("tvtime-export/seen_episode.csv"));
    expect(again).toMatch(/2 are already in your list\./);
    expect(again).toMatch(/Nothing new to import/);
    expect(await entries(t, 23)).toHaveLength(5);
  });

  it("asks for the CSV files when the ZIP is password-protected, storing nothing", async () => {
    t = await startTestApp();
    const zip = fixtureZip("tvtime-export");
    zip[6] = zip[6]! | 1;
    expect(await sendFile(t, 24, "tvtime.zip", zip)).toMatch(/password-protected/);
    expect(importButton(t, 24)).toBeUndefined();
    expect(await entries(t, 24)).toEqual([]);
  });
});

describe("importing a StoryGraph export", () => {
  it("imports books with their reads, and again adds nothing; the Goodreads file of the same books matches by ISBN", async () => {
    t = await startTestApp();
    const summary = await sendFile(t, 25, "storygraph_export.csv", fixture("storygraph-export.csv"));
    expect(summary).toMatch(/^StoryGraph export \(storygraph_export\.csv\): 5 books\./);
    expect(summary).toContain("StoryGraph's quarter stars round up to the next half star");
    expect(summary).toContain('• row 8: unknown read status "read-ish"');
    expect((await staged(t, 25)).entries.find((e) => e.title === "Project Hail Mary")!.history).toEqual([
      { at: "2021-06-20", event: "finished" },
      { at: "2023-02-14", event: "finished" },
    ]);
    expect(await press(t, 25, importButton(t, 25)!)).toMatch(/^Imported 5 entries; 0 were already in your list; skipped 3\./);
    expect((await entries(t, 25)).find((e) => e.title === "Project Hail Mary")).toMatchObject({ status: "finished", rating: 5, readCount: 2, finishedOn: "2023-02-14" });

    const again = await sendFile(t, 25, "storygraph_export.csv", fixture("storygraph-export.csv"));
    expect(again).toMatch(/5 are already in your list\./);
    expect(again).toMatch(/Nothing new to import/);

    const goodreads = [
      "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies",
      `54493401,Project Hail Mary,Andy Weir,"Weir, Andy",,"=""0593135202""","=""9780593135204""",5,4.52,Ballantine,Hardcover,476,2021,2021,2023/02/14,2023/01/02,,,read,,,,2,0`,
    ].join("\n");
    const fromGoodreads = await sendFile(t, 25, "goodreads_library_export.csv", goodreads);
    expect(fromGoodreads).toContain("1 is already in your list; the file has something newer:\n• Project Hail Mary: adds pages");
    expect(fromGoodreads).toContain("Nothing new to add.");
    expect(await entries(t, 25)).toHaveLength(5);
  });
});

// Imports that never double, through the front door: the same film, book or show from another
// source than before (our CSV export then a Letterboxd diary; the bot's own Goodreads, Letterboxd
// and Yamtrack files sent back; a Yamtrack show beside a typed one) is recognised as already in
// the list; the summary says how many and offers to bring them forward; rewatches are counted and
// the files a ZIP leaves out are named.
import { strToU8, zipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import { listOf, seed } from "../support/entries.js";
import { docText, documents, importButton, lastButtons, press, sendFile } from "../support/files.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const apps: TestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});
async function start(): Promise<TestApp> {
  const app = await startTestApp();
  apps.push(app);
  return app;
}
function entries(app: TestApp, chatId: number) {
  return listOf(app.app.store, chatId);
}
/** `/export <format>`: the document the bot sends. */
async function exportAs(app: TestApp, chatId: number, format: string): Promise<{ name: string; text: string; caption: string }> {
  const before = documents(app, chatId).length;
  await app.say(chatId, `/export ${format}`);
  await app.api.waitFor(() => documents(app, chatId).length > before);
  return docText(documents(app, chatId).at(-1)!);
}

describe("importing what the list has already, from another source", () => {
  it("our CSV export, then a Letterboxd diary: 3 already there, 2 with newer ratings or dates, a rewatch counted, the new film added once", async () => {
    const t = await start();
    await seed(t, 21, [
      { id: "m1", kind: "movie", title: "Heat", year: 1995, rating: 4, watchedOn: "2024-01-02" },
      { id: "m2", kind: "movie", title: "Alien", year: 1979, rating: 3 },
      { id: "m3", kind: "movie", title: "The Godfather", year: 1972, rating: 5 },
    ]);
    const csv = await exportAs(t, 21, "csv");
    expect(await sendFile(t, 22, csv.name, csv.text)).toMatch(/^Media Tracker export \(media-tracker\.csv\): 3 movies\.\n\nImport these 3\?$/);
    expect(await press(t, 22, importButton(t, 22)!)).toBe("Imported 3 entries; 0 were already in your list.");

    const diary = [
      "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date",
      "2024-01-02,Heat,1995,https://boxd.it/1,4,,,2024-01-02",
      "2024-02-01,Alien,1979,https://boxd.it/2,4.5,,,2024-02-01",
      "2024-03-01,The Godfather,1972,https://boxd.it/3,5,,,2024-03-01",
      "2024-03-05,The Godfather,1972,https://boxd.it/4,5,Yes,,2024-03-05",
      "2024-04-01,Arrival,2016,https://boxd.it/5,4,,,2024-04-01",
    ].join("\n");
    const summary = await sendFile(t, 22, "diary.csv", diary);
    expect(summary).toBe([
      "Letterboxd export (diary.csv): 4 movies.",
      "1 rewatch counted: one entry per film, with how many times you watched it.",
      "3 are already in your list; for 2 of them the file has something newer:",
      "• Alien: rating 3 → 4.5, watched on 2024-02-01",
      "• The Godfather: watched on 2024-03-05, watched twice",
      "",
      "Import the new one, and update the 2 already in your list too?",
    ].join("\n"));
    const buttons = lastButtons(t, 22);
    expect(buttons.map((b) => b.text)).toEqual(["Import 1", "Import 1 and update 2", "Cancel"]);

    expect(await press(t, 22, buttons[1]!.data)).toBe("Imported 1 entry and updated 2; 1 was already in your list.");
    const byTitle = Object.fromEntries((await entries(t, 22)).map((e) => [e.title, e]));
    expect(Object.keys(byTitle).sort()).toEqual(["Alien", "Arrival", "Heat", "The Godfather"]);
    expect(await entries(t, 22)).toHaveLength(4);
    expect(byTitle["Alien"]).toMatchObject({ rating: 4.5, watchedOn: "2024-02-01" });
    expect(byTitle["The Godfather"]).toMatchObject({ rating: 5, watchedOn: "2024-03-05", watchCount: 2 });
    expect(byTitle["Heat"]).toMatchObject({ rating: 4, watchedOn: "2024-01-02" });

    // The same diary again: everything is there now, as it says.
    expect(await sendFile(t, 22, "diary.csv", diary)).toMatch(/4 are already in your list\.\n\nNothing new to import/);
    expect(await entries(t, 22)).toHaveLength(4);
  });

  it("Import alone adds the new ones and leaves the ones already there as they are", async () => {
    const t = await start();
    await seed(t, 25, [{ id: "m1", kind: "movie", title: "Alien", year: 1979, rating: 3 }]);
    await sendFile(t, 25, "ratings.csv", "Date,Name,Year,Letterboxd URI,Rating\n2024-01-01,Alien,1979,u,5\n2024-01-01,Heat,1995,u,4\n");
    expect(lastButtons(t, 25).map((b) => b.text)).toEqual(["Import 1", "Import 1 and update 1", "Cancel"]);
    expect(await press(t, 25, importButton(t, 25)!)).toBe("Imported 1 entry; 1 was already in your list.");
    expect((await entries(t, 25)).map((e) => [e.title, e.rating])).toEqual([["Alien", 3], ["Heat", 4]]);
  });

  it("the bot's own Goodreads, Letterboxd and Yamtrack files sent back add nothing and change nothing", async () => {
    const t = await start();
    await seed(t, 23, [
      { id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 4.5, status: "finished", finishedOn: "2024-02-01", isbn: "9780441013593", pages: 612, readCount: 2 },
      { id: "b2", kind: "book", title: "Emma", author: "Jane Austen", status: "reading", currentPage: 80 },
      { id: "m1", kind: "movie", title: "Alien", year: 1979, status: "want" },
      { id: "m2", kind: "movie", title: "Heat", year: 1995, rating: 3.5, watchedOn: "2024-01-02", watchCount: 3 },
      { id: "s1", kind: "show", title: "Severance", season: 2, episode: 5, rating: 4, status: "watching" },
      { id: "q1", kind: "quote", title: "Dune", author: "Frank Herbert", quoteText: "Fear is the mind-killer." },
    ]);
    const before = await entries(t, 23);
    for (const format of ["goodreads", "letterboxd", "yamtrack"]) {
      const file = await exportAs(t, 23, format);
      const answer = await sendFile(t, 23, file.name, file.text);
      expect(answer, format).toMatch(/(is|are) already in your list\.\n\nNothing new to import: everything in it is already in your list\.$/);
      expect(lastButtons(t, 23), format).toEqual([]);
    }
    expect(await entries(t, 23)).toEqual(before);
  });

  it("a Yamtrack show lands on the one typed in, not beside it", async () => {
    const t = await start();
    await seed(t, 24, [{ id: "s1", kind: "show", title: "Severance", season: 2, episode: 3 }]);
    const csv = [
      "media_id,source,media_type,title,image,season_number,episode_number,score,progress,status,repeats,start_date,end_date,notes,created_at",
      "95396,tmdb,tv,Severance,https://image.example/sev.jpg,,,,0,In progress,0,,,,2024-02-09T12:00:00Z",
      "95396,tmdb,season,Severance,,2,,,5,In progress,0,,,,2024-02-09T12:00:00Z",
    ].join("\n");
    expect(await sendFile(t, 24, "yamtrack.csv", csv)).toBe([
      "Yamtrack export (yamtrack.csv): 1 show.",
      "1 is already in your list; the file has something newer:",
      "• Severance: S2E3 → S2E5, adds TMDB id, cover",
      "",
      "Nothing new to add. Update the one already in your list?",
    ].join("\n"));
    const [update, cancel] = lastButtons(t, 24);
    expect([update!.text, cancel!.text]).toEqual(["Update 1", "Cancel"]);
    expect(await press(t, 24, update!.data)).toBe("Imported 0 entries and updated 1; 0 were already in your list.");
    expect(await entries(t, 24)).toEqual([
      expect.objectContaining({ id: "s1", title: "Severance", season: 2, episode: 5, tmdbId: 95396, coverUrl: "https://image.example/sev.jpg" }),
    ]);
    // Pressed again: the import is done; nothing changes twice.
    expect(await press(t, 24, update!.data)).toMatch(/imported already/);
  });

  it("a Letterboxd ZIP names the files it leaves out", async () => {
    const t = await start();
    const zip = zipSync({
      "diary.csv": strToU8("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2024-08-18,Heat,1995,u,4,,,2024-08-18\n"),
      "watchlist.csv": strToU8("Date,Name,Year,Letterboxd URI\n2024-01-01,Unseen,2000,u\n"),
      "likes/films.csv": strToU8("Date,Name,Year,Letterboxd URI\n2024-01-01,Heat,1995,u\n"),
      "profile.csv": strToU8("Date Joined,Username\n2020-01-01,me\n"),
      "deleted/diary.csv": strToU8("Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2024-01-01,Gone,2000,u,1,,,2024-01-01\n"),
    });
    const summary = await sendFile(t, 26, "letterboxd-me.zip", Buffer.from(zip));
    expect(summary).toBe([
      "Letterboxd export (letterboxd-me.zip): 1 movie.",
      "Not imported from the ZIP: watchlist.csv (films not seen yet), likes/films.csv (likes), profile.csv (not a film log), deleted/diary.csv (deleted entries).",
      "",
      "Import it?",
    ].join("\n"));
  });
});

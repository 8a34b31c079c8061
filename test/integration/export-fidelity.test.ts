// Exports that keep what was stored, through the front door: a file imported, then exported again
// for the same service, gives back what it said (a Yamtrack Planning movie stays Planning; a
// Goodreads book keeps its ISBN, pages and Read Count); nothing is claimed that was not stored (a
// book without a status is not "read"); and what a format forces (whole stars, a status Yamtrack
// requires, a ½★ that is 1★ here, movies not yet seen) is said in the message.
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it } from "vitest";
import { seed } from "../support/entries.js";
import { docText, documents, importButton, press, sendFile } from "../support/files.js";
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
async function exportAs(app: TestApp, chatId: number, format: string): Promise<{ rows: Array<Record<string, string>>; caption: string; text: string }> {
  const before = documents(app, chatId).length;
  await app.say(chatId, `/export ${format}`);
  await app.api.waitFor(() => documents(app, chatId).length > before);
  const doc = docText(documents(app, chatId).at(-1)!);
  return { rows: parse(doc.text, { columns: true }) as Array<Record<string, string>>, caption: doc.caption, text: doc.text };
}
async function importFile(app: TestApp, chatId: number, name: string, text: string): Promise<string> {
  const summary = await sendFile(app, chatId, name, text);
  await press(app, chatId, importButton(app, chatId)!);
  return summary;
}

describe("exports that keep what was stored", () => {
  it("Yamtrack: a Planning movie comes back Planning, a Completed one Completed, with their ids, covers and repeats", async () => {
    const t = await start();
    const csv = [
      "media_id,source,media_type,title,image,season_number,episode_number,score,progress,status,repeats,start_date,end_date,notes,created_at",
      "603,tmdb,movie,The Matrix,https://image.example/m.jpg,,,,0,Planning,0,,,,2024-02-09T12:00:00Z",
      "10494,tmdb,movie,Perfect Blue,,,,9,1,Completed,2,,2024-02-09,,2024-02-09T12:00:00Z",
      "OL27448W,openlibrary,book,Dune,,,,8,120,In progress,0,,,,2024-02-09T12:00:00Z",
    ].join("\n");
    await importFile(t, 31, "yamtrack.csv", csv);
    const { rows } = await exportAs(t, 31, "yamtrack");
    // (Added at the same moment: in no particular order.)
    expect(rows.map((r) => [r.media_id, r.source, r.media_type, r.title, r.status, r.progress, r.repeats, r.score, r.image]).sort()).toEqual([
      ["10494", "tmdb", "movie", "Perfect Blue", "Completed", "1", "2", "9", ""],
      ["603", "tmdb", "movie", "The Matrix", "Planning", "0", "0", "", "https://image.example/m.jpg"],
      ["OL27448W", "openlibrary", "book", "Dune", "In progress", "120", "0", "8", ""],
    ]);
    // The movie you want to see is not sent to Letterboxd, and the message says so.
    const letterboxd = await exportAs(t, 31, "letterboxd");
    expect(letterboxd.rows.map((r) => r.Title)).toEqual(["Perfect Blue"]);
    expect(letterboxd.rows[0]).toMatchObject({ Rewatch: "Yes", tmdbID: "10494" });
    expect(letterboxd.caption).toBe("Letterboxd: 1 entry; 1 entry left out (Letterboxd has no place for them).\n1 movie you want to see left out (Letterboxd imports this file as films watched).");
  });

  it("Goodreads: ISBN, pages, Read Count and Book Id survive the way through; a book without a status is not claimed read; the rounding is said", async () => {
    const t = await start();
    const goodreads = [
      "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies",
      `1215032,"The Wise Man's Fear (The Kingkiller Chronicle, #2)",Patrick Rothfuss,"Rothfuss, Patrick",,"=""0756404738""","=""9780756404734""",5,4.55,DAW Books,Hardcover,994,2011,2011,2022/01/30,2022/01/25,,,read,,,,3,0`,
      `28825810,Ghosts of the Tristan Basin,Brian McClellan,"McClellan, Brian",,"=""0765379589""","=""""",0,4.29,Amazon,Kindle Edition,90,2016,2016,,2025/07/02,to-read,to-read (#30),to-read,,,,0,0`,
    ].join("\n");
    await importFile(t, 32, "goodreads_library_export.csv", goodreads);
    await seed(t, 32, [{ id: "b9", kind: "book", title: "Typed In", author: "Some Body", rating: 3.5 }]);
    const { rows, caption } = await exportAs(t, 32, "goodreads");
    const byTitle = Object.fromEntries(rows.map((r) => [r.Title, r]));
    expect(byTitle["The Wise Man's Fear (The Kingkiller Chronicle, #2)"]).toMatchObject({
      "Book Id": "1215032", "ISBN": "", "ISBN13": "9780756404734", "My Rating": "5", "Number of Pages": "994", "Read Count": "3", "Exclusive Shelf": "read", "Date Read": "2022/01/30",
    });
    expect(byTitle["Ghosts of the Tristan Basin"]).toMatchObject({ "Book Id": "28825810", "ISBN": "0765379589", "Number of Pages": "90", "Read Count": "0", "Exclusive Shelf": "to-read" });
    // Typed in with a rating and nothing else: no shelf and no read count are made up; 3.5 goes as 4.
    expect(byTitle["Typed In"]).toMatchObject({ "Exclusive Shelf": "", "Read Count": "", "My Rating": "4", "Book Id": "" });
    expect(caption).toBe("Goodreads: 3 entries.\n1 half-star rating rounded up to whole stars (Goodreads has whole stars only).\n1 book has no status, so no shelf.");
  });

  it("Letterboxd: a ½★ is 1★ here, and the summary says so; Yamtrack's required status is said in its file's message", async () => {
    const t = await start();
    const summary = await importFile(t, 33, "diary.csv", "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2024-08-19,\"Paris, Texas\",1984,u,0.5,,,2024-08-19\n");
    expect(summary).toBe("Letterboxd export (diary.csv): 1 movie.\n1 rating under 1 star (like ½★) raised to 1★, the lowest rating here.\n\nImport it?");
    await seed(t, 33, [{ id: "b1", kind: "book", title: "Dune", rating: 4 }, { id: "s1", kind: "show", title: "Dark", season: 1 }]);
    const { caption, rows } = await exportAs(t, 33, "yamtrack");
    expect(rows.map((r) => [r.media_type, r.title, r.status])).toEqual([["book", "Dune", "Completed"], ["tv", "Dark", "In progress"], ["season", "Dark", "In progress"], ["movie", "Paris, Texas", "Completed"]]);
    expect(caption).toBe([
      "Yamtrack: 3 entries.",
      "1 book without a status went as Completed (rated or finished) or Planning: Yamtrack needs a status.",
      "1 show without a status went as In progress: Yamtrack needs a status.",
    ].join("\n"));
  });

  it("our JSON and CSV carry ISBN, pages, counts and provider ids when known, and only then", async () => {
    const t = await start();
    await seed(t, 34, [
      { id: "b1", kind: "book", title: "Dune", isbn: "9780441013593", pages: 612, readCount: 2, openLibraryKey: "OL893415W" },
      { id: "m1", kind: "movie", title: "Alien", year: 1979, status: "want", tmdbId: 348 },
      { id: "m2", kind: "movie", title: "Heat", year: 1995 },
    ]);
    await t.say(34, "/export");
    await t.api.waitFor(() => documents(t, 34).length === 2);
    const [csv, json] = documents(t, 34).map(docText);
    const records = JSON.parse(json!.text) as Array<Record<string, unknown>>;
    expect(records[0]).toMatchObject({ isbn: "9780441013593", pages: 612, readCount: 2, openLibraryKey: "OL893415W" });
    expect(records[1]).toMatchObject({ status: "want", tmdbId: 348 });
    expect(records[2]).not.toHaveProperty("tmdbId");
    expect(records[2]).toMatchObject({ status: null });
    expect(csv!.text.split("\n")[0]).toBe("kind,title,author,year,season,episode,rating,text,id,addedAt,status,currentPage,finishedOn,watchedOn,notes,updatedAt,isbn,pages,readCount,tmdbId,openLibraryKey");
  });
});

// The command-line tools as a user runs them: the console chat adds a movie on a database file,
// and the export prints it in the contract's JSON and CSV.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openAppDatabase } from "../../src/app.js";
import { addEntries, withSqliteFile } from "../support/entries.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-cli-"));
const database = path.join(dir, "cli.db");
const run = promisify(execFile);

function tool(script: string, args: string[], input?: string, databasePath = database) {
  const child = run(process.execPath, ["--import", "tsx", `src/cli/${script}.ts`, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, DATABASE_PATH: databasePath },
  });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return child;
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Every tool call starts Node with tsx (seconds each on a loaded machine) and a test makes up to six,
// so the suite's 30 s guard against a hang is too tight here; nothing in these tests is timed.
describe("command-line tools", { timeout: 120_000 }, () => {
  it("the console chat runs a whole dialog, buttons as numbered choices", async () => {
    const { stdout } = await tool("chat", ["--chat", "77"], "/add_movie\nBlade Runner, \"Final Cut\"\n1982\n4\n/movies\n");
    expect(stdout).toContain("What's the movie's title?");
    expect(stdout).toContain("[5] ★★★★★");
    expect(stdout).toContain('Saved the movie: Blade Runner, "Final Cut" (1982), ★★★★☆ 4/5.');
    expect(stdout).toContain("Your movies (1)");
    // The console says what happened as chat events: no forged Telegram update is stored.
    const db = (await openAppDatabase(database));
    const payloads = (db.prepare("SELECT payload_json FROM inbox WHERE agent_key = '77' ORDER BY seq").pluck().all() as string[]).map((p) => JSON.parse(p));
    db.close();
    expect(payloads.map((p) => p.event.type)).toEqual(["text", "text", "text", "button", "text"]);
    expect(payloads.every((p) => !("update" in p))).toBe(true);
    expect(payloads[3].event).toMatchObject({ data: expect.stringMatching(/:4$/), sender: { id: 77, name: "Console" } });
  });

  it("the console chat imports a file sent with /file, pages lists with numbered buttons and saves exports", async () => {
    const csv = path.join(dir, "goodreads_library_export.csv");
    fs.writeFileSync(csv, [
      "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies",
      `11,Dune,Frank Herbert,"Herbert, Frank",,,,5,4.2,,,,1965,1965,2024/01/02,2023/12/01,,,read,"Great, ""spice""",,,1,0`,
      `12,Hyperion,Dan Simmons,"Simmons, Dan",,,,0,4.2,,,,1989,1989,,2023/12/01,,,to-read,,,,0,0`,
    ].join("\n"));
    const { stdout } = await tool("chat", ["--chat", "78"], `/file ${csv}\n1\n/books\n/export\n`, path.join(dir, "console.db"));
    expect(stdout).toContain("Goodreads library export");
    expect(stdout).toContain("Imported 2 entries");
    expect(stdout).toMatch(/Your books \(2\)/);
    expect(stdout).toMatch(/\[1\] 1\. (Dune|Hyperion)/);
    const saved = /\[file media-tracker\.json saved to (.+?)\]/.exec(stdout)?.[1];
    expect(saved).toBeDefined();
    const exported = JSON.parse(fs.readFileSync(saved!, "utf8")) as Array<{ title: string; notes?: string }>;
    expect(exported.map((e) => e.title).sort()).toEqual(["Dune", "Hyperion"]);
    expect(exported.find((e) => e.title === "Dune")!.notes).toContain('Great, "spice"');
  });

  it("exports the chat as contract JSON", async () => {
    const { stdout } = await tool("export", ["--chat", "77", "--format", "json"]);
    const entries = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: "movie", title: 'Blade Runner, "Final Cut"', year: 1982, rating: 4 });
    expect(typeof entries[0]!.id).toBe("string");
    expect(new Date(entries[0]!.addedAt as string).toISOString()).toBe(entries[0]!.addedAt);
  });

  it("exports CSV with a header and quoting that survives commas and quotes", async () => {
    const { stdout } = await tool("export", ["--chat", "77", "--format", "csv"]);
    const [header, row] = stdout.trim().split("\n");
    expect(header).toBe("kind,title,author,year,season,episode,rating,text,id,addedAt,status,currentPage,finishedOn,watchedOn,notes,updatedAt");
    expect(row).toMatch(/^movie,"Blade Runner, ""Final Cut""",,1982,,,4,,/);
  });

  it("exports Goodreads, Letterboxd and Yamtrack files, to --out, and every chat with --all", async () => {
    await withSqliteFile(database, (store) => addEntries(store, "78", [
      { id: "cli-b1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 4, status: "finished", notes: "multi\nline, \"quoted\" 🚀", addedAtMs: 1 },
      { id: "cli-s1", kind: "show", title: "Dark", season: 1, episode: 3, status: "paused", addedAtMs: 2 },
      { id: "cli-q1", kind: "quote", title: "Solaris", quoteText: "mirrors", addedAtMs: 3 },
    ]));

    const goodreads = (await tool("export", ["--chat", "78", "--format", "goodreads"])).stdout;
    expect(goodreads.split("\n")[0]).toMatch(/^Book Id,Title,Author,Author l-f,.*,My Rating,.*,Exclusive Shelf,My Review,Spoiler,Private Notes,/);
    expect(goodreads).toContain('Dune,Frank Herbert,"Herbert, Frank"');
    const letterboxd = (await tool("export", ["--chat", "77", "--format", "letterboxd"])).stdout;
    expect(letterboxd).toMatch(/^Title,Year,Rating,WatchedDate,Rewatch,Tags,Review\n"Blade Runner, ""Final Cut""",1982,4,(\d{4}-\d\d-\d\d)?,,,\n$/);
    const out = path.join(dir, "yamtrack.csv");
    const written = await tool("export", ["--chat", "78", "--format", "yamtrack", "--out", out]);
    expect(written.stdout).toBe("");
    const yamtrack = fs.readFileSync(out, "utf8");
    expect(yamtrack.split("\n")[0]).toBe("media_id,source,media_type,title,image,season_number,episode_number,score,progress,status,repeats,start_date,end_date,notes,created_at,progressed_at");
    expect(yamtrack).toMatch(/\ncli-s1,manual,tv,Dark,.*,Paused,/);
    expect(yamtrack).toMatch(/\ncli-s1,manual,season,Dark,,1,,,3,Paused,/);
    expect(yamtrack).not.toContain("Solaris");

    const all = JSON.parse((await tool("export", ["--all", "--format", "json"])).stdout) as Array<Record<string, unknown>>;
    expect(all.map((e) => [e.chatId, e.kind])).toEqual([["77", "movie"], ["78", "book"], ["78", "show"], ["78", "quote"]]);
    expect(all[1]).toMatchObject({ notes: "multi\nline, \"quoted\" 🚀", status: "finished" });
    const allCsv = (await tool("export", ["--all", "--format", "csv", "--out", path.join(dir, "all.csv")])).stdout;
    expect(allCsv).toBe("");
    expect(fs.readFileSync(path.join(dir, "all.csv"), "utf8").split("\n")[0]).toMatch(/^chatId,kind,title,/);
    await expect(tool("export", ["--chat", "78", "--format", "xml"])).rejects.toMatchObject({ stderr: expect.stringContaining("goodreads") });
  });

  it("backs the database up to a new file that exports the same list", async () => {
    const copy = path.join(dir, "backup.db");
    await tool("backup", [copy]);
    expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
    const original = await tool("export", ["--chat", "77"]);
    const restored = await run(process.execPath, ["--import", "tsx", "src/cli/export.ts", "--chat", "77", "--database", copy], { cwd: root });
    expect(restored.stdout).toBe(original.stdout);
    await expect(tool("backup", [copy])).rejects.toMatchObject({ stderr: expect.stringContaining("exists") });
  });

  it("refuses bad arguments with a clear message", async () => {
    await expect(tool("export", ["--chat", "x"])).rejects.toMatchObject({ stderr: expect.stringContaining("a chat id is a whole number") });
    await expect(tool("export", [])).rejects.toMatchObject({ stderr: expect.stringContaining("--chat <id> or --all") });
  });
});

// The README's export and backup commands, run literally (through a shell, with npm) in a fresh
// clone's layout: the project's files, a data folder holding only the database, no backups folder
// and no .env. A command the README shows must work as shown.
import { exec } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { openAppDatabase } from "../../src/app.js";
import { REPO_ROOT } from "../support/bot-process.js";
import { addEntries, listOf, withSqliteFile } from "../support/entries.js";

const run = promisify(exec);
const clone = fs.mkdtempSync(path.join(os.tmpdir(), "mt-readme-"));
afterAll(() => fs.rmSync(clone, { recursive: true, force: true }));

/** The shell lines of the README's "Your data" section that run `npm run … export` or `npm run backup`. */
function readmeCommands(): string[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Your data"), readme.indexOf("\n## ", readme.indexOf("## Your data") + 1));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split("\n")).filter((line) => /^npm run (--silent )?(export|backup)\b/.test(line));
}

it("the README's export and backup commands work as written on a fresh clone", async () => {
  for (const entry of ["package.json", "src", "agents", "runtime", "migrations", "node_modules"]) {
    fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(clone, entry));
  }
  // The README's chat id, with a book, a movie and a show in the default DATABASE_PATH.
  const file = path.join(clone, "data", "media-tracker.db");
  (await openAppDatabase(file)).close();
  await withSqliteFile(file, (store) => addEntries(store, "123456789", [
    { id: "r1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 5, addedAtMs: 1 },
    { id: "r2", kind: "movie", title: "Heat", year: 1995, rating: 4, addedAtMs: 2 },
    { id: "r3", kind: "show", title: "Dark", season: 1, episode: 3, addedAtMs: 3 },
  ]));

  const commands = readmeCommands();
  expect(commands.length).toBeGreaterThanOrEqual(7);
  expect(commands.some((c) => c.startsWith("npm run backup"))).toBe(true);
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.homedir(), npm_config_update_notifier: "false" };
  const results = await Promise.all(commands.map(async (command) => {
    try {
      await run(command, { cwd: clone, env, shell: "/bin/sh" });
      return { command, ok: true };
    } catch (error) {
      return { command, ok: false, stderr: (error as { stderr?: string }).stderr };
    }
  }));
  expect(results.filter((r) => !r.ok)).toEqual([]);

  expect(JSON.parse(fs.readFileSync(path.join(clone, "my-list.json"), "utf8")).map((e: { title: string }) => e.title).sort()).toEqual(["Dark", "Dune", "Heat"]);
  for (const file of ["my-list.csv", "goodreads.csv", "letterboxd.csv", "yamtrack.csv"]) {
    expect(fs.statSync(path.join(clone, file)).mode & 0o777, file).toBe(0o600);
  }
  expect(fs.readFileSync(path.join(clone, "goodreads.csv"), "utf8")).toContain("Dune,Frank Herbert");
  const [backup] = fs.readdirSync(path.join(clone, "backups"));
  expect(backup).toMatch(/^media-tracker-\d{4}-\d\d-\d\d\.db$/);
  const copy = path.join(clone, "backups", backup!);
  expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
  (await openAppDatabase(copy)).close();
  const restored = await withSqliteFile(copy, (store) => listOf(store, "123456789"));
  expect(restored.map((e) => e.title).sort()).toEqual(["Dark", "Dune", "Heat"]);
}, 120_000);

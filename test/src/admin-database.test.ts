// The admin CLI opens the bot's database beside a running bot, so it never migrates it: a database
// behind or ahead of this release, or not the bot's at all, gets one line and exit code 1, untouched.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../../runtime/index.js";
import { runAdmin } from "../../src/cli/admin/program.js";
import { MIGRATIONS_DIR } from "../support/temp-database.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-admin-db-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function admin(file: string, ...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runAdmin(argv, { out: (t) => void (out += t), err: (t) => void (err += t) }, { DATABASE_PATH: file });
  return { code, out, err };
}

function database(name: string, prepare: (db: BetterSqlite3.Database) => void): string {
  const file = path.join(dir, name);
  const db = new BetterSqlite3(file);
  prepare(db);
  db.close();
  return file;
}

const version = (file: string) => {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(`SELECT MAX(version) FROM schema_migrations`).pluck().get();
  } finally {
    db.close();
  }
};

describe("admin on a database of another release", () => {
  const all = readMigrations(MIGRATIONS_DIR);
  const latest = all.at(-1)!.version;

  it("leaves an older schema alone and says the bot migrates it at start", async () => {
    const older = database("older.db", (db) => migrate(db, all.slice(0, -1)));
    const before = version(older);
    const result = await admin(older, "chats");
    expect(result).toEqual({
      code: 1,
      out: "",
      err: `error: the database is at schema version ${before} and this release's is ${latest}: start this release's bot once (it migrates at start), or use the admin of the release that runs\n`,
    });
    expect(version(older)).toBe(before);
  });

  it("refuses a newer one, and one that is not the bot's", async () => {
    const newer = database("newer.db", (db) => {
      migrate(db, all);
      db.prepare(`INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, 'future', 0)`).run(latest + 1);
    });
    const result = await admin(newer, "parked");
    expect(result.code).toBe(1);
    expect(result.err).toMatch(new RegExp(`^error: The database is at schema version ${latest + 1}, but this release knows only up to ${latest}\\..*\\n$`));
    expect(result.err.split("\n")).toHaveLength(2);

    const other = database("other.db", (db) => db.exec(`CREATE TABLE notes (text TEXT)`));
    expect(await admin(other, "timers")).toEqual({ code: 1, out: "", err: `error: ${other} is not a Media Tracker database (no schema_migrations table)\n` });
  });

  it("works on a current one, even empty", async () => {
    const current = database("current.db", (db) => migrate(db, all));
    expect(await admin(current, "chats")).toEqual({ code: 0, out: "No chats yet.\n", err: "" });
    expect(await admin(current, "outbox", "--json")).toEqual({ code: 0, out: "[]\n", err: "" });
  });
});

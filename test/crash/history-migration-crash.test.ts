// Migration 0011 on a database with 10,000 entries, killed with SIGKILL in its middle: the database
// keeps the old schema and every entry, and the next start applies the whole migration once.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../../runtime/index.js";
import { type SqliteStore, openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import { MIGRATIONS_DIR } from "../../src/storage.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHILD = fileURLToPath(new URL("./migrate-history-child.ts", import.meta.url));
const ENTRIES = 10_000;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every pending migration in one unit, as a start runs them. */
const migrateAll = (store: SqliteStore, migrations = readMigrations(MIGRATIONS_DIR)) => store.submit((tx) => migrate(tx, migrations));

/** A database at the schema before 0011, with 10,000 entries: a third books finished, a third movies watched. */
/** Every migration before 0011: the schema a database had before the history came. */
const BEFORE_HISTORY = readMigrations(MIGRATIONS_DIR).filter((m) => m.version < 11);

async function oldDatabase(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "history-migration-"));
  dirs.push(dir);
  const file = path.join(dir, "old.db");
  const store = openSqliteStore(file);
  await migrateAll(store, BEFORE_HISTORY);
  const db = store.database;
  const insert = db.prepare(
    `INSERT INTO entries (id, chat_id, kind, title, added_at_ms, updated_at_ms, finished_on, watched_on, search_text)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < ENTRIES; i++) {
      const kind = ["book", "movie", "show"][i % 3]!;
      const day = `2024-${String((i % 12) + 1).padStart(2, "0")}-15`;
      insert.run(`e${i}`, `chat${i % 7}`, kind, `Title ${i}`, i, i, kind === "book" ? day : null, kind === "movie" ? day : null, `title ${i}`);
    }
  })();
  await store.close();
  return file;
}

function runChild(file: string): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, file], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve({ signal, stdout }));
  });
}

describe("migration 0011_entry_events", () => {
  it("killed in the middle on 10,000 entries, leaves the old schema; the next start applies all of it once", async () => {
    const file = await oldDatabase();

    const run = await runChild(file);
    expect(run.signal).toBe("SIGKILL");
    expect(run.stdout).toContain("mid-migration");
    expect(run.stdout).not.toContain("migrated");

    const store = openSqliteStore(file);
    const db = store.database;
    try {
      // The old schema, whole: no table, no index, no bookkeeping row of the half-done migration.
      expect(db.prepare(`SELECT MAX(version) FROM schema_migrations`).pluck().get()).toBe(BEFORE_HISTORY.at(-1)!.version);
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'entry_events%'`).pluck().all()).toEqual([]);
      expect(db.prepare(`SELECT COUNT(*) FROM entries`).pluck().get()).toBe(ENTRIES);

      expect(await migrateAll(store)).toContain(11);
      const books = Math.ceil(ENTRIES / 3);
      const movies = Math.ceil((ENTRIES - 1) / 3);
      const counts = db.prepare(`SELECT event, COUNT(*) AS n FROM entry_events GROUP BY event ORDER BY event`).all();
      expect(counts).toEqual([{ event: "finished", n: books }, { event: "watched", n: movies }]);
      // Each event is the entry's own date, in its own chat.
      const mismatched = db.prepare(
        `SELECT COUNT(*) FROM entry_events ev JOIN entries e ON e.id = ev.entry_id
         WHERE ev.chat_id <> e.chat_id OR ev.at <> COALESCE(e.finished_on, e.watched_on)`,
      ).pluck().get();
      expect(mismatched).toBe(0);
      expect(await migrateAll(store)).toEqual([]);
    } finally {
      await store.close();
    }
  }, 60_000);

  it("deletes an entry's events with the entry", async () => {
    const file = await oldDatabase();
    const store = openSqliteStore(file);
    const db = store.database;
    try {
      await migrateAll(store);
      expect(db.prepare(`SELECT COUNT(*) FROM entry_events WHERE entry_id = 'e0'`).pluck().get()).toBe(1);
      db.prepare(`DELETE FROM entries WHERE id = 'e0'`).run();
      expect(db.prepare(`SELECT COUNT(*) FROM entry_events WHERE entry_id = 'e0'`).pluck().get()).toBe(0);
    } finally {
      await store.close();
    }
  });
});

// Migration 0008: the entries table gains the provider columns, and chats get their settings table.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, migrateRuntimeSchema, openSqliteStore, readMigrations } from "../../runtime/index.js";
import { makeLegacyDatabase } from "../support/legacy-database.js";
import { MIGRATIONS_DIR, type TempDatabase, tempDatabase } from "../support/temp-database.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fresh(): Promise<TempDatabase> {
  const t = await tempDatabase();
  cleanups.push(() => t.close());
  return t;
}

const insertEntry = `INSERT INTO entries (id, chat_id, kind, title, added_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, 1, 1)`;

describe("migration 0008_provider_data", () => {
  it("adds the provider columns to entries, typed", async () => {
    const { db } = await fresh();
    const columns = Object.fromEntries(
      (db.prepare(`SELECT name, type FROM pragma_table_info('entries')`).all() as Array<{ name: string; type: string }>).map((c) => [c.name, c.type]),
    );
    expect(columns).toMatchObject({
      tmdb_id: "INTEGER",
      open_library_key: "TEXT",
      isbn: "TEXT",
      tvmaze_id: "INTEGER",
      cover_url: "TEXT",
      season_episodes: "TEXT",
      last_alerted: "TEXT",
    });
  });

  it("stores a show's provider data and refuses values that cannot be right", async () => {
    const { db } = await fresh();
    db.prepare(insertEntry).run("e1", "42", "show", "Severance");
    db.prepare(
      `UPDATE entries SET tvmaze_id = 44933, cover_url = 'https://static.tvmaze.com/x.jpg', season_episodes = '{"1":9,"2":10}', last_alerted = 'S2E6' WHERE id = 'e1'`,
    ).run();
    expect(db.prepare(`SELECT tvmaze_id, season_episodes, last_alerted FROM entries WHERE id = 'e1'`).get()).toEqual({
      tvmaze_id: 44933,
      season_episodes: '{"1":9,"2":10}',
      last_alerted: "S2E6",
    });
    expect(() => db.prepare(`UPDATE entries SET season_episodes = '{"1":' WHERE id = 'e1'`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE entries SET last_alerted = 'episode 6' WHERE id = 'e1'`).run()).toThrow(/CHECK/);
    // tmdb_id comes from 0007, unchecked like its other provider columns (imports and lookups take only ids >= 1).
    expect(() => db.prepare(`UPDATE entries SET tvmaze_id = 0 WHERE id = 'e1'`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE entries SET tvmaze_id = 'x' WHERE id = 'e1'`).run()).toThrow();
  });

  it("adds chat_settings, with alerts on unless a chat turns them off", async () => {
    const { db } = await fresh();
    db.prepare(`INSERT INTO chat_settings (chat_id) VALUES ('42')`).run();
    expect(db.prepare(`SELECT alerts_enabled FROM chat_settings WHERE chat_id = '42'`).pluck().get()).toBe(1);
    db.prepare(`UPDATE chat_settings SET alerts_enabled = 0 WHERE chat_id = '42'`).run();
    expect(() => db.prepare(`INSERT INTO chat_settings (chat_id, alerts_enabled) VALUES ('43', 2)`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO chat_settings (chat_id) VALUES ('42')`).run()).toThrow(/UNIQUE/);
  });

  it("keeps the entries of a database made before it, with no provider data", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migration-0008-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "old.db");
    // The file as the release before 0008 left it, with an entry of its time.
    makeLegacyDatabase(file, 7, { fill: (old) => old.prepare(insertEntry).run("old", "7", "movie", "Dune") });
    const store = openSqliteStore(file);
    cleanups.push(() => store.close());
    await migrateRuntimeSchema(store);

    expect(await store.submit((tx) => migrate(tx, readMigrations(MIGRATIONS_DIR)))).toContain(8);
    expect(await store.read.get(`SELECT title, tmdb_id, cover_url, last_alerted FROM entries WHERE id = 'old'`)).toEqual({
      title: "Dune",
      tmdb_id: null,
      cover_url: null,
      last_alerted: null,
    });
  });
});

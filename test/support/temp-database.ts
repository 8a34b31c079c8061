// A fresh, migrated SQLite file in its own temp folder, for tests that need a real database: as a
// store (what the runtime runs on), or as one plain connection (for tests of SQLite tools).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type BetterSqlite3 from "better-sqlite3";
import { type SqliteStore, migrate, openSqliteStore, readMigrations } from "../../runtime/index.js";
import { openSqliteFile } from "../../runtime/sqlite/sqlite-file.js";

/** A plain SQLite connection: what tests read and edit the file through. */
export type Database = BetterSqlite3.Database;

/** The repository's migrations folder, found from this file so the working directory does not matter. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

export interface TempDatabase {
  db: Database;
  /** The SQLite file; pass it to `reopen` to simulate a restart. */
  file: string;
  /** The temp folder holding the file (and its WAL files). */
  dir: string;
  /** Closes `db` (if still open) and removes the folder. */
  close(): void;
}

/** Makes a temp folder, opens a new database file in it and applies every migration. */
export function tempDatabase(): TempDatabase {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-test-"));
  const file = path.join(dir, "test.db");
  const db = reopen(file);
  return {
    db,
    file,
    dir,
    close() {
      if (db.open) db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens an existing database file and brings it up to date, as a restarted process would. */
export function reopen(file: string): Database {
  const db = openSqliteFile(file);
  migrate(db, readMigrations(MIGRATIONS_DIR));
  return db;
}

export interface OpenedStore {
  store: SqliteStore;
  /**
   * The store's writer connection. Tests read and edit the file through it, between the store's
   * group commits (each of which runs to its end before the event loop turns).
   */
  db: Database;
}

export interface TempStore extends OpenedStore {
  /** The SQLite file; pass it to `reopenStore` to simulate a restart. */
  file: string;
  dir: string;
  /** Closes the store (a second close does nothing) and removes the folder. */
  close(): Promise<void>;
}

/**
 * Creates every table the bot has, as a start does: the one place the tests' stores get their
 * schema (today the runtime's tables and the app's come from the same migrations).
 */
export async function migrateForTests(store: SqliteStore): Promise<void> {
  migrate(store.database, readMigrations(MIGRATIONS_DIR));
}

/** Makes a temp folder and opens a new store in it, with every migration applied. */
export async function tempStore(): Promise<TempStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-test-"));
  const file = path.join(dir, "test.db");
  const { store, db } = await reopenStore(file);
  return {
    store,
    db,
    file,
    dir,
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens an existing database file as a store and brings it up to date, as a restarted process would. */
export async function reopenStore(file: string): Promise<OpenedStore> {
  const store = openSqliteStore(file);
  await migrateForTests(store);
  return { store, db: store.database };
}

// A fresh, migrated SQLite file in its own temp folder, for tests that need a real database: as a
// store (what the runtime runs on), or as one plain connection (for tests of SQLite tools).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type BetterSqlite3 from "better-sqlite3";
import type { SqliteStore } from "../../runtime/index.js";
import { openSqliteFile } from "../../runtime/sqlite/sqlite-file.js";
import { type Storage, openStorage } from "../../src/storage.js";

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
export async function tempDatabase(): Promise<TempDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-test-"));
  const file = path.join(dir, "test.db");
  const db = await reopen(file);
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
export async function reopen(file: string): Promise<Database> {
  await (await reopenStore(file)).store.close();
  return openSqliteFile(file);
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

/**
 * Opens an existing database file as a store and brings both schemas up to date (the runtime's,
 * then the app's), as a restarted process would.
 */
export async function reopenStore(file: string): Promise<OpenedStore> {
  // As src/app.ts opens the bot's file; src/storage.ts rather than app.ts keeps child processes light.
  const storage = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined });
  const { store } = storage as Extract<Storage, { dialect: "sqlite" }>;
  return { store, db: store.database };
}

// A fresh, migrated SQLite file in its own temp folder, for tests that need a real database.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Database, migrate, openDatabase, readMigrations } from "../../runtime/index.js";

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
  const db = openDatabase(file);
  migrate(db, readMigrations(MIGRATIONS_DIR));
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
  const db = openDatabase(file);
  migrate(db, readMigrations(MIGRATIONS_DIR));
  return db;
}

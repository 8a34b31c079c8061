// A SQLite file as releases made it before the runtime owned its tables: the application's
// schema_migrations (its old STRICT table) recording the runtime's tables as the application's
// migrations 0001, 0005 and 0010 (kept in test/fixtures/legacy-runtime-migrations/) among its own,
// all applied the old way, synchronously, in one transaction. For tests of the upgrade.
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { type Migration, readMigrations } from "../../runtime/index.js";
import { MIGRATIONS_DIR } from "../../src/storage.js";

const LEGACY_RUNTIME_DIR = fileURLToPath(new URL("../fixtures/legacy-runtime-migrations/", import.meta.url));

/** The application's old migrations 0001, 0005 and 0010: the runtime's tables, as they were. */
export function legacyRuntimeMigrations(): Migration[] {
  return readMigrations(LEGACY_RUNTIME_DIR);
}

/** Every migration 0001–0011 as the application knew them then, in order. */
export function legacyMigrations(): Migration[] {
  return [...legacyRuntimeMigrations(), ...readMigrations(MIGRATIONS_DIR)].sort((a, b) => a.version - b.version);
}

export interface LegacyOptions {
  /** When each migration was recorded as applied (default: its version, as milliseconds). */
  appliedAt?: (version: number) => number;
  /** Rows written in the same transaction, as the bot of that release wrote them. */
  fill?: (db: BetterSqlite3.Database) => void;
}

/** Makes `file` the old way, at the application's version `upTo` (11: the last release before the change). */
export function makeLegacyDatabase(file: string, upTo: number, options: LegacyOptions = {}): void {
  const appliedAt = options.appliedAt ?? ((version: number) => version);
  const db = new BetterSqlite3(file);
  try {
    db.pragma("journal_mode = WAL");
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL
  ) STRICT`);
    const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)");
    db.transaction(() => {
      for (const m of legacyMigrations().filter((m) => m.version <= upTo)) {
        db.exec(m.sql);
        record.run(m.version, m.name, appliedAt(m.version));
      }
      options.fill?.(db);
    })();
  } finally {
    db.close();
  }
}

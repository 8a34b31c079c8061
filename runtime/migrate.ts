// Applies numbered plain-SQL migrations (NNNN_name.sql) forward only, all pending ones in one
// transaction. It never edits or re-runs an applied migration, and refuses a database that is newer.
import fs from "node:fs";
import path from "node:path";
import type { Database } from "./database.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class DatabaseTooNewError extends Error {
  constructor(readonly databaseVersion: number, readonly knownVersion: number) {
    super(
      `The database is at schema version ${databaseVersion}, but this release knows only up to ` +
        `${knownVersion}. It was written by a newer release: run that release, or restore a backup.`,
    );
    this.name = "DatabaseTooNewError";
  }
}

/** Reads `NNNN_name.sql` files from a folder, in version order. Other files are ignored. */
export function readMigrations(folder: string): Migration[] {
  const migrations: Migration[] = [];
  for (const file of fs.readdirSync(folder)) {
    const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!match) continue;
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      sql: fs.readFileSync(path.join(folder, file), "utf8"),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(`Two migrations share version ${migrations[i]!.version}: rename one of them.`);
    }
  }
  return migrations;
}

/**
 * Brings the database up to the newest migration. Returns the versions it applied.
 * All pending migrations and their bookkeeping commit together, so a crash leaves the old schema.
 */
export function migrate(db: Database, migrations: Migration[], now = Date.now): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL
  ) STRICT`);
  const current =
    (db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) throw new DatabaseTooNewError(current, known);

  const pending = migrations.filter((m) => m.version > current);
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)");
  db.transaction(() => {
    for (const m of pending) {
      db.exec(m.sql);
      record.run(m.version, m.name, now());
    }
  })();
  return pending.map((m) => m.version);
}

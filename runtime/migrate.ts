// Applies numbered plain-SQL migrations forward only, on SQLite or PostgreSQL. It never edits or
// re-runs an applied migration, and refuses a database that is newer than the list it is given.
//
// Transactions are the caller's: `migrate` runs its statements on the Sql it is handed, and that
// must be a unit's transaction, `store.submit((tx) => migrate(tx, migrations))`. Then every pending
// migration and its bookkeeping row commit together (both databases run DDL inside a transaction),
// so a crash or a failing statement leaves the schema as it was, and the version is read under the
// same lock the changes are made under (SQLite: the writer's lock; PostgreSQL: an advisory lock),
// so two processes starting at once never both apply a migration.
import fs from "node:fs";
import path from "node:path";
import type { Sql } from "./store.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateOptions {
  /** The bookkeeping table: one row per applied version. Default `schema_migrations`. */
  table?: string;
  /** What the too-new error calls this schema, e.g. "runtime schema". Default: the database's schema. */
  schemaName?: string;
  now?: () => number;
}

export class DatabaseTooNewError extends Error {
  constructor(readonly databaseVersion: number, readonly knownVersion: number, readonly schemaName?: string) {
    super(
      `${schemaName ? `The database's ${schemaName} is at version` : "The database is at schema version"} ${databaseVersion}, ` +
        `but this release knows only up to ${knownVersion}. It was written by a newer release: run that release, or restore a backup.`,
    );
    this.name = "DatabaseTooNewError";
  }
}

export const DEFAULT_MIGRATIONS_TABLE = "schema_migrations";

/**
 * The key of the PostgreSQL advisory lock every schema change takes, for its transaction: replicas
 * starting together migrate one after the other. Any fixed number no other lock of ours uses.
 */
const SCHEMA_LOCK_KEY = 7_310_412_001;

/** Reads `NNNN_name.sql` files from a folder, in version order. Other files and folders are ignored. */
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
 * Brings the database up to the newest migration of `migrations`. Returns the versions it applied.
 * `tx` must be a unit's transaction (see the top of this file). Throws DatabaseTooNewError when the
 * database has a version newer than any in the list.
 */
export async function migrate(tx: Sql, migrations: readonly Migration[], options: MigrateOptions = {}): Promise<number[]> {
  const table = checkedTableName(options.table ?? DEFAULT_MIGRATIONS_TABLE);
  const now = options.now ?? Date.now;
  await lockSchema(tx);
  await createMigrationsTable(tx, table);
  const current = (await schemaVersion(tx, table)) ?? 0;
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const known = ordered.at(-1)?.version ?? 0;
  if (current > known) throw new DatabaseTooNewError(current, known, options.schemaName);

  const pending = ordered.filter((m) => m.version > current);
  for (const m of pending) {
    await tx.exec(m.sql);
    await tx.run(`INSERT INTO ${table} (version, name, applied_at_ms) VALUES (?, ?, ?)`, [m.version, m.name, now()]);
  }
  return pending.map((m) => m.version);
}

/**
 * Waits, on PostgreSQL, for any other process's schema change to commit, and holds the lock until
 * this transaction ends. SQLite needs none: a unit already holds the one write lock.
 */
export async function lockSchema(tx: Sql): Promise<void> {
  if (tx.dialect === "postgres") await tx.get(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY}) AS locked`);
}

/** The bookkeeping table, the same on both databases (a version, its name, when it was applied). */
export async function createMigrationsTable(tx: Sql, table: string): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS ${checkedTableName(table)} (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at_ms BIGINT NOT NULL
  )`);
}

/** The newest version recorded in `table`: 0 when it is empty, undefined when there is no such table. */
export async function schemaVersion(sql: Sql, table: string): Promise<number | undefined> {
  const name = checkedTableName(table);
  if (!(await tableExists(sql, name))) return undefined;
  const row = await sql.get<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${name}`);
  return row?.v ?? 0;
}

/** Whether the database has a table of that name (in the current schema, on PostgreSQL). */
export async function tableExists(sql: Sql, table: string): Promise<boolean> {
  const row = sql.dialect === "sqlite"
    ? await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?`, [table])
    : await sql.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`, [table],
    );
  return Number(row?.n ?? 0) > 0;
}

/** Table names are written into the SQL, so only plain lower-case identifiers are taken. */
function checkedTableName(table: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new Error(`Not a plain table name for migrations: ${JSON.stringify(table)}`);
  return table;
}

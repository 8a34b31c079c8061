// One way to open the bot's storage, for the bot and every command-line tool: PostgreSQL when
// DATABASE_URL is set, else the SQLite file at DATABASE_PATH; then the runtime's schema and the
// application's are brought up to this release (runtime first: the application's tables may refer
// to nothing of it, but its migrations run after it on every database).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  DatabaseTooNewError, type Migration, RUNTIME_MIGRATIONS_TABLE, migrate, migrateRuntimeSchema, readMigrations, runtimeMigrations,
  schemaVersion,
} from "../runtime/index.js";
import type { PostgresStoreOptions } from "../runtime/postgres/postgres-store.js";
import { describePostgresUrl } from "../runtime/postgres/postgres-url.js";
import { type SqliteStore, type SqliteStoreOptions, openSqliteStore } from "../runtime/sqlite/sqlite-store.js";
import type { Dialect, Sql, Store } from "../runtime/store.js";
import type { Config } from "./config.js";
import { DatabaseOpenError } from "./start-errors.js";
import { prepareMediaStore } from "./store/prepare.js";

/** The application's SQLite migrations, found from this file (in the bundle too: see src/build.mjs). */
export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "migrations");
/** The same tables for PostgreSQL; a migration has the same number in both folders. */
export const POSTGRES_MIGRATIONS_DIR = path.join(MIGRATIONS_DIR, "postgres");

export type StorageConfig = Pick<Config, "DATABASE_PATH" | "DATABASE_URL">;

interface StorageBase {
  /** Where the data is, for logs and error lines: the file, or the URL without its password. */
  describe(): string;
  /** Commits what is queued and closes the connections. */
  close(): Promise<void>;
}

/** SQLite-only tools (the online backup, the file's own checks) reach the file through `store.database`. */
export type Storage =
  | (StorageBase & { dialect: "sqlite"; store: SqliteStore; file: string })
  | (StorageBase & { dialect: "postgres"; store: Store });

export interface OpenStorageOptions {
  /**
   * Bring both schemas up to this release (default). False leaves them as they are, for the admin
   * beside a running bot of another release: it checks them itself (schemaStatus).
   */
  migrate?: boolean;
  /** SQLite only: durability and locking (the ingest thread's write lock, say). */
  sqlite?: SqliteStoreOptions;
  /** PostgreSQL only: the pool's size and the name the server shows for our connections. */
  postgres?: PostgresStoreOptions;
}

/**
 * Opens the storage `config` names and migrates it. Throws a DatabaseOpenError (cannot be opened or
 * reached; the message names where and why, never a password) or a DatabaseTooNewError (a newer
 * release wrote it), each one line a person can act on; nothing is left open then.
 */
export async function openStorage(config: StorageConfig, options: OpenStorageOptions = {}): Promise<Storage> {
  const storage = config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, options) : openSqlite(config.DATABASE_PATH, options);
  if (options.migrate === false) return storage;
  try {
    await migrateRuntimeSchema(storage.store);
    // A unit of its own, submitted only once the runtime's committed: queued together, they would
    // share a transaction in which a failed first unit does not stop the second.
    await storage.store.submit((tx) => migrate(tx, appMigrations(storage.dialect)));
    // Rows from before search_text was kept get theirs (one read once done).
    await prepareMediaStore(storage.store);
  } catch (error) {
    await storage.close().catch(() => undefined);
    if (error instanceof DatabaseTooNewError) throw error;
    throw new DatabaseOpenError(storage.describe(), error, { secrets: secretsOf(config.DATABASE_URL) });
  }
  return storage;
}

/** This release's migrations of the application's own tables, for a database. */
export function appMigrations(dialect: Dialect): Migration[] {
  if (dialect === "sqlite") return readMigrations(MIGRATIONS_DIR);
  return fs.existsSync(POSTGRES_MIGRATIONS_DIR) ? readMigrations(POSTGRES_MIGRATIONS_DIR) : [];
}

export type SchemaStatus =
  | { status: "current" }
  /** No schema_migrations: a database of something else. */
  | { status: "not-ours" }
  /** Older than this release: its bot migrates it at start. */
  | { status: "behind"; schema: "application" | "runtime"; databaseVersion: number; knownVersion: number }
  | { status: "too-new"; error: DatabaseTooNewError };

/** Where both schemas stand against this release, read from committed data without changing anything. */
export function schemaStatus(storage: Storage): Promise<SchemaStatus> {
  return schemaStatusOf(storage.store.read);
}

/** The same, on any connection to a database (copy-db reads its SQLite source on one of its own). */
export async function schemaStatusOf(read: Sql): Promise<SchemaStatus> {
  const app = await schemaVersion(read, "schema_migrations");
  if (app === undefined) return { status: "not-ours" };
  const appKnown = appMigrations(read.dialect).at(-1)?.version ?? 0;
  if (app > appKnown) return { status: "too-new", error: new DatabaseTooNewError(app, appKnown) };
  // A file from before the runtime owned its schema has none recorded yet: version 0.
  const runtime = (await schemaVersion(read, RUNTIME_MIGRATIONS_TABLE)) ?? 0;
  const runtimeKnown = runtimeMigrations(read.dialect).at(-1)?.version ?? 0;
  if (runtime > runtimeKnown) return { status: "too-new", error: new DatabaseTooNewError(runtime, runtimeKnown, "runtime schema") };
  if (app < appKnown) return { status: "behind", schema: "application", databaseVersion: app, knownVersion: appKnown };
  if (runtime < runtimeKnown) return { status: "behind", schema: "runtime", databaseVersion: runtime, knownVersion: runtimeKnown };
  return { status: "current" };
}

function openSqlite(file: string, options: OpenStorageOptions): Storage {
  let store: SqliteStore;
  try {
    store = openSqliteStore(file, options.sqlite);
  } catch (error) {
    throw new DatabaseOpenError(file, error);
  }
  return { dialect: "sqlite", store, file, describe: () => file, close: () => store.close() };
}

async function openPostgres(url: string, options: OpenStorageOptions): Promise<Storage> {
  // "PostgreSQL at host:5432/name": never the user's password, nor the URL's parameters.
  const where = `PostgreSQL at ${describePostgresUrl(url)}`;
  // Loaded only here: a SQLite bot never loads the pg driver.
  const { openPostgresStore } = await import("../runtime/postgres/postgres-store.js");
  let store: Store;
  try {
    store = await openPostgresStore(url, { applicationName: "media-tracker", ...options.postgres });
  } catch (error) {
    throw new DatabaseOpenError(where, error, { secrets: secretsOf(url) });
  }
  return { dialect: "postgres", store, describe: () => where, close: () => store.close() };
}

/** The URL's password, as written and decoded, to be masked wherever a driver's words might hold it. */
export function secretsOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const { password } = new URL(url);
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

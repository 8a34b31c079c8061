// The databases a store test runs on, each store fresh and migrated for its test: SQLite on a temp
// file, and PostgreSQL on the test file's own database (postgres.ts; skipped, with the run's notice,
// when no server answers). A file takes them once, at its top level, and declares a suite per database:
//   const TEST_STORES = await testStores();
//   for (const kind of TEST_STORES) kind.describe(`… on ${kind.name}`, () => { … kind.open() … });
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { readMigrations } from "../../runtime/index.js";
import { openPostgresStore } from "../../runtime/postgres/postgres-store.js";
import type { Store } from "../../runtime/store.js";
import { type TestDatabase, withTestDatabase } from "./postgres.js";
import { MIGRATIONS_DIR, reopenStore } from "./temp-database.js";

export interface TestStore {
  store: Store;
  /** Closes the store (and removes a SQLite file). */
  close(): Promise<void>;
}

export interface TestStoreKind {
  /** Shown in the test names: "SQLite", "PostgreSQL". */
  name: string;
  /** A store on empty, migrated media tables; call it inside a test or hook. */
  open(): Promise<TestStore>;
  /** `describe` for this database's suite (skipped for PostgreSQL without a server). */
  describe(name: string, body: () => void): void;
}

/** A new SQLite file in its own temp folder, with every migration applied. */
export const sqliteTestStore: TestStoreKind = {
  name: "SQLite",
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "store-test-"));
    const { store } = await reopenStore(path.join(dir, "test.db"));
    return {
      store,
      async close() {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  describe,
};

/** The media tables of migrations/postgres, dropped before each test's store is opened. */
const MEDIA_TABLES = ["entry_events", "entries", "imports", "chat_settings"];

/** Stores on `database` (the file's own): each test drops the media tables and migrates them again. */
export function postgresTestStore(database: TestDatabase): TestStoreKind {
  return {
    name: "PostgreSQL",
    async open() {
      const store = await openPostgresStore(database.url, { poolSize: 3, applicationName: "media-store-test" });
      const migrations = readMigrations(path.join(MIGRATIONS_DIR, "postgres"));
      await store.submit(async (tx) => {
        await tx.exec(`DROP TABLE IF EXISTS ${MEDIA_TABLES.join(", ")} CASCADE`);
        for (const m of migrations) await tx.exec(m.sql);
      });
      return { store, close: () => store.close() };
    },
    describe: (name, body) => database.describe(name, body),
  };
}

/** Every database a store test runs on; call once per file, at its top level. */
export async function testStores(): Promise<TestStoreKind[]> {
  return [sqliteTestStore, postgresTestStore(await withTestDatabase())];
}

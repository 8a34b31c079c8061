// The databases a store test runs on, each a fresh migrated Store of its own: SQLite always, and
// PostgreSQL where a server is reachable (added here, one line, with test/support/postgres.ts).
// A suite takes them with `describe.each(TEST_STORES)`.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrate, readMigrations } from "../../runtime/index.js";
import type { Store } from "../../runtime/store.js";
import { openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import { MIGRATIONS_DIR } from "./temp-database.js";

export interface TestStore {
  store: Store;
  /** Closes the store and removes its database. */
  close(): Promise<void>;
}

export interface TestStoreKind {
  /** Shown in the test names: "SQLite", "PostgreSQL". */
  name: string;
  open(): Promise<TestStore>;
}

/** A new SQLite file in its own temp folder, with every migration applied. */
export const sqliteTestStore: TestStoreKind = {
  name: "SQLite",
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "store-test-"));
    const store = openSqliteStore(path.join(dir, "test.db"));
    migrate(store.database, readMigrations(MIGRATIONS_DIR));
    return {
      store,
      async close() {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const TEST_STORES: readonly TestStoreKind[] = [sqliteTestStore];

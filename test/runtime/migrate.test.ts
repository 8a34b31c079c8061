import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseTooNewError, type Migration, type MigrateOptions, migrate, readMigrations } from "../../runtime/index.js";
import { type SqliteStore, openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import { MIGRATIONS_DIR } from "../../src/storage.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scratch(): { dir: string; store: SqliteStore; migrationsDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-test-"));
  const migrationsDir = path.join(dir, "migrations");
  fs.mkdirSync(migrationsDir);
  const store = openSqliteStore(path.join(dir, "test.db"));
  cleanups.push(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store, migrationsDir };
}

/** As the application runs them: every pending migration in one unit. */
function apply(store: SqliteStore, migrations: Migration[], options?: MigrateOptions): Promise<number[]> {
  return store.submit((tx) => migrate(tx, migrations, options));
}

async function tables(store: SqliteStore): Promise<string[]> {
  const rows = await store.read.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`);
  return rows.map((r) => r.name);
}

async function appliedVersions(store: SqliteStore, table = "schema_migrations"): Promise<number[]> {
  const rows = await store.read.all<{ version: number }>(`SELECT version FROM ${table} ORDER BY version`);
  return rows.map((r) => r.version);
}

describe("migrate", () => {
  it("applies every migration of the repository to a new database and records each version", async () => {
    const { store } = scratch();
    const migrations = readMigrations(MIGRATIONS_DIR);
    expect(migrations.length).toBeGreaterThanOrEqual(1);

    const applied = await apply(store, migrations);

    expect(applied).toEqual(migrations.map((m) => m.version));
    expect(await appliedVersions(store)).toEqual(applied);
    expect(await tables(store)).toEqual(expect.arrayContaining(["entries", "imports", "chat_settings", "entry_events"]));
    // The runtime's tables are the runtime's own (runtime/schema.ts), not the application's.
    expect(await tables(store)).not.toContain("inbox");
  });

  it("applies nothing on a second run over an up-to-date database", async () => {
    const { store } = scratch();
    const migrations = readMigrations(MIGRATIONS_DIR);
    await apply(store, migrations);

    expect(await apply(store, migrations)).toEqual([]);
    expect(await appliedVersions(store)).toEqual(migrations.map((m) => m.version));
  });

  it("applies only the migrations newer than the database", async () => {
    const { store, migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0001_a.sql"), "CREATE TABLE a (x INTEGER);");
    expect(await apply(store, readMigrations(migrationsDir))).toEqual([1]);

    fs.writeFileSync(path.join(migrationsDir, "0002_b.sql"), "CREATE TABLE b (y INTEGER);");
    expect(await apply(store, readMigrations(migrationsDir))).toEqual([2]);
    expect(await appliedVersions(store)).toEqual([1, 2]);
  });

  it("keeps its records in the table it is given, apart from any other list's", async () => {
    const { store } = scratch();
    const mine: Migration[] = [{ version: 1, name: "mine", sql: "CREATE TABLE mine (x INTEGER);" }];
    const theirs: Migration[] = [{ version: 5, name: "theirs", sql: "CREATE TABLE theirs (x INTEGER);" }];
    expect(await apply(store, theirs)).toEqual([5]);
    expect(await apply(store, mine, { table: "my_migrations", now: () => 42 })).toEqual([1]);

    expect(await appliedVersions(store)).toEqual([5]);
    expect(await store.read.all(`SELECT version, name, applied_at_ms FROM my_migrations`)).toEqual([{ version: 1, name: "mine", applied_at_ms: 42 }]);
    await expect(apply(store, mine, { table: "my-migrations; DROP TABLE mine" })).rejects.toThrow(/Not a plain table name/);
  });

  it("refuses a database written by a newer release with DatabaseTooNewError and a clear message", async () => {
    const { store } = scratch();
    const migrations = readMigrations(MIGRATIONS_DIR);
    await apply(store, migrations);
    const known = migrations.at(-1)!.version;
    await store.submit((tx) => tx.run(`INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, 'from_the_future', 0)`, [known + 7]));

    const caught: unknown = await apply(store, migrations).catch((error: unknown) => error);

    expect(caught).toBeInstanceOf(DatabaseTooNewError);
    const error = caught as DatabaseTooNewError;
    expect(error.name).toBe("DatabaseTooNewError");
    expect(error.databaseVersion).toBe(known + 7);
    expect(error.knownVersion).toBe(known);
    expect(error.message).toContain(`schema version ${known + 7}`);
    expect(error.message).toContain(`only up to ${known}`);
    expect(error.message).toMatch(/newer release/);
  });

  it("leaves nothing applied when one of the pending migrations fails", async () => {
    const { store, migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0001_good.sql"), "CREATE TABLE good (x INTEGER);");
    fs.writeFileSync(
      path.join(migrationsDir, "0002_bad.sql"),
      "CREATE TABLE half_done (y INTEGER);\nINSERT INTO no_such_table VALUES (1);",
    );

    await expect(apply(store, readMigrations(migrationsDir))).rejects.toThrow(/no_such_table/);

    // The bookkeeping table itself was made in the failed unit, and went with it.
    expect(await tables(store)).not.toContain("schema_migrations");
    expect(await tables(store)).not.toContain("good");
    expect(await tables(store)).not.toContain("half_done");
  });

  it("keeps earlier applied migrations when a later one fails, and can apply it once fixed", async () => {
    const { store, migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0001_good.sql"), "CREATE TABLE good (x INTEGER);");
    await apply(store, readMigrations(migrationsDir));
    fs.writeFileSync(path.join(migrationsDir, "0002_bad.sql"), "CREATE TABLE half_done (y INTEGER);\nSELECT nope FROM nowhere;");

    await expect(apply(store, readMigrations(migrationsDir))).rejects.toThrow();
    expect(await appliedVersions(store)).toEqual([1]);
    expect(await tables(store)).not.toContain("half_done");

    fs.writeFileSync(path.join(migrationsDir, "0002_bad.sql"), "CREATE TABLE half_done (y INTEGER);");
    expect(await apply(store, readMigrations(migrationsDir))).toEqual([2]);
    expect(await tables(store)).toContain("half_done");
  });

  it("reads NNNN_name.sql files in version order and ignores other files and folders", () => {
    const { migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0010_later.sql"), "SELECT 1;");
    fs.writeFileSync(path.join(migrationsDir, "0002_earlier.sql"), "SELECT 2;");
    fs.writeFileSync(path.join(migrationsDir, "README.md"), "not a migration");
    fs.writeFileSync(path.join(migrationsDir, "draft.sql"), "SELECT 3;");
    fs.mkdirSync(path.join(migrationsDir, "postgres"));

    expect(readMigrations(migrationsDir).map((m) => [m.version, m.name])).toEqual([
      [2, "earlier"],
      [10, "later"],
    ]);
  });

  it("rejects two migration files with the same version", () => {
    const { migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0003_one.sql"), "SELECT 1;");
    fs.writeFileSync(path.join(migrationsDir, "0003_two.sql"), "SELECT 2;");

    expect(() => readMigrations(migrationsDir)).toThrow(/share version 3/);
  });
});

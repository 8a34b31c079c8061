import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, DatabaseTooNewError, migrate, openDatabase, readMigrations } from "../../runtime/index.js";
import { MIGRATIONS_DIR } from "../support/temp-database.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function scratch(): { dir: string; db: Database; migrationsDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-test-"));
  const migrationsDir = path.join(dir, "migrations");
  fs.mkdirSync(migrationsDir);
  const db = openDatabase(path.join(dir, "test.db"));
  cleanups.push(() => {
    if (db.open) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, db, migrationsDir };
}

function tables(db: Database): string[] {
  return db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
}

function appliedVersions(db: Database): number[] {
  return db.prepare(`SELECT version FROM schema_migrations ORDER BY version`).pluck().all() as number[];
}

describe("migrate", () => {
  it("applies every migration of the repository to a new database and records each version", () => {
    const { db } = scratch();
    const migrations = readMigrations(MIGRATIONS_DIR);
    expect(migrations.length).toBeGreaterThanOrEqual(1);

    const applied = migrate(db, migrations);

    expect(applied).toEqual(migrations.map((m) => m.version));
    expect(appliedVersions(db)).toEqual(applied);
    expect(tables(db)).toEqual(expect.arrayContaining(["inbox", "journal", "agent_state", "outbox", "timers"]));
  });

  it("applies nothing on a second run over an up-to-date database", () => {
    const { db } = scratch();
    const migrations = readMigrations(MIGRATIONS_DIR);
    migrate(db, migrations);

    expect(migrate(db, migrations)).toEqual([]);
    expect(appliedVersions(db)).toEqual(migrations.map((m) => m.version));
  });

  it("applies only the migrations newer than the database", () => {
    const { db, migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0001_a.sql"), "CREATE TABLE a (x INTEGER);");
    expect(migrate(db, readMigrations(migrationsDir))).toEqual([1]);

    fs.writeFileSync(path.join(migrationsDir, "0002_b.sql"), "CREATE TABLE b (y INTEGER);");
    expect(migrate(db, readMigrations(migrationsDir))).toEqual([2]);
    expect(appliedVersions(db)).toEqual([1, 2]);
  });

  it("refuses a database written by a newer release with DatabaseTooNewError and a clear message", () => {
    const { db } = scratch();
    const migrations = readMigrations(MIGRATIONS_DIR);
    migrate(db, migrations);
    const known = migrations.at(-1)!.version;
    db.prepare(`INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, 'from_the_future', 0)`).run(known + 7);

    let caught: unknown;
    try {
      migrate(db, migrations);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(DatabaseTooNewError);
    const error = caught as DatabaseTooNewError;
    expect(error.name).toBe("DatabaseTooNewError");
    expect(error.databaseVersion).toBe(known + 7);
    expect(error.knownVersion).toBe(known);
    expect(error.message).toContain(`schema version ${known + 7}`);
    expect(error.message).toContain(`only up to ${known}`);
    expect(error.message).toMatch(/newer release/);
  });

  it("leaves nothing applied when one of the pending migrations fails", () => {
    const { db, migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0001_good.sql"), "CREATE TABLE good (x INTEGER);");
    fs.writeFileSync(
      path.join(migrationsDir, "0002_bad.sql"),
      "CREATE TABLE half_done (y INTEGER);\nINSERT INTO no_such_table VALUES (1);",
    );

    expect(() => migrate(db, readMigrations(migrationsDir))).toThrow(/no_such_table/);

    expect(appliedVersions(db)).toEqual([]);
    expect(tables(db)).not.toContain("good");
    expect(tables(db)).not.toContain("half_done");
  });

  it("keeps earlier applied migrations when a later one fails, and can apply it once fixed", () => {
    const { db, migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0001_good.sql"), "CREATE TABLE good (x INTEGER);");
    migrate(db, readMigrations(migrationsDir));
    fs.writeFileSync(path.join(migrationsDir, "0002_bad.sql"), "CREATE TABLE half_done (y INTEGER);\nSELECT nope FROM nowhere;");

    expect(() => migrate(db, readMigrations(migrationsDir))).toThrow();
    expect(appliedVersions(db)).toEqual([1]);
    expect(tables(db)).not.toContain("half_done");

    fs.writeFileSync(path.join(migrationsDir, "0002_bad.sql"), "CREATE TABLE half_done (y INTEGER);");
    expect(migrate(db, readMigrations(migrationsDir))).toEqual([2]);
    expect(tables(db)).toContain("half_done");
  });

  it("reads NNNN_name.sql files in version order and ignores other files", () => {
    const { migrationsDir } = scratch();
    fs.writeFileSync(path.join(migrationsDir, "0010_later.sql"), "SELECT 1;");
    fs.writeFileSync(path.join(migrationsDir, "0002_earlier.sql"), "SELECT 2;");
    fs.writeFileSync(path.join(migrationsDir, "README.md"), "not a migration");
    fs.writeFileSync(path.join(migrationsDir, "draft.sql"), "SELECT 3;");

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

// openStorage, the one way the bot and its tools open their storage: a SQLite file by default, or
// PostgreSQL with DATABASE_URL; the runtime's schema and then the application's, migrated; a place
// that cannot be opened, or a schema too new, as one line that names where (never a password).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseTooNewError, readMigrations } from "../../runtime/index.js";
import { DatabaseOpenError, describeStartError } from "../../src/start-errors.js";
import { MIGRATIONS_DIR, type Storage, appMigrations, openStorage, schemaStatus } from "../../src/storage.js";
import { runTool } from "../support/cli-process.js";
import { withTestDatabase } from "../support/postgres.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-storage-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const postgres = await withTestDatabase();

async function versions(storage: Storage, table: string): Promise<number[]> {
  return (await storage.store.read.all<{ version: number }>(`SELECT version FROM ${table} ORDER BY version`)).map((r) => r.version);
}

describe("openStorage on SQLite (DATABASE_URL unset)", () => {
  it("creates the file, with the runtime's schema and then the application's", async () => {
    const file = path.join(dir, "new", "bot.db");
    const storage = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined });
    try {
      expect(storage.dialect).toBe("sqlite");
      expect(storage.describe()).toBe(file);
      expect(storage.dialect === "sqlite" && storage.store.database.open).toBe(true);
      expect(await versions(storage, "runtime_migrations")).toEqual([1, 2, 3]);
      expect(await versions(storage, "schema_migrations")).toEqual(readMigrations(MIGRATIONS_DIR).map((m) => m.version));
      expect(await schemaStatus(storage)).toEqual({ status: "current" });
    } finally {
      await storage.close();
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it("names the file and why it cannot be opened", async () => {
    const error: unknown = await openStorage({ DATABASE_PATH: "/proc/nope/x.db", DATABASE_URL: undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect(describeStartError(error)).toBe("Cannot open the database /proc/nope/x.db: /proc/nope cannot be created.");

    const notes = path.join(dir, "notes.txt");
    fs.writeFileSync(notes, "not a database, just some notes ".repeat(200));
    expect(describeStartError(await openStorage({ DATABASE_PATH: notes, DATABASE_URL: undefined }).catch((e: unknown) => e))).toBe(
      `Cannot open the database ${notes}: it is not a SQLite database.`,
    );
  });

  it("refuses an application schema newer than this release's", async () => {
    const file = path.join(dir, "too-new.db");
    const storage = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined });
    await storage.store.submit((tx) => tx.run(`INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (9999, 'future', 0)`));
    await storage.close();
    const error: unknown = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseTooNewError);
    expect(describeStartError(error)).toMatch(/^The database is at schema version 9999, but this release knows only up to \d+\./);
  });
});

describe("openStorage with DATABASE_URL", () => {
  it("says the server cannot be reached in one line, without the password", async () => {
    const error: unknown = await openStorage({ DATABASE_PATH: "unused", DATABASE_URL: "postgres://bot:s3cret-pw@127.0.0.1:1/media?application_name=x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect(describeStartError(error)).toBe(
      "Cannot open the database PostgreSQL at 127.0.0.1:1/media: connection refused; check that PostgreSQL runs there and listens on that port.",
    );
  });

  it("masks the password should a driver's message repeat it, and gives the driver's own words", () => {
    const error = new DatabaseOpenError("PostgreSQL at db:5432/media", new Error("no luck with s3cret-pw"), { secrets: ["s3cret-pw"] });
    expect(error.message).toBe("Cannot open the database PostgreSQL at db:5432/media: no luck with ***.");
    const wrapped = new Error("Could not connect to PostgreSQL at db:5432/media: The server does not support SSL connections", {
      cause: new Error("The server does not support SSL connections"),
    });
    expect(new DatabaseOpenError("PostgreSQL at db:5432/media", wrapped).message).toBe(
      "Cannot open the database PostgreSQL at db:5432/media: The server does not support SSL connections.",
    );
  });

  postgres.describe("on PostgreSQL", () => {
    it("migrates once when replicas start together, and reports where without the password", async () => {
      const url = new URL(postgres.url);
      url.password = "not-checked-by-trust-auth";
      const [a, b] = await Promise.all([
        openStorage({ DATABASE_PATH: "unused", DATABASE_URL: url.toString() }, { postgres: { poolSize: 2 } }),
        openStorage({ DATABASE_PATH: "unused", DATABASE_URL: postgres.url }, { postgres: { poolSize: 2 } }),
      ]);
      try {
        expect(a.dialect).toBe("postgres");
        expect(a.describe()).toMatch(/^PostgreSQL at [^@]+:\d+\/mt_test_\w+$/);
        expect(a.describe()).not.toContain("not-checked");
        // The runtime's tables, then the replicas' (chat leases, the shared send rate).
        expect(await versions(a, "runtime_migrations")).toEqual([3, 4, 5]);
        expect(await versions(b, "schema_migrations")).toEqual(appMigrations("postgres").map((m) => m.version));
        expect(await schemaStatus(b)).toEqual({ status: "current" });
        const tables = await a.store.read.all<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
        );
        expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["inbox", "journal", "agent_state", "outbox", "timers", "runtime_meta", "operator_actions"]));
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("refuses a runtime schema newer than this release's, and changes nothing", async () => {
      const storage = await openStorage({ DATABASE_PATH: "unused", DATABASE_URL: postgres.url }, { postgres: { poolSize: 1 } });
      await storage.store.submit((tx) => tx.run(`INSERT INTO runtime_migrations (version, name, applied_at_ms) VALUES (6, 'future', 0)`));
      try {
        const error: unknown = await openStorage({ DATABASE_PATH: "unused", DATABASE_URL: postgres.url }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DatabaseTooNewError);
        expect(describeStartError(error)).toMatch(/^The database's runtime schema is at version 6, but this release knows only up to 5\./);
        expect(await versions(storage, "runtime_migrations")).toEqual([3, 4, 5, 6]);
      } finally {
        await storage.store.submit((tx) => tx.run(`DELETE FROM runtime_migrations WHERE version = 6`));
        await storage.close();
      }
    });
  });
});

describe("npm run backup with DATABASE_URL", () => {
  it("says PostgreSQL backups are pg_dump's job, in one line, exit code 2, and writes nothing", async () => {
    const target = path.join(dir, "backups", "copy.db");
    const result = await runTool("backup", [target], { env: { DATABASE_URL: "postgres://bot:s3cret-pw@127.0.0.1:1/media" } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: the bot keeps its data in PostgreSQL \(DATABASE_URL\), and PostgreSQL backups are pg_dump's job, e\.g\. pg_dump .*\n$/);
    expect(result.stderr).not.toContain("s3cret");
    expect(fs.existsSync(path.dirname(target))).toBe(false);
  }, 30_000);
});

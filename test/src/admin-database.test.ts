// The admin CLI opens the bot's database beside a running bot, so it never migrates it: a database
// behind or ahead of this release, or not the bot's at all, gets one line and exit code 1, untouched.
// With DATABASE_URL it works on PostgreSQL the same way.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { type Migration, migrate, migrateRuntimeSchema, readMigrations } from "../../runtime/index.js";
import { openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import type { Store } from "../../runtime/store.js";
import { runAdmin } from "../../src/cli/admin/program.js";
import { MIGRATIONS_DIR, openStorage } from "../../src/storage.js";
import { postgresUrlFor } from "../../runtime/postgres/postgres-url.js";
import { makeLegacyDatabase } from "../support/legacy-database.js";
import { withTestDatabase } from "../support/postgres.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-admin-db-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const postgres = await withTestDatabase();

async function admin(env: NodeJS.ProcessEnv, ...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runAdmin(argv, { out: (t) => void (out += t), err: (t) => void (err += t) }, env);
  return { code, out, err };
}

/** A file with the runtime's schema and the application's `app` migrations, then `prepare`. */
async function database(name: string, app: Migration[], prepare: (store: Store) => Promise<unknown> = async () => undefined): Promise<string> {
  const file = path.join(dir, name);
  const store = openSqliteStore(file);
  try {
    await migrateRuntimeSchema(store);
    await store.submit((tx) => migrate(tx, app));
    await prepare(store);
  } finally {
    await store.close();
  }
  return file;
}

const version = (file: string, table = "schema_migrations") => {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(`SELECT MAX(version) FROM ${table}`).pluck().get();
  } finally {
    db.close();
  }
};

describe("admin on a database of another release", () => {
  const all = readMigrations(MIGRATIONS_DIR);
  const latest = all.at(-1)!.version;

  it("leaves an older schema alone and says the bot migrates it at start", async () => {
    const older = await database("older.db", all.slice(0, -1));
    const before = version(older);
    const result = await admin({ DATABASE_PATH: older }, "chats");
    expect(result).toEqual({
      code: 1,
      out: "",
      err: `error: the database is at schema version ${before} and this release's is ${latest}: start this release's bot once (it migrates at start), or use the admin of the release that runs\n`,
    });
    expect(version(older)).toBe(before);
  });

  it("leaves a file from before the runtime owned its tables alone, and says the bot migrates it", async () => {
    const file = path.join(dir, "legacy.db");
    makeLegacyDatabase(file, latest);
    expect(await admin({ DATABASE_PATH: file }, "parked")).toEqual({
      code: 1,
      out: "",
      err: "error: the database's runtime schema is at version 0 and this release's is 3: start this release's bot once (it migrates at start), or use the admin of the release that runs\n",
    });
    expect(version(file)).toBe(latest);
  });

  it("refuses a newer one, and one that is not the bot's", async () => {
    const newer = await database("newer.db", all, (store) =>
      store.submit((tx) => tx.run(`INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, 'future', 0)`, [latest + 1])),
    );
    const result = await admin({ DATABASE_PATH: newer }, "parked");
    expect(result.code).toBe(1);
    expect(result.err).toMatch(new RegExp(`^error: The database is at schema version ${latest + 1}, but this release knows only up to ${latest}\\..*\\n$`));
    expect(result.err.split("\n")).toHaveLength(2);

    const newerRuntime = await database("newer-runtime.db", all, (store) =>
      store.submit((tx) => tx.run(`INSERT INTO runtime_migrations (version, name, applied_at_ms) VALUES (99, 'future', 0)`)),
    );
    expect((await admin({ DATABASE_PATH: newerRuntime }, "timers")).err).toMatch(
      /^error: The database's runtime schema is at version 99, but this release knows only up to 3\. .*\n$/,
    );

    const other = path.join(dir, "other.db");
    const notes = new BetterSqlite3(other);
    notes.exec(`CREATE TABLE notes (text TEXT)`);
    notes.close();
    expect(await admin({ DATABASE_PATH: other }, "timers")).toEqual({ code: 1, out: "", err: `error: ${other} is not a Media Tracker database (no schema_migrations table)\n` });
  });

  it("says so when there is no file, and creates none", async () => {
    const missing = path.join(dir, "missing.db");
    expect(await admin({ DATABASE_PATH: missing }, "chats")).toEqual({
      code: 1, out: "", err: `error: no database at ${missing} (set DATABASE_PATH or --database)\n`,
    });
    expect(fs.existsSync(missing)).toBe(false);
  });

  it("works on a current one, even empty; --database names a SQLite file even with DATABASE_URL set", async () => {
    const current = await database("current.db", all);
    expect(await admin({ DATABASE_PATH: current }, "chats")).toEqual({ code: 0, out: "No chats yet.\n", err: "" });
    expect(await admin({ DATABASE_PATH: current }, "outbox", "--json")).toEqual({ code: 0, out: "[]\n", err: "" });
    expect(await admin({ DATABASE_URL: "postgres://nobody:secret@127.0.0.1:1/none" }, "--database", current, "timers")).toEqual({
      code: 0, out: "No timers armed.\n", err: "",
    });
  });
});

describe("admin with DATABASE_URL", () => {
  it("says in one line that the server cannot be reached, never with the password", async () => {
    const result = await admin({ DATABASE_URL: "postgres://bot:s3cret-pw@127.0.0.1:1/media" }, "parked");
    expect(result).toEqual({
      code: 1,
      out: "",
      err: "error: Cannot open the database PostgreSQL at 127.0.0.1:1/media: connection refused; check that PostgreSQL runs there and listens on that port.\n",
    });
  });

  it("refuses a URL of another kind, as the bot does", async () => {
    const result = await admin({ DATABASE_URL: "mysql://bot:s3cret-pw@db/media" }, "parked");
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^error: Invalid configuration: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(result.err).not.toContain("s3cret");
  });

  postgres.describe("on PostgreSQL", () => {
    it("lists, retries and records like on SQLite, and never migrates", async () => {
      const env = { DATABASE_URL: postgres.url };
      // Before the bot ever started on it: not ours yet, and left so.
      expect(await admin(env, "parked")).toMatchObject({ code: 1, err: expect.stringMatching(/is not a Media Tracker database/) });

      const storage = await openStorage({ DATABASE_PATH: "unused", DATABASE_URL: postgres.url }, { postgres: { poolSize: 2 } });
      try {
        await storage.store.submit((tx) =>
          tx.run(
            `INSERT INTO inbox (id, agent_key, kind, payload_json, status, attempts, last_error, received_at_ms, completed_at_ms)
             VALUES ('tg:7', '77', 'message', '{"event":{"type":"text","text":"/add_book"}}', 'parked', 5, 'Error: boom', 1000, 2000)`,
          ),
        );
      } finally {
        await storage.close();
      }

      const parked = await admin(env, "parked", "--json");
      expect(parked.err).toBe("");
      expect(JSON.parse(parked.out)).toEqual([expect.objectContaining({ id: "tg:7", chatId: "77", attempts: 5, error: "Error: boom", what: '"/add_book"' })]);
      const retried = await admin(env, "retry", "tg:7", "--by", "tester");
      expect(retried).toMatchObject({ code: 0, err: "", out: expect.stringMatching(/^Message tg:7 of chat 77 is queued again \(by tester\)/) });
      expect(await admin(env, "retry", "tg:7")).toEqual({
        code: 1, out: "", err: "error: message tg:7 is pending, not parked: only a parked one can be retried; nothing was changed\n",
      });
      expect(await admin(env, "parked")).toEqual({ code: 0, out: "No parked messages.\n", err: "" });
      const after = await openStorage({ DATABASE_PATH: "unused", DATABASE_URL: postgres.url }, { migrate: false, postgres: { poolSize: 1 } });
      try {
        expect(await after.store.read.all(`SELECT action, target_id, actor, previous_error FROM operator_actions`)).toEqual([
          { action: "retry", target_id: "tg:7", actor: "tester", previous_error: "Error: boom" },
        ]);
      } finally {
        await after.close();
      }
    });

    it("names a database that does not exist", async () => {
      const url = postgresUrlFor(postgres.url, "mt_no_such_database");
      expect((await admin({ DATABASE_URL: url }, "parked")).err).toMatch(
        /^error: Cannot open the database PostgreSQL at .*\/mt_no_such_database: database "mt_no_such_database" does not exist; create it first \(createdb\), or fix the name in DATABASE_URL\.\n$/,
      );
    });
  });
});

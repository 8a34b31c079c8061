// The runtime owns its tables (runtime/schema.ts), apart from the application's migrations. A SQLite
// file made before that, whose schema_migrations recorded the runtime's tables as the application's
// versions 1, 5 and 10, opens and works: its records are carried over once, nothing is applied
// twice, and it ends with the very schema a new file gets.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import {
  DatabaseTooNewError, Introspection, OperatorActions, migrateRuntimeSchema, readMigrations, runtimeMigrations,
} from "../../runtime/index.js";
import type { Sql } from "../../runtime/store.js";
import { createReadModel } from "../../src/admin/read-model.js";
import { describeStartError } from "../../src/start-errors.js";
import { MIGRATIONS_DIR, type Storage, openStorage } from "../../src/storage.js";
import { legacyRuntimeMigrations, makeLegacyDatabase } from "../support/legacy-database.js";

/** When each legacy migration was applied: a time of its own, to see it carried over. */
const appliedAt = (version: number) => 1_600_000_000_000 + version;

const dirs: string[] = [];
const open: Storage[] = [];
afterEach(async () => {
  for (const storage of open.splice(0)) await storage.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function newFile(name = "bot.db"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-schema-"));
  dirs.push(dir);
  return path.join(dir, name);
}

async function openFile(file: string): Promise<Storage> {
  const storage = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined });
  open.push(storage);
  return storage;
}

/** A file made the old way, at the application's version `upTo`, with `fill`'s rows. */
function legacyFile(upTo: number, fill?: (db: BetterSqlite3.Database) => void): string {
  const file = newFile("legacy.db");
  makeLegacyDatabase(file, upTo, { appliedAt, fill });
  return file;
}

/** The whole schema but the application's bookkeeping table (an old file's is STRICT, a new one's portable). */
function schemaOf(sql: Sql) {
  return sql.all(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name <> 'schema_migrations' ORDER BY type, name`);
}

async function versions(sql: Sql, table: string) {
  return sql.all<{ version: number; name: string; applied_at_ms: number }>(`SELECT version, name, applied_at_ms FROM ${table} ORDER BY version`);
}

describe("the runtime's schema", () => {
  it("is created in a new file, recorded in runtime_migrations, before the application's", async () => {
    const storage = await openFile(newFile());
    const { read } = storage.store;
    expect((await versions(read, "runtime_migrations")).map((v) => [v.version, v.name])).toEqual([
      [1, "runtime"], [2, "dedup_and_clock"], [3, "operator_actions"],
    ]);
    expect((await versions(read, "schema_migrations")).map((v) => v.version)).toEqual(readMigrations(MIGRATIONS_DIR).map((m) => m.version));
    expect((await versions(read, "schema_migrations")).map((v) => v.version)).toEqual([2, 3, 4, 6, 7, 8, 11]);
    const tables = (await read.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(["inbox", "journal", "agent_state", "outbox", "timers", "runtime_meta", "operator_actions", "entries"]));
    // Up to date: a second run applies nothing.
    expect(await migrateRuntimeSchema(storage.store)).toEqual([]);
    expect(runtimeMigrations("sqlite").map((m) => m.version)).toEqual([1, 2, 3]);
  });

  it("keeps the SQL of the application's old migrations 0001, 0005 and 0010, renumbered 1, 2, 3", () => {
    expect(runtimeMigrations("sqlite").map((m) => m.sql)).toEqual(legacyRuntimeMigrations().map((m) => m.sql));
  });

  it("opens a file made by the old migrations 0001–0011, carries their records over once, and works", async () => {
    const file = legacyFile(11, (db) => {
      const insert = db.prepare(
        `INSERT INTO inbox (id, agent_key, kind, payload_json, status, attempts, last_error, received_at_ms, completed_at_ms, fingerprint)
         VALUES (?, 'chat-1', 'message', ?, ?, ?, ?, ?, ?, 'f1')`,
      );
      insert.run("tg:1", JSON.stringify({ event: { type: "text", text: "/add_movie" } }), "parked", 5, "Error: boom", 1000, 2000);
      insert.run("tg:2", JSON.stringify({ event: { type: "text", text: "hello" } }), "pending", 0, null, 3000, null);
      db.prepare(
        `INSERT INTO outbox (agent_key, message_id, payload_json, status, attempts, next_attempt_at_ms, created_at_ms, last_error)
         VALUES ('chat-1', 'tg:0', '{"type":"text","text":"hi"}', 'failed', 3, 0, 500, '400: chat not found')`,
      ).run();
      db.prepare(
        `INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms, armed_at_ms) VALUES ('t1', 'chat-1', 'dialog-expiry', '{}', 9000, 100)`,
      ).run();
      db.prepare(`INSERT INTO agent_state (agent_key, version, state_json, updated_at_ms) VALUES ('chat-1', 1, ?, 2000)`)
        .run(JSON.stringify({ dialog: { name: "add_movie", step: 0, data: {} } }));
      db.prepare(`INSERT INTO entries (id, chat_id, kind, title, added_at_ms, updated_at_ms) VALUES ('e1', 'chat-1', 'movie', 'Heat', 1, 1)`).run();
    });

    const storage = await openFile(file);
    const { read } = storage.store;
    // Carried over with their own times, never applied again; the application's records stay as they were.
    expect(await versions(read, "runtime_migrations")).toEqual([
      { version: 1, name: "runtime", applied_at_ms: appliedAt(1) },
      { version: 2, name: "dedup_and_clock", applied_at_ms: appliedAt(5) },
      { version: 3, name: "operator_actions", applied_at_ms: appliedAt(10) },
    ]);
    expect((await versions(read, "schema_migrations")).map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
    expect(await migrateRuntimeSchema(storage.store)).toEqual([]);

    // What was stored is there, and the operator's tools work on it.
    const introspection = new Introspection(read);
    expect(await introspection.parked()).toEqual([expect.objectContaining({ id: "tg:1", agentKey: "chat-1", attempts: 5, error: "Error: boom" })]);
    expect(await introspection.agents()).toEqual([{ agentKey: "chat-1", pending: 1, parked: 1, lastReceivedAtMs: 3000 }]);
    expect(await createReadModel(read).chats()).toEqual([expect.objectContaining({ chatId: "chat-1", entries: 1, dialog: "add_movie", pending: 1, parked: 1 })]);
    const actions = new OperatorActions(read);
    expect(await storage.store.submit((tx) => actions.retry(tx, "tg:1", "alice", 5000))).toMatchObject({ status: "done", previousError: "Error: boom" });
    expect(await storage.store.submit((tx) => actions.resend(tx, 1, "alice", 5000))).toMatchObject({ status: "done", previousError: "400: chat not found" });
    expect(await read.get(`SELECT status, attempts FROM inbox WHERE id = 'tg:1'`)).toEqual({ status: "pending", attempts: 0 });
    expect(await actions.lastId()).toBe(2);

    // Opened again (a restart): nothing to carry over, nothing to apply.
    await storage.close();
    open.splice(open.indexOf(storage), 1);
    const again = await openFile(file);
    expect(await versions(again.store.read, "runtime_migrations")).toHaveLength(3);
  });

  it("brings a file from an older release up: the runtime's missing migrations, then the application's", async () => {
    // Version 4: the runtime's first migration only; an armed timer from before arming times were kept.
    const file = legacyFile(4, (db) => {
      db.prepare(`INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms) VALUES ('t1', 'chat-1', 'dialog-expiry', '{}', 9000)`).run();
    });
    const storage = await openFile(file);
    const { read } = storage.store;
    const runtime = await versions(read, "runtime_migrations");
    expect(runtime.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(runtime[0]!.applied_at_ms).toBe(appliedAt(1));
    expect(runtime[1]!.applied_at_ms).toBeGreaterThan(appliedAt(11));
    expect((await versions(read, "schema_migrations")).map((v) => v.version)).toEqual([1, 2, 3, 4, 6, 7, 8, 11]);
    // The old migration 0005's backfill ran, as it did for the application.
    expect(await read.get(`SELECT armed_at_ms FROM timers WHERE id = 't1'`)).toEqual({ armed_at_ms: 9000 });
  });

  it("ends the same in a new file as in one made by the old migrations", async () => {
    const fresh = await openFile(newFile());
    const upgraded = await openFile(legacyFile(11));
    const fromOlder = await openFile(legacyFile(4));
    const expected = await schemaOf(fresh.store.read);
    expect(expected.length).toBeGreaterThan(20);
    expect(await schemaOf(upgraded.store.read)).toEqual(expected);
    expect(await schemaOf(fromOlder.store.read)).toEqual(expected);
  });

  it("refuses a runtime schema newer than this release's, clearly, and changes nothing", async () => {
    const file = newFile();
    const first = await openFile(file);
    await first.store.submit((tx) => tx.run(`INSERT INTO runtime_migrations (version, name, applied_at_ms) VALUES (4, 'from_the_future', 0)`));
    await first.close();
    open.splice(0);

    const refused: unknown = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DatabaseTooNewError);
    expect(refused).toMatchObject({ databaseVersion: 4, knownVersion: 3, schemaName: "runtime schema" });
    expect(describeStartError(refused)).toBe(
      "The database's runtime schema is at version 4, but this release knows only up to 3. It was written by a newer release: run that release, or restore a backup.",
    );
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      expect(db.prepare(`SELECT MAX(version) AS v FROM runtime_migrations`).get()).toEqual({ v: 4 });
    } finally {
      db.close();
    }
  });
});

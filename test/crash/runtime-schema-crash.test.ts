// The runtime's schema migrated in a process killed with SIGKILL in its middle: on a new file, and
// on a file from before the runtime owned its tables (whose records are carried over in the same
// transaction). The file keeps its old schema, records and rows; the next start does all of it, once.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage.js";
import { makeLegacyDatabase } from "../support/legacy-database.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHILD = fileURLToPath(new URL("./runtime-schema-child.ts", import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function newFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-schema-crash-"));
  dirs.push(dir);
  return path.join(dir, "bot.db");
}

/** A file at the application's old version 4 (the runtime's first migration only), with a message and an entry. */
function legacyFileAtVersion4(): string {
  const file = newFile();
  makeLegacyDatabase(file, 4, {
    fill(db) {
      db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES ('tg:1', 'chat-1', 'message', '{}', 1)`).run();
      db.prepare(`INSERT INTO entries (id, chat_id, kind, title, added_at_ms, updated_at_ms) VALUES ('e1', 'chat-1', 'movie', 'Heat', 1, 1)`).run();
    },
  });
  return file;
}

function runChild(file: string, marker: string): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, file, marker], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve({ signal, stdout }));
  });
}

function inspect<T>(file: string, read: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const tables = (db: BetterSqlite3.Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name);

async function killedMidMigration(file: string, marker: string): Promise<void> {
  const run = await runChild(file, marker);
  expect(run.signal).toBe("SIGKILL");
  expect(run.stdout).toContain("mid-migration");
  expect(run.stdout).not.toContain("migrated");
}

/** The next start: the whole schema, each migration recorded once. */
async function startAgain(file: string): Promise<{ runtime: number[]; app: number[] }> {
  const storage = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined });
  try {
    const versions = async (table: string) =>
      (await storage.store.read.all<{ version: number }>(`SELECT version FROM ${table} ORDER BY version`)).map((r) => r.version);
    return { runtime: await versions("runtime_migrations"), app: await versions("schema_migrations") };
  } finally {
    await storage.close();
  }
}

describe("the runtime schema's migration, killed in its middle", () => {
  it("leaves a new file empty; the next start creates everything once", async () => {
    const file = newFile();
    await killedMidMigration(file, "CREATE TABLE outbox");

    expect(inspect(file, tables)).toEqual([]);
    expect(await startAgain(file)).toEqual({ runtime: [1, 2, 3], app: [2, 3, 4, 6, 7, 8, 11] });
  }, 60_000);

  it("leaves an older file as it was, records and rows; the next start carries over and applies the rest once", async () => {
    const file = legacyFileAtVersion4();
    const before = inspect(file, (db) => db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all());
    // Past the carried-over records and the runtime's second migration, inside its third.
    await killedMidMigration(file, "CREATE INDEX operator_actions_by_target");

    inspect(file, (db) => {
      expect(db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY name`).all()).toEqual(before);
      expect(tables(db)).not.toContain("runtime_migrations");
      expect(tables(db)).not.toContain("operator_actions");
      expect(db.prepare(`SELECT MAX(version) AS v FROM schema_migrations`).get()).toEqual({ v: 4 });
      expect(db.prepare(`SELECT id FROM inbox`).all()).toEqual([{ id: "tg:1" }]);
    });

    expect(await startAgain(file)).toEqual({ runtime: [1, 2, 3], app: [1, 2, 3, 4, 6, 7, 8, 11] });
    inspect(file, (db) => {
      expect(db.prepare(`SELECT id, fingerprint FROM inbox`).all()).toEqual([{ id: "tg:1", fingerprint: null }]);
      expect(db.prepare(`SELECT title FROM entries`).all()).toEqual([{ title: "Heat" }]);
    });
  }, 60_000);
});

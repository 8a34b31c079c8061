// `npm run copy-db` as an owner runs it: a SQLite database with real content (written through the
// application's stores, and the runtime's tables as a bot leaves them) goes into PostgreSQL whole,
// the export reads the same list from either, a second run copies nothing, new rows get fresh keys,
// a copy killed mid-way leaves the target as it was, and what cannot be copied is refused in one
// line. The PostgreSQL tests use the local server (skipped with the run's notice without one); the
// refusals that happen before any PostgreSQL is reached run everywhere.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../runtime/store.js";
import { createChatSettings } from "../../src/store/chat-settings.js";
import { createImportStore } from "../../src/store/imports.js";
import { createMediaStore } from "../../src/store/media.js";
import { openStorage } from "../../src/storage.js";
import { type CliResult, collect, runTool, spawnNode } from "../support/cli-process.js";
import { makeLegacyDatabase } from "../support/legacy-database.js";
import { withTestDatabase } from "../support/postgres.js";

const database = await withTestDatabase();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-copy-db-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Trust authentication ignores it; it must never be printed all the same. */
const PASSWORD = "s3cr3t-Pa55";
/** Where no PostgreSQL listens: the refusals below must come before the target is reached. */
const NOWHERE = `postgres://postgres:${PASSWORD}@127.0.0.1:1/nowhere`;

function copyDb(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runTool("copy-db", args, { env, timeoutMs: 120_000 });
}

function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.toString();
}

function expectNoPassword(result: CliResult): void {
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
}

/** The tables copy-db copies: every table of the source but SQLite's own and the migrations' bookkeeping. */
function tablesOf(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         AND name NOT IN ('schema_migrations', 'runtime_migrations') ORDER BY name`,
    ).pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** A table's rows in a stable order; text without U+0000 (PostgreSQL cannot hold it; copy-db drops it). */
async function rowsOf(sql: Store["read"], table: string): Promise<unknown[]> {
  const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM "${table}"`);
  const clean = rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "string" ? v.replaceAll("\u0000", "") : v])),
  );
  return clean.map((row) => JSON.stringify(row)).sort();
}

async function withStorage<T>(config: { DATABASE_PATH?: string; DATABASE_URL?: string }, work: (store: Store) => Promise<T>): Promise<T> {
  const storage = await openStorage({ DATABASE_PATH: config.DATABASE_PATH ?? path.join(dir, "unused.db"), DATABASE_URL: config.DATABASE_URL });
  try {
    return await work(storage.store);
  } finally {
    await storage.close();
  }
}

/** Empties the test database: no tables, no sequences. */
async function resetTarget(): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  } finally {
    await client.end();
  }
}

const CHAT = "4242";
const GROUP = "-1001234567890";
const OLD_CHAT = "777";
const HOSTILE = [
  "Robert'); DROP TABLE entries;--",
  'The "Quoted" \\ Back\\slash? $1 :name',
  "Amélie — Straße 🎬🍿 東京物語",
  "two\nlines\tand a tab",
  "%_ wildcards_% ",
];

/**
 * A bot's database at this release's schema: entries of every kind with hostile text, their events,
 * a waiting import, chat settings, and the runtime's tables as a running bot fills them. The last
 * outbox row is deleted (retention does that), so SQLite's AUTOINCREMENT mark is above the highest id.
 */
async function makeSource(file: string): Promise<void> {
  await withStorage({ DATABASE_PATH: file }, async (store) => {
    await store.submit(async (tx) => {
      const media = createMediaStore(store.read).within(tx);
      const t0 = 1_700_000_000_000;
      await media.add(CHAT, {
        id: "b1", kind: "book", title: HOSTILE[0]!, author: "Ursula K. Le Guin ✨", rating: 4.5, status: "finished", finishedOn: "2024-02-29",
        isbn: "9780441478125", pages: 304, readCount: 2, openLibraryKey: "OL59860W", coverUrl: "https://covers.example/b1.jpg",
        notes: "«notes» with 'quotes' and\nnewlines", addedAtMs: t0,
        history: [{ at: "2023-01-02", event: "finished" }, { at: "2024-02-29T10:00:00.000Z", event: "rated", rating: 4.5 }],
      });
      await media.add(CHAT, {
        id: "m1", kind: "movie", title: HOSTILE[1]!, year: 1982, rating: 4, watchedOn: "2024-03-01", watchCount: 3,
        tmdbId: 2 ** 40 + 7, addedAtMs: t0 + 1000,
      });
      await media.add(CHAT, {
        id: "s1", kind: "show", title: HOSTILE[2]!, season: 2, episode: 5, status: "watching", tvmazeId: 82,
        seasonEpisodes: { "1": 9, "2": 10 }, lastAlerted: "S2E5", addedAtMs: t0 + 2000,
      });
      await media.add(CHAT, { id: "q1", kind: "quote", title: HOSTILE[3]!, quoteText: "Ce qui est essentiel est invisible 👁️", author: "Saint-Exupéry", addedAtMs: t0 + 3000 });
      await media.add(CHAT, { id: "b2", kind: "book", title: `${HOSTILE[4]}with a NUL\u0000inside`, status: "want", importKey: "goodreads:77", addedAtMs: t0 + 3000 });
      await media.update(CHAT, "s1", { episode: 6, rating: 5 }, t0 + 5000);
      await media.update(CHAT, "m1", { watchedOn: "2024-04-01", status: "watched" }, t0 + 6000);
      await media.add(GROUP, { id: "g1", kind: "movie", title: "Group movie 🎞️", year: 2001, addedAtMs: t0 });

      await createImportStore(store.read).within(tx).stage({
        id: "imp1", chatId: CHAT, source: "goodreads", summary: "2 books to add 📚 (1 skipped: \"bad row\")", createdAtMs: t0 + 7000,
        entries: [
          { id: "i1", kind: "book", title: "Dune", author: "Frank Herbert", importKey: "goodreads:1", addedAtMs: t0 },
          { id: "i2", kind: "book", title: HOSTILE[0]!, importKey: "goodreads:2", addedAtMs: t0 },
        ],
        skipped: { total: 1, first: [{ where: "row 3", reason: "no title" }] },
      });
      await createChatSettings(store.read).within(tx).setAlertsEnabled(GROUP, false);

      // The runtime's tables, as a bot leaves them: handled, waiting and parked messages, their
      // journals, sends in every state, timers armed, fired and canceled.
      const inbox = `INSERT INTO inbox (id, agent_key, kind, payload_json, status, attempts, last_error, received_at_ms, completed_at_ms, fingerprint)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
      await tx.run(inbox, ["tg:1:100", CHAT, "message", JSON.stringify({ event: { type: "text", text: HOSTILE[2] } }), "done", 0, null, t0, t0 + 5, "f1"]);
      await tx.run(inbox, ["tg:1:101", CHAT, "message", JSON.stringify({ event: { type: "text", text: HOSTILE[0] } }), "pending", 1, null, t0 + 10, null, "f2"]);
      await tx.run(inbox, ["tg:1:102", GROUP, "callback_query", "{}", "parked", 5, "Error: it broke ('badly')", t0 + 20, null, null]);
      await tx.run(inbox, ["timer:t2", CHAT, "timer", '{"kind":"dialog-timeout"}', "done", 0, null, t0 + 30, t0 + 31, null]);
      const journal = `INSERT INTO journal (message_id, seq, step_name, output_json, error_json, completed_at_ms) VALUES (?, ?, ?, ?, ?, ?)`;
      await tx.run(journal, ["tg:1:100", 0, "now", "1700000000000", null, t0 + 1]);
      await tx.run(journal, ["tg:1:100", 1, "write:add", JSON.stringify({ title: HOSTILE[1] }), null, t0 + 2]);
      await tx.run(journal, ["tg:1:102", 0, "lookup", null, JSON.stringify({ message: "timeout ⏱" }), t0 + 21]);
      await tx.run(`INSERT INTO agent_state (agent_key, version, state_json, updated_at_ms) VALUES (?, ?, ?, ?)`,
        [CHAT, 7, JSON.stringify({ dialog: { name: "add", title: HOSTILE[3] } }), t0 + 5]);
      const outbox = `INSERT INTO outbox (agent_key, message_id, payload_json, status, attempts, next_attempt_at_ms, created_at_ms, sent_at_ms, result_json, last_error)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
      await tx.run(outbox, [CHAT, "tg:1:100", JSON.stringify({ type: "text", text: `Saved: ${HOSTILE[1]}` }), "sent", 1, t0, t0, t0 + 3, '{"messageId":9}', null]);
      await tx.run(outbox, [CHAT, "tg:1:101", '{"type":"text","text":"…"}', "pending", 0, t0 + 20, t0 + 20, null, null, null]);
      await tx.run(outbox, [GROUP, "tg:1:102", '{"type":"typing"}', "failed", 8, t0, t0, null, null, "403: bot was kicked"]);
      await tx.run(outbox, [CHAT, "tg:1:100", '{"type":"text","text":"gone"}', "sent", 1, t0, t0, t0, null, null]);
      await tx.run(`DELETE FROM outbox WHERE id = (SELECT MAX(id) FROM outbox)`);
      const timers = `INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms, fired_at_ms, canceled_at_ms, armed_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
      await tx.run(timers, ["t1", CHAT, "dialog-timeout", "{}", t0 + 600_000, null, null, t0]);
      await tx.run(timers, ["t2", CHAT, "dialog-timeout", "{}", t0 + 30, t0 + 30, null, t0]);
      await tx.run(timers, ["t3", GROUP, "reminder", '{"note":"🔔"}', t0 + 90, null, t0 + 50, t0]);
      await tx.run(`INSERT INTO runtime_meta (key, value) VALUES ('clean_stop', ?)`, [String(t0 + 100)]);
      await tx.run(`INSERT INTO operator_actions (action, target_id, agent_key, actor, at_ms, previous_error) VALUES (?, ?, ?, ?, ?, ?)`,
        ["retry", "tg:1:102", GROUP, "root", t0 + 40, "Error: it broke"]);
    });
  });
  // An entry an older release stored with a NUL in its title (the stores drop it since), in a chat
  // of its own: PostgreSQL gets it without, so only this chat's export differs.
  const db = new BetterSqlite3(file);
  db.prepare(`INSERT INTO entries (id, chat_id, kind, title, added_at_ms, updated_at_ms) VALUES ('old1', ?, 'movie', ?, 1, 1)`).run(OLD_CHAT, "Old\u0000title");
  db.close();
}

/**
 * `count` handled messages over 97 chats, so that a copy takes seconds (the kill test), and the
 * chats' states, a table copied before the inbox: a copy committing table by table would leave them.
 */
async function makeLargeSource(file: string, count: number): Promise<void> {
  await withStorage({ DATABASE_PATH: file }, (store) =>
    store.submit(async (tx) => {
      await tx.run(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 96)
        INSERT INTO agent_state (agent_key, version, state_json, updated_at_ms) SELECT CAST(i AS TEXT), 1, '{}', i FROM n`);
      await tx.run(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO inbox (id, agent_key, kind, payload_json, status, received_at_ms, completed_at_ms)
        SELECT 'tg:1:' || i, CAST(i % 97 AS TEXT), 'message', '{"event":{"type":"text","text":"message ' || i || ', a few words 🎬"}}', 'done', i, i FROM n`,
      [count]);
    }),
  );
}

describe("copy-db refuses, before reaching PostgreSQL, what it cannot copy", { timeout: 120_000 }, () => {
  it("a wrong use is exit 2 with one line", async () => {
    const noFrom = await copyDb(["--to", NOWHERE]);
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr.trim()).toBe("error: required option '--from <file>' not specified");
    const notPostgres = await copyDb(["--from", path.join(dir, "x.db"), "--to", `mysql://root:${PASSWORD}@host/db`]);
    expect(notPostgres.code).toBe(2);
    expect(notPostgres.stderr.trim()).toBe(
      "error: --to must be a postgres:// or postgresql:// URL, like postgres://user:password@host:5432/media_tracker",
    );
    expectNoPassword(notPostgres);
    const noTarget = await copyDb(["--from", path.join(dir, "x.db")]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr.trim()).toBe("error: give --to <postgres url>, or set DATABASE_URL");
  });

  it("a missing source is exit 1, and no file is made", async () => {
    const missing = path.join(dir, "missing", "media.db");
    const result = await copyDb(["--from", missing, "--to", NOWHERE]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`error: no database at ${missing}`);
    expect(fs.existsSync(missing)).toBe(false);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
  });

  it("a file that is not a Media Tracker database at this release's schema says what to do", async () => {
    const text = path.join(dir, "notes.txt");
    fs.writeFileSync(text, "not a database, just some words that fill more than the header of a SQLite file ".repeat(10));
    const other = path.join(dir, "other.db");
    const db = new BetterSqlite3(other);
    db.exec("CREATE TABLE things (id INTEGER PRIMARY KEY)");
    db.close();
    const older = path.join(dir, "older.db");
    makeLegacyDatabase(older, 11);

    const results = await Promise.all([text, other, older].map((file) => copyDb(["--from", file, "--to", NOWHERE])));
    expect(results.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(results[0]!.stderr.trim()).toBe(`error: Cannot open the database ${text}: it is not a SQLite database.`);
    expect(results[1]!.stderr.trim()).toBe(`error: ${other} is not a Media Tracker database (it has no schema_migrations table)`);
    expect(results[2]!.stderr.trim()).toMatch(
      new RegExp(`^error: ${older.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is at runtime schema version 0 and this release's is \\d+: start this release's bot on it once \\(it migrates at start\\), stop it, then copy$`),
    );
  });

  it("refuses while the bot has the file open, even idle, and copies nothing", async () => {
    const file = path.join(dir, "running.db");
    const storage = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined });
    try {
      // The bot reads at start, and keeps its connections open while it runs.
      await storage.store.read.get("SELECT COUNT(*) AS n FROM inbox");
      const result = await copyDb(["--from", file, "--to", NOWHERE]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        `error: the bot seems to be running: another process has ${file} open. Stop it first (and any other tool using the file), then copy`,
      );
      // The bot goes on: the refused copy took nothing from it.
      await storage.store.submit((tx) => tx.run("INSERT INTO runtime_meta (key, value) VALUES ('still', 'writing')"));
    } finally {
      await storage.close();
    }
  });
});

database.describe("copy-db into PostgreSQL", () => {
  const source = path.join(dir, "media.db");
  let sourceCounts: Map<string, number>;

  beforeAll(async () => {
    await makeSource(source);
    sourceCounts = new Map();
    await withStorage({ DATABASE_PATH: source }, async (store) => {
      for (const table of tablesOf(source)) {
        sourceCounts.set(table, (await store.read.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "${table}"`))!.n);
      }
    });
  }, 60_000);

  it("copies every table whole, the export reads the same from both, and a second run copies nothing", { timeout: 240_000 }, async () => {
    await resetTarget();
    const first = await copyDb(["--from", source, "--to", withPassword(database.url)]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expectNoPassword(first);
    const lines = first.stdout.trim().split("\n");
    expect(lines[0]).toBe(`Copied ${source} into PostgreSQL at ${new URL(database.url).host}${new URL(database.url).pathname}.`);
    expect(lines[1]).toMatch(/^table\s+copied\s+already there$/);
    const total = [...sourceCounts.values()].reduce((a, b) => a + b, 0);
    expect(lines.at(-1)).toMatch(new RegExp(`^total\\s+${total}\\s+0$`));
    for (const [table, count] of sourceCounts) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${table}\\s+${count}\\s+0$`)));
    // Every kind of table has rows: the runtime's and the application's.
    for (const table of ["entries", "entry_events", "imports", "chat_settings", "inbox", "journal", "agent_state", "outbox", "timers", "runtime_meta", "operator_actions"]) {
      expect(sourceCounts.get(table), table).toBeGreaterThan(0);
    }

    // Row for row, column for column, the same (but for the NUL PostgreSQL cannot hold).
    await withStorage({ DATABASE_PATH: source }, (sqlite) =>
      withStorage({ DATABASE_URL: database.url }, async (postgres) => {
        for (const table of sourceCounts.keys()) expect(await rowsOf(postgres.read, table), table).toEqual(await rowsOf(sqlite.read, table));
        const old = await postgres.read.get<{ title: string }>("SELECT title FROM entries WHERE id = 'old1'");
        expect(old!.title).toBe("Oldtitle");
      }),
    );

    // The export prints the same from the file and from PostgreSQL (DATABASE_URL), byte for byte.
    for (const args of [["--chat", CHAT, "--format", "json"], ["--chat", GROUP, "--format", "csv"]]) {
      const fromFile = await runTool("export", args, { env: { DATABASE_PATH: source } });
      const fromPostgres = await runTool("export", args, { env: { DATABASE_URL: withPassword(database.url) } });
      expect(fromFile.code).toBe(0);
      expect(fromPostgres.code).toBe(0);
      expect(fromPostgres.stdout).toBe(fromFile.stdout);
      expectNoPassword(fromPostgres);
    }
    const exported = JSON.parse((await runTool("export", ["--chat", CHAT, "--format", "json"], { env: { DATABASE_URL: database.url } })).stdout) as Array<{ title: string }>;
    expect(exported.map((e) => e.title)).toEqual(expect.arrayContaining(HOSTILE.slice(0, 4)));

    // Again: every row is there already, nothing is copied twice (DATABASE_URL stands for --to).
    const second = await copyDb(["--from", source, "--json"], { DATABASE_URL: withPassword(database.url) });
    expect(second.code).toBe(0);
    expectNoPassword(second);
    const report = JSON.parse(second.stdout) as { to: string; copied: number; alreadyThere: number; tables: Array<{ table: string; copied: number; alreadyThere: number }> };
    expect(report).toMatchObject({ to: `${new URL(database.url).host}${new URL(database.url).pathname}`, copied: 0, alreadyThere: total });
    expect(report.tables).toEqual([...sourceCounts].map(([table, count]) => ({ table, copied: 0, alreadyThere: count })));
    await withStorage({ DATABASE_URL: database.url }, async (postgres) => {
      for (const [table, count] of sourceCounts) expect((await postgres.read.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "${table}"`))!.n, table).toBe(count);
    });
  });

  it("new rows on PostgreSQL get keys past the copied ones", async () => {
    const { maxEvent, maxSeq, maxAction, outboxMark } = await withStorage({ DATABASE_PATH: source }, async (sqlite) => ({
      maxEvent: (await sqlite.read.get<{ n: number }>("SELECT MAX(id) AS n FROM entry_events"))!.n,
      maxSeq: (await sqlite.read.get<{ n: number }>("SELECT MAX(seq) AS n FROM inbox"))!.n,
      maxAction: (await sqlite.read.get<{ n: number }>("SELECT MAX(id) AS n FROM operator_actions"))!.n,
      // The deleted last send's id: SQLite would never hand it out again.
      outboxMark: (await sqlite.read.get<{ n: number }>("SELECT seq AS n FROM sqlite_sequence WHERE name = 'outbox'"))!.n,
    }));
    const maxOutbox = await withStorage({ DATABASE_PATH: source }, async (s) => (await s.read.get<{ n: number }>("SELECT MAX(id) AS n FROM outbox"))!.n);
    expect(outboxMark).toBeGreaterThan(maxOutbox);

    await withStorage({ DATABASE_URL: database.url }, async (postgres) => {
      const added = await postgres.submit(async (tx) => {
        const entry = await createMediaStore(postgres.read).within(tx).add(CHAT, { id: "new1", kind: "movie", title: "After the move", rating: 3, addedAtMs: Date.now() });
        const seq = await tx.get<{ seq: number }>(
          "INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES ('tg:1:9999', ?, 'message', '{}', 1) RETURNING seq", [CHAT]);
        const send = await tx.get<{ id: number }>(
          "INSERT INTO outbox (agent_key, message_id, payload_json, next_attempt_at_ms, created_at_ms) VALUES (?, 'tg:1:9999', '{}', 1, 1) RETURNING id", [CHAT]);
        const action = await tx.get<{ id: number }>(
          "INSERT INTO operator_actions (action, target_id, agent_key, actor, at_ms) VALUES ('drop', 'x', ?, 'root', 1) RETURNING id", [CHAT]);
        return { entry, seq: seq!.seq, send: send!.id, action: action!.id };
      });
      const events = await postgres.read.all<{ id: number }>("SELECT id FROM entry_events WHERE entry_id = 'new1'");
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) expect(event.id).toBeGreaterThan(maxEvent);
      expect(added.seq).toBe(maxSeq + 1);
      expect(added.send).toBe(outboxMark + 1);
      expect(added.action).toBe(maxAction + 1);
    });
  });

  it("refuses a source with a table or a column the target lacks, and copies nothing", { timeout: 120_000 }, async () => {
    await resetTarget();
    const extraTable = path.join(dir, "extra-table.db");
    const extraColumn = path.join(dir, "extra-column.db");
    for (const file of [extraTable, extraColumn]) fs.copyFileSync(source, file);
    const edit = (file: string, sql: string) => {
      const db = new BetterSqlite3(file);
      db.exec(sql);
      db.close();
    };
    edit(extraTable, "CREATE TABLE reading_goals (chat_id TEXT PRIMARY KEY, books INTEGER)");
    edit(extraColumn, "ALTER TABLE entries ADD COLUMN mood TEXT");
    const table = await copyDb(["--from", extraTable, "--to", withPassword(database.url)]);
    expect(table.code).toBe(1);
    expect(table.stderr.trim()).toBe("error: the target has no table reading_goals, which the source has; nothing was copied");
    const column = await copyDb(["--from", extraColumn, "--to", withPassword(database.url)]);
    expect(column.code).toBe(1);
    expect(column.stderr.trim()).toBe("error: the target's table entries has no column mood, which the source has; nothing was copied");
    await withStorage({ DATABASE_URL: database.url }, async (postgres) => {
      expect((await postgres.read.get<{ n: number }>("SELECT COUNT(*) AS n FROM entries"))!.n).toBe(0);
    });
  });

  it("a copy killed mid-way leaves the target as it was, and the next run completes it", { timeout: 240_000 }, async () => {
    await resetTarget();
    const large = path.join(dir, "large.db");
    const count = 80_000;
    await makeLargeSource(large, count);

    const child = spawnNode(["--import", "tsx", "src/cli/copy-db.ts", "--from", large, "--to", database.url], { env: { PATH: process.env.PATH ?? "" } });
    const exited = collect(child, 120_000);
    const watcher = new pg.Client({ connectionString: database.url });
    await watcher.connect();
    try {
      // Mid-copy: the copy's transaction has sent rows of the inbox, and is not committed.
      const midCopy = async () =>
        (await watcher.query<{ n: string }>(
          `SELECT COUNT(*) AS n FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = 'media-tracker-copy-db'
             AND xact_start IS NOT NULL AND query LIKE 'INSERT INTO "inbox"%'`,
        )).rows[0]!.n !== "0";
      const deadline = Date.now() + 60_000;
      while (!(await midCopy())) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the copy was not caught mid-way (exit ${child.exitCode})`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      child.kill("SIGKILL");
      expect((await exited).code).toBeNull();
      // The server ends the dead client's session and rolls its transaction back.
      const gone = async () =>
        (await watcher.query<{ n: string }>(
          "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'media-tracker-copy-db'",
        )).rows[0]!.n === "0";
      while (!(await gone())) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const table of tablesOf(large)) {
        expect(Number((await watcher.query<{ n: string }>(`SELECT COUNT(*) AS n FROM "${table}"`)).rows[0]!.n), table).toBe(0);
      }
    } finally {
      await watcher.end();
    }

    const again = await copyDb(["--from", large, "--to", database.url, "--json"]);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as { tables: Array<{ table: string; copied: number; alreadyThere: number }> };
    expect(report.tables.find((t) => t.table === "inbox")).toEqual({ table: "inbox", copied: count, alreadyThere: 0 });
    await withStorage({ DATABASE_URL: database.url }, async (postgres) => {
      expect((await postgres.read.get<{ n: number }>("SELECT COUNT(*) AS n FROM inbox"))!.n).toBe(count);
      const next = await postgres.submit((tx) =>
        tx.get<{ seq: number }>("INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES ('after', '1', 'message', '{}', 1) RETURNING seq"));
      expect(next!.seq).toBe(count + 1);
    });
  });
});

// The SQLite file copy-db reads: one consistent snapshot of a stopped bot's database, at this
// release's schema, read table by table in batches.
//
// How "the bot is stopped" is made sure of: the connection takes SQLite's EXCLUSIVE locking mode
// before its first read. On a WAL database (the bot's always is) that lock can only be had when no
// other connection has the file open, so a running bot, even an idle one, makes it fail at once
// (after a short busy wait) with "stop it first"; and while the copy holds it, neither a bot nor
// any other process can open the file and change it. Statements are read-only (query_only): the
// file's content is never changed. Closing may checkpoint a WAL left by a killed bot into the file,
// which moves pages, not data.
import fs from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { DEFAULT_MIGRATIONS_TABLE } from "../../runtime/migrate.js";
import { RUNTIME_MIGRATIONS_TABLE } from "../../runtime/schema.js";
import { SqliteSql } from "../../runtime/sqlite/sqlite-sql.js";
import { DatabaseOpenError } from "../start-errors.js";
import { schemaStatusOf } from "../storage.js";
import { quoteName } from "./sql-names.js";

/** Why the source cannot be copied, as one line a person can act on. */
export class CopySourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CopySourceError";
  }
}

export interface SourceTable {
  name: string;
  /** Its columns, in the table's order. */
  columns: string[];
  rows: number;
  /** The highest key an AUTOINCREMENT table ever handed out (sqlite_sequence), deleted rows included. */
  highestKey?: number;
}

/** A value as read for the copy: 64-bit integers as bigint (exact), reals as numbers, text, null or bytes. */
export type SourceValue = bigint | number | string | Buffer | null;

/** How long to wait for another process's lock before saying the bot runs: a short read by the admin passes. */
const LOCK_WAIT_MS = 2_000;

/** The bookkeeping of each schema: the target keeps its own. */
const MIGRATION_TABLES = [DEFAULT_MIGRATIONS_TABLE, RUNTIME_MIGRATIONS_TABLE];

export class SqliteSource {
  private constructor(readonly file: string, private readonly db: BetterSqlite3.Database) {}

  /**
   * Opens `file` for the copy and takes its snapshot; checks that it is a Media Tracker database at
   * this release's schema. Throws a CopySourceError saying what to do otherwise; nothing is left open
   * then, and a missing file is never created.
   */
  static async open(file: string): Promise<SqliteSource> {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) throw new CopySourceError(`no database at ${file}`);
    if (stat.isDirectory()) throw new CopySourceError(`${file} is a folder, not a SQLite database file`);
    let db: BetterSqlite3.Database;
    try {
      db = new BetterSqlite3(file, { fileMustExist: true, timeout: LOCK_WAIT_MS });
    } catch (error) {
      throw new CopySourceError(new DatabaseOpenError(file, error).message, { cause: error });
    }
    const source = new SqliteSource(file, db);
    try {
      source.takeSnapshot();
      await source.checkSchema();
    } catch (error) {
      source.close();
      throw error;
    }
    return source;
  }

  /** Every table of the runtime and of the application, by name, with its columns and row count. */
  tables(): SourceTable[] {
    const names = this.db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
      .pluck()
      .all() as string[];
    const highestKeys = this.highestKeys();
    return names
      .filter((name) => !MIGRATION_TABLES.includes(name))
      .map((name) => {
        const columns = this.db.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid").pluck().all(name) as string[];
        const rows = this.db.prepare(`SELECT COUNT(*) FROM ${quoteName(name)}`).pluck().get() as number;
        const highestKey = highestKeys.get(name);
        return { name, columns, rows, ...(highestKey !== undefined ? { highestKey } : {}) };
      });
  }

  /**
   * The rows of `table` (`columns` in that order), in batches of at most `maxRows` rows and about
   * `maxBytes` of text. Run nothing else on the source until it is done: the read holds its connection.
   */
  *batches(table: string, columns: readonly string[], maxRows: number, maxBytes: number): Generator<SourceValue[][]> {
    const statement = this.db.prepare(`SELECT ${columns.map(quoteName).join(", ")} FROM ${quoteName(table)}`).raw(true).safeIntegers(true);
    let batch: SourceValue[][] = [];
    let bytes = 0;
    for (const row of statement.iterate() as IterableIterator<SourceValue[]>) {
      batch.push(row);
      for (const value of row) if (typeof value === "string" || Buffer.isBuffer(value)) bytes += value.length;
      if (batch.length >= maxRows || bytes >= maxBytes) {
        yield batch;
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Ends the snapshot and lets other processes open the file again. */
  close(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.exec("COMMIT");
    this.db.close();
  }

  /** The exclusive lock and one read transaction, from the first read to `close` (see the top of this file). */
  private takeSnapshot(): void {
    try {
      this.db.pragma("locking_mode = EXCLUSIVE");
      this.db.pragma("query_only = ON");
      this.db.exec("BEGIN");
      this.db.prepare("SELECT COUNT(*) FROM sqlite_master").get();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
        throw new CopySourceError(
          `the bot seems to be running: another process has ${this.file} open. Stop it first (and any other tool using the file), then copy`,
          { cause: error },
        );
      }
      throw new CopySourceError(new DatabaseOpenError(this.file, error).message, { cause: error });
    }
  }

  private async checkSchema(): Promise<void> {
    const found = await schemaStatusOf(new SqliteSql(this.db));
    switch (found.status) {
      case "current":
        return;
      case "not-ours":
        throw new CopySourceError(`${this.file} is not a Media Tracker database (it has no schema_migrations table)`);
      case "too-new":
        throw new CopySourceError(`${found.error.message} Copy it with that release's copy-db.`);
      case "behind": {
        const what = found.schema === "runtime" ? "runtime schema" : "schema";
        throw new CopySourceError(
          `${this.file} is at ${what} version ${found.databaseVersion} and this release's is ${found.knownVersion}: ` +
            "start this release's bot on it once (it migrates at start), stop it, then copy",
        );
      }
    }
  }

  /** sqlite_sequence, where SQLite keeps AUTOINCREMENT's high-water marks (absent without such a table). */
  private highestKeys(): Map<string, number> {
    const hasSequences = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").get();
    if (!hasSequences) return new Map();
    const rows = this.db.prepare("SELECT name, seq FROM sqlite_sequence").all() as Array<{ name: string; seq: number }>;
    return new Map(rows.map((row) => [row.name, row.seq]));
  }
}

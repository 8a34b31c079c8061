// Opens the one SQLite file everything lives in, with the settings durability depends on.
// It never decides what is stored: that is the migrations' and the stores' job.
import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";

export type Database = BetterSqlite3.Database;

/** How hard SQLite works to keep a commit: FULL survives power loss, NORMAL survives a process crash. */
export type Synchronous = "FULL" | "NORMAL";

export interface OpenDatabaseOptions {
  synchronous?: Synchronous;
  /** How long a write waits for another process's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed, folder included) a SQLite file in WAL mode with foreign keys on.
 * A new file is created readable by its owner only: it holds everything people told the bot.
 * Throws when the file cannot be opened; the caller reports that and stops.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const inMemory = file === ":memory:";
  if (!inMemory) {
    makeFolder(path.dirname(path.resolve(file)));
    if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, "a", 0o600));
  }
  const db = new BetterSqlite3(file);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  db.pragma("foreign_keys = ON");
  return db;
}

/**
 * Creates a folder and its missing parents, one at a time: Node's recursive mkdir never returns for
 * some impossible paths (under /proc), where this fails at once (ENOENT, ENOTDIR, EACCES).
 */
export function makeFolder(dir: string): void {
  if (fs.existsSync(dir)) return;
  const parent = path.dirname(dir);
  if (parent !== dir) makeFolder(parent);
  try {
    fs.mkdirSync(dir);
  } catch (error) {
    // Made meanwhile by another process: fine.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/**
 * True for a failure of the database itself rather than of the work given to it: locked past the
 * busy timeout, disk full, an I/O error, out of memory. Nothing was written; the same work can
 * succeed once the fault passes, so it is never a message's or a step's own outcome.
 */
export function isDatabaseFault(error: unknown): boolean {
  if (!(error instanceof BetterSqlite3.SqliteError)) return false;
  return /^SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM)/.test(error.code);
}

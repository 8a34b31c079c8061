// Opens the SQLite file everything lives in, with the settings durability depends on. It never
// decides what is stored: that is the migrations' and the stores' job.
import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";

/** How hard SQLite works to keep a commit: FULL survives power loss, NORMAL survives a process crash. */
export type Synchronous = "FULL" | "NORMAL";

export interface SqliteFileOptions {
  synchronous?: Synchronous;
  /** How long a write waits for another process's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** A connection that only reads (the store's reader): it may never write, by mistake or otherwise. */
  readOnly?: boolean;
}

/**
 * Opens (creating if needed, folder included) a SQLite file in WAL mode with foreign keys on.
 * A new file is created readable by its owner only: it holds everything people told the bot.
 * Throws when the file cannot be opened; the caller reports that and stops.
 */
export function openSqliteFile(file: string, options: SqliteFileOptions = {}): BetterSqlite3.Database {
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
  if (options.readOnly) db.pragma("query_only = ON");
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

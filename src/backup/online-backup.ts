// One consistent copy of the open database in a new file, with SQLite's online backup: pages are
// copied a slice at a time with turns of the event loop in between, so the bot keeps answering
// while a large database is copied, and its own commits meanwhile are carried into the copy.
import fs from "node:fs";
import path from "node:path";
import type { Database } from "better-sqlite3";

export interface BackupOptions {
  /** Pages copied per turn of the event loop (a page is usually 4 KiB). Default 256. */
  pagesPerStep?: number;
  /** Asked before each slice: true stops the copy (it then rejects, and nothing is left behind). */
  cancelled?(): boolean;
}

export class BackupCancelledError extends Error {
  constructor() {
    super("the backup was stopped before it finished");
    this.name = "BackupCancelledError";
  }
}

/**
 * Writes a copy of `db` to `target`, which must not exist. The file is created readable by its
 * owner only before SQLite writes its first byte (it holds everything people told the bot), its
 * folder too when missing. On failure the file is removed. Resolves with its size in bytes.
 */
export async function writeBackup(db: Database, target: string, options: BackupOptions = {}): Promise<number> {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(target, "wx", 0o600));
  const pages = options.pagesPerStep ?? 256;
  try {
    await db.backup(target, {
      progress: () => {
        if (options.cancelled?.()) throw new BackupCancelledError();
        return pages;
      },
    });
    return fs.statSync(target).size;
  } catch (error) {
    for (const suffix of ["", "-journal", "-wal", "-shm"]) fs.rmSync(`${target}${suffix}`, { force: true });
    throw error;
  }
}

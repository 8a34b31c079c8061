// BACKUP_EVERY_HOURS: the bot backs its database up into BACKUP_DIR on its own, keeping the newest
// BACKUP_KEEP copies. The schedule counts from the newest copy in the folder, so restarts neither
// skip a backup nor take one each time; a copy is written under a temporary name and renamed when
// complete, so the folder only ever holds whole backups.
import fs from "node:fs";
import path from "node:path";
import type { Database } from "better-sqlite3";
import type { Logger } from "../../runtime/index.js";
import { BackupCancelledError, writeBackup } from "./online-backup.js";

const NAME = /^media-tracker-\d{8}-\d{6}Z(-\d+)?\.db$/;
const PARTIAL = /^media-tracker-.*\.db\.partial(-journal|-wal|-shm)?$/;
/** Timers are re-armed at least this often: a long setTimeout overflows, and clocks jump. */
const MAX_SLEEP_MS = 3600_000;

export interface ScheduledBackupOptions {
  db: Database;
  dir: string;
  everyMs: number;
  keep: number;
  log: Logger;
  /** A backup due at start waits this long, so that it never competes with recovery. Default 30 s. */
  startDelayMs?: number;
  now?: () => number;
  /** Told of each backup's outcome (for the metrics). */
  done?(outcome: "ok" | "failed"): void;
}

export interface ScheduledBackups {
  /** Writes a backup now (and prunes old ones); resolves with its path. */
  runNow(): Promise<string>;
  /** Stops the schedule; a backup under way is abandoned and leaves nothing behind. */
  stop(): Promise<void>;
}

export function startScheduledBackups(options: ScheduledBackupOptions): ScheduledBackups {
  const { db, dir, everyMs, keep, log } = options;
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<string> | undefined;
  let stopped = false;

  const runNow = (): Promise<string> => {
    running ??= backUp()
      .then(
        (file) => {
          options.done?.("ok");
          return file;
        },
        (error: unknown) => {
          if (!(error instanceof BackupCancelledError)) options.done?.("failed");
          throw error;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  async function backUp(): Promise<string> {
    removePartials(dir);
    const name = freeName(dir, now());
    const partial = path.join(dir, `${name}.partial`);
    const started = now();
    const bytes = await writeBackup(db, partial, { cancelled: () => stopped });
    const file = path.join(dir, name);
    fs.renameSync(partial, file);
    syncFolder(dir);
    const removed = prune(dir, keep, name);
    log.info({ file, bytes, ms: now() - started, removed }, "database backed up");
    return file;
  }

  const arm = (dueAtMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      if (now() < dueAtMs) return arm(dueAtMs);
      runNow().then(
        () => arm(now() + everyMs),
        (error: unknown) => {
          if (error instanceof BackupCancelledError) return;
          log.error({ err: error, dir }, "scheduled backup failed; trying again later");
          arm(now() + Math.min(everyMs, MAX_SLEEP_MS));
        },
      );
    }, Math.max(0, Math.min(dueAtMs - now(), MAX_SLEEP_MS)));
    timer.unref();
  };

  // A folder that cannot be made stops the start with its reason, rather than failing every backup.
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const latest = newestBackupMs(dir);
  // A copy dated in the future (a clock set back since) counts as taken now.
  const due = latest === undefined ? now() : Math.min(latest, now()) + everyMs;
  arm(Math.max(due, now() + (options.startDelayMs ?? 30_000)));

  return {
    runNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** media-tracker-20261203-194501Z.db, or with -1, -2… when that name is taken (two in a second). */
function freeName(dir: string, atMs: number): string {
  const stamp = new Date(atMs).toISOString().replace(/[-:]/g, "").replace("T", "-").replace(/\.\d+Z$/, "Z");
  for (let n = 0; ; n++) {
    const name = `media-tracker-${stamp}${n === 0 ? "" : `-${n}`}.db`;
    if (!fs.existsSync(path.join(dir, name)) && !fs.existsSync(path.join(dir, `${name}.partial`))) return name;
  }
}

/** When the newest complete backup in `dir` was written, if there is one. */
function newestBackupMs(dir: string): number | undefined {
  let newest: number | undefined;
  for (const name of backups(dir)) {
    const mtime = fs.statSync(path.join(dir, name)).mtimeMs;
    newest = Math.max(newest ?? mtime, mtime);
  }
  return newest;
}

/** Deletes all but the newest `keep` backups (by name, which is by time), never `justWritten`. */
function prune(dir: string, keep: number, justWritten: string): number {
  const older = backups(dir).filter((name) => name !== justWritten).sort(newestFirst).slice(Math.max(0, keep - 1));
  for (const name of older) fs.rmSync(path.join(dir, name), { force: true });
  return older.length;
}

/** By the time in the name, then by the -1, -2… of a second copy within one second. */
function newestFirst(a: string, b: string): number {
  const key = (name: string) => {
    const [, stamp = "", n = "0"] = /^media-tracker-(\d{8}-\d{6}Z)(?:-(\d+))?\.db$/.exec(name) ?? [];
    return `${stamp}-${n.padStart(6, "0")}`;
  };
  return key(b).localeCompare(key(a));
}

/** Copies left half-written by a crash or a stop. */
function removePartials(dir: string): void {
  for (const name of list(dir)) if (PARTIAL.test(name)) fs.rmSync(path.join(dir, name), { force: true });
}

function backups(dir: string): string[] {
  return list(dir).filter((name) => NAME.test(name));
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The rename is durable once the folder's entry is on disk. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Not every platform can fsync a folder; the copy itself is already on disk.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

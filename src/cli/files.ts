// What the command-line tools share: opening the database, and writing files that hold people's
// data. Each failure becomes one line on stderr and exit code 1, never a stack.
import fs from "node:fs";
import path from "node:path";
import type { Database } from "../../runtime/index.js";
import { type SqliteStore, openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import { openAppDatabase } from "../app.js";
import { DatabaseOpenError, describeStartError } from "../start-errors.js";

/** Prints `error: <line>` to stderr and exits 1. */
export function fail(line: string): never {
  console.error(`error: ${line}`);
  process.exit(1);
}

/** The database with its migrations applied, or one line and exit 1 (unopenable, too new). */
export function openOrFail(file: string): Database {
  try {
    return openAppDatabase(file);
  } catch (error) {
    return fail(describeStartError(error));
  }
}

/**
 * The database as a Store with its migrations applied, or one line and exit 1. The migrations run
 * first on a connection of their own (openOrFail), with the same messages, until the runtime opens
 * its Store with its migrations itself.
 */
export function openStoreOrFail(file: string): SqliteStore {
  openOrFail(file).close();
  try {
    return openSqliteStore(file);
  } catch (error) {
    return fail(describeStartError(new DatabaseOpenError(file, error)));
  }
}

/**
 * Writes `text` to `file`, readable by its owner only from the first byte (an export holds what
 * people told the bot; an existing file is made private before it is filled). One line on failure.
 */
export function writePrivateFile(file: string, text: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, "w", 0o600);
  } catch (error) {
    return fail(`cannot write ${file}: ${fileReason(error, file)}`);
  }
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
  } catch (error) {
    fail(`cannot write ${file}: ${fileReason(error, file)}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Why a file could not be created or written, in words. */
export function fileReason(error: unknown, file: string): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return `the folder ${path.dirname(file)} does not exist`;
    case "ENOTDIR":
      return "a part of its path is a file, not a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a folder";
    case "EEXIST":
      return "it exists; choose a new file name";
    case "ENOSPC":
      return "the disk is full";
    case "EROFS":
      return "the file system is read-only";
    default:
      return error instanceof Error ? error.message.split("\n")[0]! : String(error);
  }
}

// What the command-line tools share: opening the database, and writing files that hold people's
// data. Each failure becomes one line on stderr and exit code 1, never a stack.
import fs from "node:fs";
import path from "node:path";
import { ConfigError, parseConfig } from "../config.js";
import { describeStartError } from "../start-errors.js";
import { type OpenStorageOptions, type Storage, type StorageConfig, openStorage } from "../storage.js";

/** Prints `error: <line>` to stderr and exits 1. */
export function fail(line: string): never {
  console.error(`error: ${line}`);
  process.exit(1);
}

/** Where a tool finds the data: `--database <file>` (a SQLite file) wins; else DATABASE_URL, else DATABASE_PATH. */
export function storageConfigOrFail(database: string | undefined): StorageConfig {
  if (database !== undefined) return { DATABASE_PATH: database, DATABASE_URL: undefined };
  try {
    const { DATABASE_PATH, DATABASE_URL } = parseConfig(process.env);
    return { DATABASE_PATH, DATABASE_URL };
  } catch (error) {
    return fail(error instanceof ConfigError ? error.message : String(error));
  }
}

/**
 * The storage `config` names (PostgreSQL or the SQLite file) with both schemas migrated, as the bot
 * opens it; or one line and exit 1 (unopenable, unreachable, too new), never the URL's password.
 */
export async function openStorageOrFail(config: StorageConfig, options: OpenStorageOptions = {}): Promise<Storage> {
  try {
    return await openStorage(config, options);
  } catch (error) {
    return fail(describeStartError(error));
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

// What every admin command starts from: the bot's database (DATABASE_PATH, or --database), opened
// beside a running bot (SQLite's WAL lets it read while the bot writes; a write waits for the
// bot's commit), the read model and the operator actions.
import fs from "node:fs";
import os from "node:os";
import { type Database, DatabaseTooNewError, OperatorActions, openDatabase, readMigrations } from "../../../runtime/index.js";
import { type AdminReadModel, createSqliteReadModel } from "../../admin/read-model.js";
import { MIGRATIONS_DIR } from "../../app.js";
import { ConfigError, parseConfig } from "../../config.js";
import { AdminError, type AdminIo } from "./output.js";

export interface GlobalOptions {
  json?: boolean;
  database?: string;
}

export interface AdminContext {
  io: AdminIo;
  env: NodeJS.ProcessEnv;
  /** Runs `work` on the open database and closes it after. */
  withDatabase<T>(options: GlobalOptions, work: (db: { model: AdminReadModel; actions: OperatorActions; raw: Database }) => T): T;
}

export function createContext(io: AdminIo, env: NodeJS.ProcessEnv): AdminContext {
  return {
    io,
    env,
    withDatabase(options, work) {
      const file = options.database ?? databasePath(env);
      if (!fs.existsSync(file)) throw new AdminError(`no database at ${file} (set DATABASE_PATH or --database)`);
      let db: Database;
      try {
        db = openDatabase(file);
      } catch (error) {
        throw new AdminError(`cannot open ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      try {
        checkSchema(db, file);
        return work({ model: createSqliteReadModel(db), actions: new OperatorActions(db), raw: db });
      } finally {
        db.close();
      }
    },
  };
}

/**
 * The database must be at this release's schema. The admin never migrates it: a bot of another
 * release may be running on it, and migrating is the bot's job at its start.
 */
function checkSchema(db: Database, file: string): void {
  let current: number | null;
  try {
    current = db.prepare(`SELECT MAX(version) FROM schema_migrations`).pluck().get() as number | null;
  } catch {
    throw new AdminError(`${file} is not a Media Tracker database (no schema_migrations table)`);
  }
  const known = readMigrations(MIGRATIONS_DIR).at(-1)?.version ?? 0;
  if ((current ?? 0) > known) throw new AdminError(new DatabaseTooNewError(current ?? 0, known).message);
  if ((current ?? 0) < known) {
    throw new AdminError(
      `the database is at schema version ${current ?? 0} and this release's is ${known}: start this release's bot once (it migrates at start), or use the admin of the release that runs`,
    );
  }
}

/** Who ran a write command: --by, else the OS user. */
export function actor(by: string | undefined, env: NodeJS.ProcessEnv): string {
  if (by !== undefined && by.trim() !== "") return by.trim().slice(0, 100);
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? "unknown";
  }
}

function databasePath(env: NodeJS.ProcessEnv): string {
  try {
    return parseConfig(env).DATABASE_PATH;
  } catch (error) {
    throw new AdminError(error instanceof ConfigError ? error.message : String(error));
  }
}

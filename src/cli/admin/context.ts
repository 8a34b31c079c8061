// What every admin command starts from: the bot's database (DATABASE_PATH, or --database), opened
// beside a running bot (SQLite's WAL lets it read while the bot writes; a write waits for the
// bot's commit), the read model and the operator actions.
import fs from "node:fs";
import os from "node:os";
import { type Database, DatabaseTooNewError, OperatorActions } from "../../../runtime/index.js";
import { type AdminReadModel, createSqliteReadModel } from "../../admin/read-model.js";
import { openAppDatabase } from "../../app.js";
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
        db = openAppDatabase(file);
      } catch (error) {
        if (error instanceof DatabaseTooNewError) throw new AdminError(error.message);
        throw new AdminError(`cannot open ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      try {
        return work({ model: createSqliteReadModel(db), actions: new OperatorActions(db), raw: db });
      } finally {
        db.close();
      }
    },
  };
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

// What every admin command starts from: the bot's storage (DATABASE_URL or DATABASE_PATH, or
// --database), opened beside a running bot (on SQLite, WAL lets it read while the bot writes and a
// write waits for the bot's commit; on PostgreSQL, it is one more client), the read model and the
// operator actions.
import fs from "node:fs";
import os from "node:os";
import { OperatorActions } from "../../../runtime/index.js";
import type { Store } from "../../../runtime/store.js";
import { type AdminReadModel, createReadModel } from "../../admin/read-model.js";
import { ConfigError, parseConfig } from "../../config.js";
import { DatabaseOpenError } from "../../start-errors.js";
import { type Storage, type StorageConfig, openStorage, schemaStatus } from "../../storage.js";
import { AdminError, type AdminIo } from "./output.js";

export interface GlobalOptions {
  json?: boolean;
  database?: string;
}

export interface AdminDatabase {
  model: AdminReadModel;
  actions: OperatorActions;
  /** For the actions' units: `store.submit((tx) => actions.retry(tx, …))`. */
  store: Store;
}

export interface AdminContext {
  io: AdminIo;
  env: NodeJS.ProcessEnv;
  /** Runs `work` on the open storage and closes it after. */
  withDatabase<T>(options: GlobalOptions, work: (db: AdminDatabase) => Promise<T>): Promise<T>;
}

export function createContext(io: AdminIo, env: NodeJS.ProcessEnv): AdminContext {
  return {
    io,
    env,
    async withDatabase(options, work) {
      const config = storageConfig(options, env);
      if (!config.DATABASE_URL && !fs.existsSync(config.DATABASE_PATH)) {
        throw new AdminError(`no database at ${config.DATABASE_PATH} (set DATABASE_PATH or --database)`);
      }
      let storage: Storage;
      try {
        storage = await openStorage(config, { migrate: false, postgres: { poolSize: 2, applicationName: "media-tracker-admin" } });
      } catch (error) {
        throw new AdminError(error instanceof DatabaseOpenError ? error.message : `cannot open the database: ${describe(error)}`);
      }
      try {
        await checkSchema(storage);
        const { read } = storage.store;
        return await work({ model: createReadModel(read), actions: new OperatorActions(read), store: storage.store });
      } finally {
        await storage.close();
      }
    },
  };
}

/**
 * The database must be at this release's schema, the runtime's and the application's. The admin
 * never migrates it: a bot of another release may be running on it, and migrating is the bot's job
 * at its start.
 */
async function checkSchema(storage: Storage): Promise<void> {
  const found = await schemaStatus(storage);
  switch (found.status) {
    case "current":
      return;
    case "not-ours":
      throw new AdminError(`${storage.describe()} is not a Media Tracker database (no schema_migrations table)`);
    case "too-new":
      throw new AdminError(found.error.message);
    case "behind": {
      const what = found.schema === "runtime" ? "the database's runtime schema is at version" : "the database is at schema version";
      throw new AdminError(
        `${what} ${found.databaseVersion} and this release's is ${found.knownVersion}: start this release's bot once (it migrates at start), or use the admin of the release that runs`,
      );
    }
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

/** --database names a SQLite file and wins; else the bot's own DATABASE_URL or DATABASE_PATH. */
function storageConfig(options: GlobalOptions, env: NodeJS.ProcessEnv): StorageConfig {
  if (options.database !== undefined) return { DATABASE_PATH: options.database, DATABASE_URL: undefined };
  try {
    const { DATABASE_PATH, DATABASE_URL } = parseConfig(env);
    return { DATABASE_PATH, DATABASE_URL };
  } catch (error) {
    throw new AdminError(error instanceof ConfigError ? error.message : String(error));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

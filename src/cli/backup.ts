// `npm run backup -- <file>`: a consistent copy of the database while the bot runs, with SQLite's
// online backup API (pages are copied in steps; writers are not blocked for long). The copy is
// readable by its owner only from its first byte, its folder is made if missing, and a failed
// backup leaves no partial file behind. SQLite only: with DATABASE_URL it points to pg_dump.
import "dotenv/config";
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import BetterSqlite3 from "better-sqlite3";
import { makeFolder } from "../../runtime/index.js";
import { ConfigError, parseConfig } from "../config.js";
import { DatabaseOpenError } from "../start-errors.js";
import { fail, fileReason } from "./files.js";

const program = new Command()
  .name("backup")
  .description("Copy the bot's SQLite database to <file>, safely, even while the bot runs.")
  .argument("<file>", "where to write the copy (must not exist; its folder is made if missing)")
  .option("--database <file>", "SQLite file (default: DATABASE_PATH)")
  .action(async (target: string, options: { database?: string }) => {
    let source = options.database;
    try {
      const config = parseConfig(process.env);
      if (source === undefined && config.DATABASE_URL) {
        // Not a failure of this command but the wrong tool: exit 2, as for a wrong use.
        console.error(
          `error: the bot keeps its data in PostgreSQL (DATABASE_URL), and PostgreSQL backups are pg_dump's job, e.g. pg_dump --format=custom --file=media-tracker.dump "$DATABASE_URL"; restore with pg_restore. This command copies a SQLite file (DATABASE_PATH or --database).`,
        );
        process.exit(2);
      }
      source ??= config.DATABASE_PATH;
    } catch (error) {
      fail(error instanceof ConfigError ? error.message : String(error));
    }
    if (!fs.existsSync(source)) fail(`no database at ${source} (set DATABASE_PATH or --database)`);
    createPrivately(target);
    const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
    try {
      await db.backup(target);
    } catch (error) {
      fs.rmSync(target, { force: true });
      fail(`the backup failed, nothing was written: ${new DatabaseOpenError(source, error).message}`);
    } finally {
      db.close();
    }
    console.log(`Backed up ${source} to ${target}.`);
  });

/** Creates the empty target (and its folder): 0600 before SQLite writes a page into it. */
function createPrivately(target: string): void {
  try {
    makeFolder(path.dirname(path.resolve(target)));
    fs.closeSync(fs.openSync(target, "wx", 0o600));
  } catch (error) {
    fail(`cannot create ${target}: ${fileReason(error, target)}`);
  }
}

await program.parseAsync();

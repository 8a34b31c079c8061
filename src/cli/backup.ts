// `npm run backup -- <file>`: a consistent copy of the database while the bot runs, with SQLite's
// online backup API (pages are copied in steps; writers are not blocked for long).
import "dotenv/config";
import fs from "node:fs";
import { Command } from "commander";
import BetterSqlite3 from "better-sqlite3";
import { ConfigError, parseConfig } from "../config.js";

const program = new Command()
  .name("backup")
  .description("Copy the bot's SQLite database to <file>, safely, even while the bot runs.")
  .argument("<file>", "where to write the copy (must not exist)")
  .option("--database <file>", "SQLite file (default: DATABASE_PATH)")
  .action(async (target: string, options: { database?: string }) => {
    let source = options.database;
    try {
      source ??= parseConfig(process.env).DATABASE_PATH;
    } catch (error) {
      program.error(error instanceof ConfigError ? error.message : String(error));
    }
    if (!fs.existsSync(source!)) program.error(`error: no database at ${source}`);
    if (fs.existsSync(target)) program.error(`error: ${target} exists; choose a new file name`);
    const db = new BetterSqlite3(source!, { readonly: true, fileMustExist: true });
    try {
      await db.backup(target);
      fs.chmodSync(target, 0o600);
      console.log(`Backed up ${source} to ${target}.`);
    } finally {
      db.close();
    }
  });

await program.parseAsync();

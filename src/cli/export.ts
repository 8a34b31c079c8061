// `npm run --silent export -- --chat <id> --format json|csv|goodreads|letterboxd|yamtrack [--out file]`,
// or `--all` for every chat: prints (or writes) the list in the contract's export format (json, csv)
// or in another service's import format, from the bot's database (DATABASE_URL or DATABASE_PATH, or
// --database). Reads the data only; a file written is its owner's only.
import "dotenv/config";
import fs from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { EXPORT_FORMATS, type ExportFormat, exportEntries } from "../../agents/media-tracker/export/formats.js";
import { createMediaStore } from "../store/media.js";
import { fail, openStorageOrFail, storageConfigOrFail, writePrivateFile } from "./files.js";

const program = new Command()
  .name("export")
  .description("Export a chat's media list (or every chat's) as JSON or CSV, or as Goodreads, Letterboxd or Yamtrack CSV.")
  .addOption(new Option("--chat <id>", "the chat id to export").argParser(chatId))
  .option("--all", "export every chat (each entry carries its chatId)")
  .addOption(new Option("--format <format>", "output format").choices(EXPORT_FORMATS).default("json"))
  .option("--out <file>", "write to this file instead of standard output")
  .option("--database <file>", "SQLite file (default: DATABASE_URL, else DATABASE_PATH)")
  .action(async (options: { chat?: string; all?: boolean; format: ExportFormat; out?: string; database?: string }) => {
    if (!options.chat === !options.all) program.error("error: give either --chat <id> or --all");
    const config = storageConfigOrFail(options.database);
    // A file that is not there is a mistake to name, not a database to create.
    if (!config.DATABASE_URL && !fs.existsSync(config.DATABASE_PATH)) fail(`no database at ${config.DATABASE_PATH} (set DATABASE_PATH or --database)`);
    const storage = await openStorageOrFail(config, { postgres: { poolSize: 2, applicationName: "media-tracker-export" } });
    try {
      const entries = await createMediaStore(storage.store.read).everything(options.all ? undefined : options.chat);
      const text = exportEntries(entries, options.format, { withChat: Boolean(options.all) });
      if (options.out) writePrivateFile(options.out, text);
      else process.stdout.write(text);
      // Still an empty export (a script gets valid JSON or a CSV header), and a word for the person.
      if (entries.length === 0) console.error(options.all ? "No chat has entries yet." : `Chat ${options.chat} has no entries.`);
    } finally {
      await storage.close();
    }
  });

function chatId(value: string): string {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError("a chat id is a whole number, like 123456789 or -1001234567890.");
  return value;
}

await program.parseAsync();

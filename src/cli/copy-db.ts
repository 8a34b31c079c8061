// `npm run --silent copy-db -- --from <sqlite file> --to <postgres url> [--json]`: moves an existing
// SQLite database into PostgreSQL, with the bot stopped (it refuses while a process has the file
// open: see src/copy-db/sqlite-source.ts). The target's schema is created or migrated first, as the
// bot does at start; then every table goes over in one transaction (src/copy-db/copy.ts), so a copy
// cut short leaves the target as it was and running it again copies nothing twice.
// Prints a row per table and a total (or one JSON value); exit 0 when copied, 1 when it failed, 2
// on a wrong use. The URL's password is never printed.
import "dotenv/config";
import { Command, CommanderError } from "commander";
import { CommitOutcomeUnknownError } from "../../runtime/errors.js";
import { describePostgresUrl } from "../../runtime/postgres/postgres-url.js";
import { isPostgresUrl } from "../config.js";
import { type CopyReport, CopyRefusedError, copyDatabase } from "../copy-db/copy.js";
import { CopySourceError, SqliteSource } from "../copy-db/sqlite-source.js";
import { describeStartError } from "../start-errors.js";
import { type Storage, openStorage, secretsOf } from "../storage.js";

interface Options {
  from: string;
  to?: string;
  json?: boolean;
}

/** A wrong use of the command: one line and exit 2. */
class UsageError extends Error {}

/** The copy did not happen (or may not have): one line and exit 1. */
class CopyFailedError extends Error {}

const program = new Command()
  .name("copy-db")
  .description("Copy the bot's SQLite database into PostgreSQL, with the bot stopped. Running it again copies nothing twice.")
  .requiredOption("--from <file>", "the SQLite file to copy (the bot's DATABASE_PATH); it is only read")
  .option("--to <url>", "the PostgreSQL database, like postgres://user:password@host:5432/media_tracker (default: DATABASE_URL)")
  .option("--json", "print one JSON value instead of a table")
  .exitOverride()
  .action(async (options: Options) => {
    const url = options.to ?? process.env.DATABASE_URL?.trim();
    if (!url) throw new UsageError("give --to <postgres url>, or set DATABASE_URL");
    if (!isPostgresUrl(url)) throw new UsageError("--to must be a postgres:// or postgresql:// URL, like postgres://user:password@host:5432/media_tracker");
    const report = await copy(options.from, url);
    const to = `PostgreSQL at ${describePostgresUrl(url)}`;
    if (options.json) console.log(JSON.stringify({ from: options.from, to: describePostgresUrl(url), ...report }));
    else console.log(table(options.from, to, report));
  });

/** Opens both ends, copies, and closes both, whatever happens; a failure becomes one CopyFailedError line. */
async function copy(file: string, url: string): Promise<CopyReport> {
  let source: SqliteSource;
  try {
    source = await SqliteSource.open(file);
  } catch (error) {
    throw new CopyFailedError(error instanceof CopySourceError ? error.message : describeStartError(error));
  }
  try {
    let storage: Storage;
    try {
      // The schema is created or brought up to this release here, as the bot does at start.
      storage = await openStorage({ DATABASE_URL: url, DATABASE_PATH: file }, { postgres: { poolSize: 2, applicationName: "media-tracker-copy-db" } });
    } catch (error) {
      throw new CopyFailedError(describeStartError(error));
    }
    try {
      return await copyDatabase(source, storage.store);
    } catch (error) {
      throw new CopyFailedError(whyNotCopied(error));
    } finally {
      await storage.close().catch(() => undefined);
    }
  } finally {
    source.close();
  }
}

function whyNotCopied(error: unknown): string {
  if (error instanceof CopyRefusedError) return `${error.message}; nothing was copied`;
  if (error instanceof CommitOutcomeUnknownError) {
    return "the connection to PostgreSQL was lost while the copy committed, so it may or may not be written: run copy-db again (it copies nothing twice)";
  }
  return `the copy failed and nothing was copied: ${describeStartError(error)}`;
}

/** The report for people: a row per table, then the total. */
function table(from: string, to: string, report: CopyReport): string {
  const width = Math.max("total".length, ...report.tables.map((t) => t.table.length));
  const row = (name: string, copied: number | string, there: number | string) =>
    `${name.padEnd(width)}  ${String(copied).padStart(8)}  ${String(there).padStart(13)}`;
  const lines = [
    `Copied ${from} into ${to}.`,
    row("table", "copied", "already there"),
    ...report.tables.map((t) => row(t.table, t.copied, t.alreadyThere)),
    row("total", report.copied, report.alreadyThere),
  ];
  if (report.alreadyThere > 0) lines.push("Rows already there (by their keys) were kept as they are: an earlier run copied them.");
  return lines.join("\n");
}

/** `line` with the URL's password replaced, should a driver's or server's words hold it. */
function masked(line: string, secrets: readonly string[]): string {
  return secrets.reduce((text, secret) => (secret ? text.split(secret).join("***") : text), line);
}

try {
  await program.parseAsync();
} catch (error) {
  // Commander has printed its own line (or the help) already.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  const secrets = secretsOf(program.opts<Options>().to ?? process.env.DATABASE_URL);
  const line = masked((error instanceof Error ? error.message : String(error)).split("\n")[0]!, secrets);
  console.error(`error: ${line}`);
  process.exit(error instanceof UsageError ? 2 : 1);
}

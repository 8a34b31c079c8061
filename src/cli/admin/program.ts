// The admin CLI's commands (one file each) under one commander program, run against a given output
// and environment, so tests can run it in-process. Every failure ends as one "error: …" line on
// stderr and exit code 1; a wrong command or argument is commander's one line, exit code 1.
import { Command, CommanderError } from "commander";
import { chatsCommand } from "./chats.js";
import { createContext } from "./context.js";
import { dropCommand } from "./drop.js";
import { outboxCommand } from "./outbox.js";
import { AdminError, type AdminIo } from "./output.js";
import { parkedCommand } from "./parked.js";
import { resendCommand } from "./resend.js";
import { retryCommand } from "./retry.js";
import { showCommand } from "./show.js";
import { timersCommand } from "./timers.js";

/** Runs one admin command; resolves with the exit code. */
export async function runAdmin(argv: readonly string[], io: AdminIo, env: NodeJS.ProcessEnv): Promise<number> {
  const ctx = createContext(io, env);
  const program = new Command("admin")
    .description("Look into the bot's database and unstick its work; safe while the bot runs.")
    .option("--json", "print one JSON value instead of a table")
    .option("--database <file>", "a SQLite file (default: DATABASE_URL, else DATABASE_PATH)")
    .showHelpAfterError(false)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  for (const make of [chatsCommand, showCommand, parkedCommand, retryCommand, dropCommand, outboxCommand, resendCommand, timersCommand]) {
    program.addCommand(make(ctx).exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }));
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    // Commander has printed its own line (or the help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    io.err(`error: ${oneLine(error instanceof AdminError ? error.message : describe(error))}\n`);
    return 1;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

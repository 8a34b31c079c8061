// Every guided dialog, by name: the commands that start them and the lookup for open ones.
import type { CommandRoute } from "../routes.js";
import { addBook } from "./add-book.js";
import { addMovie } from "./add-movie.js";
import { addQuote } from "./add-quote.js";
import { addShow } from "./add-show.js";
import { type DialogSpec, startDialog } from "./dialog.js";
import { EDIT_DIALOGS } from "./edit-entry.js";
import { testDialog } from "./test-dialog.js";

// The one place the agent reads process.env: a test hook. MT_TEST_DIALOG_VERSION registers the
// test-only /test_dialog in the given version, so the deploy test can restart the bot with a
// changed dialog (test/crash/dialog-version.test.ts). Unset in production: nothing is added.
const testDialogs = process.env.MT_TEST_DIALOG_VERSION ? [testDialog(Number(process.env.MT_TEST_DIALOG_VERSION))].filter((d) => d !== undefined) : [];

export const DIALOGS: ReadonlyMap<string, DialogSpec> = new Map([addBook, addMovie, addShow, addQuote, ...EDIT_DIALOGS, ...testDialogs].map((spec) => [spec.name, spec]));

export const dialogCommands: CommandRoute[] = [...DIALOGS.values()]
  .filter((spec) => spec.command !== false)
  .map((spec) => ({
    name: spec.name,
    description: spec.description,
    ...(spec.listed === false ? { listed: false } : {}),
    startsDialog: true,
    run: (turn) => startDialog(turn, spec),
  }));

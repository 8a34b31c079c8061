// Every guided dialog, by name: the commands that start them and the lookup for open ones.
import type { CommandRoute } from "../routes.js";
import { addMovie } from "./add-movie.js";
import { type DialogSpec, startDialog } from "./dialog.js";

export const DIALOGS: ReadonlyMap<string, DialogSpec> = new Map([addMovie].map((spec) => [spec.name, spec]));

export const dialogCommands: CommandRoute[] = [...DIALOGS.values()]
  .filter((spec) => spec.command !== false)
  .map((spec) => ({
    name: spec.name,
    description: spec.description,
    startsDialog: true,
    run: (turn) => startDialog(turn, spec),
  }));

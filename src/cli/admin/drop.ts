// `admin drop <id>`: a parked message is given up for good; it stays in the chat's history, marked
// as dropped, with who did it and when.
import { Command } from "commander";
import type { AdminContext, GlobalOptions } from "./context.js";
import { actor } from "./context.js";
import { actionResult } from "./action-result.js";
import { cell } from "./output.js";

export function dropCommand(ctx: AdminContext): Command {
  return new Command("drop")
    .description("give up a parked message for good (recorded with who and when)")
    .argument("<id>", "the message id (see admin parked)")
    .option("--by <name>", "who is doing this (default: your user name)")
    .action(async (id: string, _options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { by?: string }>();
      const by = actor(options.by, ctx.env);
      const outcome = await ctx.withDatabase(options, ({ actions, store }) => store.submit((tx) => actions.drop(tx, id, by, Date.now())));
      const done = actionResult(outcome, `message ${id}`, "parked", "dropped");
      ctx.io.out(options.json ? done.json : `Dropped message ${cell(id)} of chat ${cell(done.chatId)} (by ${cell(by)}); it stays in the chat's history as dropped.\n`);
    });
}

// `admin retry <id>`: a parked message goes back to its chat's queue, with all its tries again.
// The running bot picks it up within a second or two; a stopped one at its next start.
import { Command } from "commander";
import type { AdminContext, GlobalOptions } from "./context.js";
import { actor } from "./context.js";
import { actionResult } from "./action-result.js";
import { cell } from "./output.js";

export function retryCommand(ctx: AdminContext): Command {
  return new Command("retry")
    .description("run a parked message again (recorded with who and when)")
    .argument("<id>", "the message id (see admin parked)")
    .option("--by <name>", "who is doing this (default: your user name)")
    .action(async (id: string, _options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { by?: string }>();
      const by = actor(options.by, ctx.env);
      const outcome = await ctx.withDatabase(options, ({ actions, store }) => store.submit((tx) => actions.retry(tx, id, by, Date.now())));
      const done = actionResult(outcome, `message ${id}`, "parked", "retried");
      ctx.io.out(options.json ? done.json : `Message ${cell(id)} of chat ${cell(done.chatId)} is queued again (by ${cell(by)}): the running bot handles it within a few seconds, a stopped one when it starts.\n`);
    });
}

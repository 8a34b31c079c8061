// `admin resend <id>`: a failed send goes back to its chat's outbox, as that chat's next send.
import { Command, InvalidArgumentError } from "commander";
import type { AdminContext, GlobalOptions } from "./context.js";
import { actor } from "./context.js";
import { actionResult } from "./action-result.js";
import { cell } from "./output.js";

export function resendCommand(ctx: AdminContext): Command {
  return new Command("resend")
    .description("send a failed send again (recorded with who and when)")
    .argument("<id>", "the send's id (see admin outbox)", outboxId)
    .option("--by <name>", "who is doing this (default: your user name)")
    .action(async (id: number, _options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { by?: string }>();
      const by = actor(options.by, ctx.env);
      const outcome = await ctx.withDatabase(options, ({ actions, store }) => store.submit((tx) => actions.resend(tx, id, by, Date.now())));
      const done = actionResult(outcome, `send ${id}`, "failed", "sent again");
      ctx.io.out(options.json ? done.json : `Send ${id} to chat ${cell(done.chatId)} is queued again (by ${cell(by)}).\n`);
    });
}

function outboxId(value: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("a send's id is a whole number, like 42 (see admin outbox).");
  return Number(value);
}

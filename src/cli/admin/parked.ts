// `admin parked`: messages set aside after failing (or crashing the bot) too often, with their error.
import { Command } from "commander";
import type { ParkedRow } from "../../admin/read-model.js";
import type { AdminContext, GlobalOptions } from "./context.js";
import { json, table, when } from "./output.js";

export function parkedCommand(ctx: AdminContext): Command {
  return new Command("parked")
    .description("list parked messages (retry <id> runs one again, drop <id> gives it up)")
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const rows = await ctx.withDatabase(options, ({ model }) => model.parked());
      ctx.io.out(options.json ? json(rows) : table<ParkedRow>(rows, [
        { title: "ID", value: (r) => r.id },
        { title: "CHAT", value: (r) => r.chatId },
        { title: "ATTEMPTS", value: (r) => r.attempts, align: "right" },
        { title: "PARKED AT", value: (r) => when(r.parkedAt) },
        { title: "MESSAGE", value: (r) => r.what },
        { title: "ERROR", value: (r) => r.error },
      ], "No parked messages."));
    });
}

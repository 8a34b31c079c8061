// `admin chats`: a row per chat: its entries, open dialog, last activity, pending and parked messages.
import { Command } from "commander";
import type { ChatRow } from "../../admin/read-model.js";
import type { AdminContext, GlobalOptions } from "./context.js";
import { json, table, when } from "./output.js";

export function chatsCommand(ctx: AdminContext): Command {
  return new Command("chats")
    .description("list every chat: entries, open dialog, last activity, pending and parked messages")
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const rows = await ctx.withDatabase(options, ({ model }) => model.chats());
      ctx.io.out(options.json ? json(rows) : table<ChatRow>(rows, [
        { title: "CHAT", value: (r) => r.chatId },
        { title: "ENTRIES", value: (r) => r.entries, align: "right" },
        { title: "DIALOG", value: (r) => r.dialog },
        { title: "LAST ACTIVITY", value: (r) => when(r.lastActivityAt) },
        { title: "PENDING", value: (r) => r.pending, align: "right" },
        { title: "PARKED", value: (r) => r.parked, align: "right" },
      ], "No chats yet."));
    });
}

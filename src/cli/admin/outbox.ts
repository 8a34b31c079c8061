// `admin outbox`: sends not delivered yet (waiting or in flight) and failed ones, with their error.
import { Command } from "commander";
import type { SendRow } from "../../admin/read-model.js";
import type { AdminContext, GlobalOptions } from "./context.js";
import { json, table, when } from "./output.js";

export function outboxCommand(ctx: AdminContext): Command {
  return new Command("outbox")
    .description("list pending and failed sends (resend <id> sends a failed one again)")
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const rows = await ctx.withDatabase(options, ({ model }) => model.outbox());
      ctx.io.out(options.json ? json(rows) : sendTable(rows, "Nothing waiting: every send was delivered."));
    });
}

export function sendTable(rows: readonly SendRow[], empty: string): string {
  return table<SendRow>(rows, [
    { title: "ID", value: (r) => r.id, align: "right" },
    { title: "CHAT", value: (r) => r.chatId },
    { title: "STATUS", value: (r) => r.status },
    { title: "ATTEMPTS", value: (r) => r.attempts, align: "right" },
    { title: "NEXT TRY", value: (r) => when(r.nextAttemptAt) },
    { title: "SEND", value: (r) => r.what },
    { title: "ERROR", value: (r) => r.error },
  ], empty);
}

// `admin timers`: durable timers not yet fired (dialog time-outs, model retries, scheduled exports).
import { Command } from "commander";
import type { TimerRow } from "../../admin/read-model.js";
import type { AdminContext, GlobalOptions } from "./context.js";
import { json, table, when } from "./output.js";

export function timersCommand(ctx: AdminContext): Command {
  return new Command("timers")
    .description("list timers not yet fired")
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const rows = await ctx.withDatabase(options, ({ model }) => model.timers());
      ctx.io.out(options.json ? json(rows) : timerTable(rows, "No timers armed."));
    });
}

export function timerTable(rows: readonly TimerRow[], empty: string): string {
  return table<TimerRow>(rows, [
    { title: "ID", value: (r) => r.id },
    { title: "CHAT", value: (r) => r.chatId },
    { title: "KIND", value: (r) => r.kind },
    { title: "FIRES AT", value: (r) => when(r.fireAt) },
  ], empty);
}

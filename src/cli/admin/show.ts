// `admin show <chatId>`: one chat in detail: its state (open dialog and step), its recent messages
// with the steps their journals recorded and what they sent, pending sends, timers, and what an
// operator did to it.
import { Command, InvalidArgumentError, Option } from "commander";
import type { ChatDetail, MessageRow } from "../../admin/read-model.js";
import type { AdminContext, GlobalOptions } from "./context.js";
import { sendTable } from "./outbox.js";
import { AdminError, cell, json, when } from "./output.js";
import { timerTable } from "./timers.js";

export function showCommand(ctx: AdminContext): Command {
  return new Command("show")
    .description("show one chat: state, open dialog and step, recent messages with their journal steps, pending sends")
    .argument("<chatId>", "the chat id (see admin chats)")
    .addOption(new Option("--recent <n>", "how many recent messages").argParser(count).default(10))
    .action(async (chatId: string, _options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { recent: number }>();
      const detail = await ctx.withDatabase(options, ({ model }) => model.show(chatId, options.recent));
      if (!detail) throw new AdminError(`no chat ${chatId} in the database (see admin chats)`);
      ctx.io.out(options.json ? json(detail) : describe(detail));
    });
}

function describe(chat: ChatDetail): string {
  const lines = [`Chat ${cell(chat.chatId)}: ${chat.entries} ${chat.entries === 1 ? "entry" : "entries"}`];
  const { state } = chat;
  if (state.version === null) lines.push("State: none stored (the chat never changed it)");
  else lines.push(`State: version ${state.version}, saved ${when(state.updatedAt)}`);
  if (state.dialog) {
    const field = state.dialog.field ? ` (${cell(state.dialog.field)})` : "";
    const answered = state.dialog.answers.length > 0 ? `; answered: ${state.dialog.answers.map(cell).join(", ")}` : "";
    lines.push(`Dialog: ${cell(state.dialog.name)}, waiting on step ${state.dialog.step + 1}${field}${answered}`);
  } else {
    lines.push("Dialog: none open");
  }
  for (const waiting of state.waiting) lines.push(`Waiting: ${cell(waiting)}`);

  lines.push("", `Recent messages, newest first (${chat.messages.length}):`);
  if (chat.messages.length === 0) lines.push("  none stored");
  for (const message of chat.messages) lines.push(...messageLines(message));

  lines.push("", "Pending sends:");
  lines.push(indent(sendTable(chat.pendingSends, "none: every send was delivered")));
  lines.push("", "Timers:");
  lines.push(indent(timerTable(chat.timers, "none armed")));
  if (chat.operatorActions.length > 0) {
    lines.push("", "Operator actions:");
    for (const a of chat.operatorActions) {
      const was = a.previousError ? ` (it had: ${cell(a.previousError)})` : "";
      lines.push(`  ${when(a.at)}  ${a.action} ${cell(a.targetId)} by ${cell(a.by)}${was}`);
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function messageLines(m: MessageRow): string[] {
  const tries = m.attempts > 0 ? `, ${m.attempts} failed ${m.attempts === 1 ? "try" : "tries"}` : "";
  const lines = [`  ${cell(m.id)}  ${m.status}${tries}  ${when(m.receivedAt)}  ${m.what}`];
  if (m.error && m.status !== "done") lines.push(`      last error: ${cell(m.error)}`);
  for (const step of m.steps) {
    const result = step.error !== null ? `failed: ${cell(step.error)}` : step.output !== null ? `→ ${cell(step.output)}` : "";
    lines.push(`      #${step.seq} ${cell(step.name)} ${result}`.trimEnd());
  }
  for (const send of m.sends) lines.push(`      sent #${send.id} ${send.status}: ${send.what}`);
  return lines;
}

function indent(text: string): string {
  return text.trimEnd().split("\n").map((line) => `  ${line}`).join("\n");
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError("give a whole number from 1 to 1000.");
  return n;
}

// The commands every bot has: /start, /help, /cancel (alias /reset), and /skip outside a dialog.
import { endDialog } from "../dialogs/dialog.js";
import { clearConversation } from "../llm/memory.js";
import type { CommandRoute } from "../routes.js";
import type { Turn } from "../turn.js";

/** The help text, built from every listed command so it never falls out of date. */
export function helpText(commands: readonly CommandRoute[]): string {
  const lines = commands.filter((c) => c.listed !== false).map((c) => `/${c.name}: ${c.description}`);
  return ["I remember what you read, watch and quote.", "", ...lines].join("\n");
}

export function cancel(turn: Turn, noun: string | undefined): void {
  endDialog(turn);
  delete turn.state.pendingCommand;
  // The language model's memory of the conversation goes too (and any question it asked, and
  // messages waiting for it: said, so that none is dropped silently).
  const waiting = turn.state.llm?.waiting?.length ?? 0;
  const forgot = clearConversation(turn);
  const dropped = waiting === 0 ? "" : ` I also dropped ${waiting === 1 ? "your message" : `your ${waiting} messages`} waiting for the language model.`;
  turn.reply((noun ? `OK, I dropped the ${noun}.` : forgot ? "OK, I've cleared our conversation." : "There's nothing to cancel.") + dropped);
}

export function basicCommands(allCommands: () => readonly CommandRoute[]): CommandRoute[] {
  return [
    { name: "start", description: "say hello", listed: false, run: (turn) => turn.reply(`Hi! ${helpText(allCommands())}`) },
    { name: "help", description: "what I can do", run: (turn) => turn.reply(helpText(allCommands())) },
    { name: "cancel", aliases: ["reset"], description: "stop what we're doing (also /reset)", run: (turn) => cancel(turn, undefined) },
    { name: "skip", description: "skip an optional question", listed: false, run: (turn) => turn.reply("There's nothing to skip right now.") },
  ];
}

// /alerts: new-episode alerts for this chat. "/alerts off" stops them, "/alerts on" turns them back
// on, "/alerts" says which it is. The setting is written in a journaled step (chat_settings).
import type { CommandRoute } from "../routes.js";
import type { Turn } from "../turn.js";

const ABOUT = "I tell you when a new episode of a show you're watching is out (for shows you picked from a search when adding them).";

async function alerts(turn: Turn, args: string): Promise<void> {
  const settings = turn.deps.settings;
  if (!settings) {
    turn.reply("New-episode alerts aren't available here.");
    return;
  }
  const choice = args.trim().toLowerCase();
  if (choice === "on" || choice === "off") {
    const enabled = choice === "on";
    await turn.ctx.write("set-alerts", (tx) => settings.within(tx).setAlertsEnabled(turn.chatId, enabled));
    turn.reply(enabled
      ? `New-episode alerts are on. ${ABOUT} Turn them off with /alerts off.`
      : "New-episode alerts are off: I won't message you about new episodes. Turn them back on with /alerts on.");
    return;
  }
  const enabled = await settings.alertsEnabled(turn.chatId);
  const usage = enabled ? "Turn them off with /alerts off." : "Turn them on with /alerts on.";
  const known = choice === "" ? "" : `I don't know "/alerts ${args.trim().slice(0, 20)}". `;
  turn.reply(`${known}New-episode alerts are ${enabled ? "on" : "off"}. ${ABOUT} ${usage}`);
}

export const alertCommands: CommandRoute[] = [
  { name: "alerts", description: "new-episode alerts: /alerts on or /alerts off", run: alerts },
];

// `/export weekly`: the chat's list sent into the chat as CSV and JSON every week, by a durable
// timer; `/export off` stops it, `/export schedule` says when the next one comes. The timer fires
// once (it becomes one inbox message), and the files, the next week's timer and the new date are
// committed together, so a crash around the firing never sends a week's export twice nor skips one.
import { z } from "zod";
import type { Turn } from "../turn.js";

/** The kind of the durable timer behind `/export weekly`. */
export const EXPORT_TIMER = "weekly-export";
export const WEEK_MS = 7 * 24 * 3600_000;
/** The words `/export` takes besides formats. */
export const SCHEDULE_WORDS = ["weekly", "off", "schedule"] as const;

const timerMessage = z.object({ timerId: z.string(), kind: z.literal(EXPORT_TIMER) });

export function scheduleExport(turn: Turn, word: (typeof SCHEDULE_WORDS)[number]): void {
  const schedule = turn.state.exportSchedule;
  switch (word) {
    case "weekly": {
      if (schedule) {
        turn.reply(`Weekly exports are already on: the next one comes ${day(schedule.nextAtMs)}. /export off stops them.`);
        return;
      }
      const nextAtMs = turn.ctx.now() + WEEK_MS;
      turn.state.exportSchedule = { every: "week", nextAtMs, timerId: turn.ctx.setTimer(EXPORT_TIMER, nextAtMs, null) };
      turn.reply(`Done: every week I'll send your list here as CSV and JSON files, starting ${day(nextAtMs)}. /export off stops it.`);
      return;
    }
    case "off":
      if (!schedule) {
        turn.reply("Weekly exports weren't on. /export weekly sends your list here every week.");
        return;
      }
      turn.ctx.cancelTimer(schedule.timerId);
      delete turn.state.exportSchedule;
      turn.reply("Weekly exports are off. /export weekly turns them back on.");
      return;
    case "schedule":
      turn.reply(
        schedule
          ? `Every week I send your list here as CSV and JSON files; the next one comes ${day(schedule.nextAtMs)}. /export off stops it.`
          : "No scheduled exports. /export weekly sends your list here every week.",
      );
  }
}

/**
 * The weekly timer came due: send the files (`sendFiles`, the same as /export's) and arm the next
 * one. A timer that is no longer the armed one (exports turned off, or off and on again) is ignored.
 */
export async function handleExportTimer(turn: Turn, sendFiles: (turn: Turn, label: string) => Promise<boolean>): Promise<void> {
  const parsed = timerMessage.safeParse(turn.ctx.message.payload);
  const schedule = turn.state.exportSchedule;
  if (!parsed.success || !schedule || schedule.timerId !== parsed.data.timerId) return;
  // After a long stop the missed weeks are not sent one by one: one export now, then weekly again.
  const now = turn.ctx.now();
  const weeks = Math.max(1, Math.ceil((now - schedule.nextAtMs + 1) / WEEK_MS));
  const nextAtMs = schedule.nextAtMs + weeks * WEEK_MS;
  turn.state.exportSchedule = { every: "week", nextAtMs, timerId: turn.ctx.setTimer(EXPORT_TIMER, nextAtMs, null) };
  // An empty list sends nothing; the schedule goes on.
  await sendFiles(turn, "Your weekly export");
}

/** "Thursday, December 10 (UTC)": the bot knows no time zone of the chat's. */
function day(ms: number): string {
  return `${new Intl.DateTimeFormat("en-US", { weekday: "long", month: "long", day: "numeric", timeZone: "UTC" }).format(ms)} (UTC)`;
}

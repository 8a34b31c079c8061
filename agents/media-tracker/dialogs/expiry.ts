// Dropping a dialog left unanswered: dialog.ts arms a durable timer ("dialog-expiry") when a
// dialog starts and re-arms it on every accepted answer. When a timer message arrives, it drops
// the dialog only if the timer is the one the open dialog armed last; any other (an old timer
// already re-armed, a dialog ended meanwhile, a timer of another kind) is ignored silently.
import { z } from "zod";
import type { Turn } from "../turn.js";
import { DEFAULT_DIALOG_TIMEOUT_MS, DIALOG_EXPIRY_TIMER, activityOf } from "./dialog.js";
import { DIALOGS } from "./index.js";

const timerMessage = z.object({ timerId: z.string(), kind: z.string() });

/** Handles a message of kind "timer" (payload: the runtime's TimerMessage). */
export function handleTimer(turn: Turn): void {
  const parsed = timerMessage.safeParse(turn.ctx.message.payload);
  if (!parsed.success || parsed.data.kind !== DIALOG_EXPIRY_TIMER) return;
  const dialog = turn.state.dialog;
  if (!dialog || dialog.expiryTimerId !== parsed.data.timerId) return;

  const spec = DIALOGS.get(dialog.name);
  // The timer has fired: nothing to disarm, only the progress to forget (and a pending
  // "drop the dialog?" question, which is moot now).
  delete turn.state.dialog;
  delete turn.state.pendingCommand;
  const after = formatDuration(turn.deps.dialogTimeoutMs ?? DEFAULT_DIALOG_TIMEOUT_MS);
  if (spec && spec.command === false) {
    // An edit: "your unfinished change" would not say which one.
    turn.reply(`I stopped ${activityOf(spec)} after ${after} without an answer. Nothing changed.`);
    return;
  }
  const again = spec ? ` Start again with /${spec.name}.` : "";
  turn.reply(`Your unfinished ${spec?.noun ?? "dialog"} was dropped after ${after} without an answer.${again}`);
}

/** 86_400_000 → "24 hours"; 5_400_000 → "90 minutes"; 60_000 → "1 minute". */
export function formatDuration(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (ms < 60_000) return plural(Math.max(1, Math.round(ms / 1000)), "second");
  const minutes = Math.round(ms / 60_000);
  if (minutes % 60 === 0) return plural(minutes / 60, "hour");
  return plural(minutes, "minute");
}

// What retry, drop and resend print: the action as recorded, or one line saying why nothing changed.
import type { OperatorOutcome } from "../../../runtime/index.js";
import { AdminError, json } from "./output.js";

/** The action's JSON answer, or the one-line error that says why nothing was changed. */
export function actionResult(outcome: OperatorOutcome, what: string, needed: string, verb: string): { chatId: string; json: string } {
  if (outcome.status === "not-found") throw new AdminError(`no ${what} in the database`);
  if (outcome.status === "refused") {
    throw new AdminError(`${what} is ${outcome.current}, not ${needed}: only a ${needed} one can be ${verb}; nothing was changed`);
  }
  const { targetId: id, agentKey: chatId, action, actor: by, atMs, previousError } = outcome;
  return { chatId, json: json({ id, chatId, action, by, at: new Date(atMs).toISOString(), previousError }) };
}

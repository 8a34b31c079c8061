// Guided dialogs: ask one field per message, check the answer, re-ask with the reason when it is
// wrong (the reason and the question in one message), accept /skip for optional fields, and save
// when the last field is answered. Progress is plain state (step + answers), so a dialog can wait
// for days and survives restarts and deploys.
import type { Parsed } from "../fields.js";
import { ownerOf } from "../group.js";
import type { Entry, NewEntry } from "../media-store.js";
import type { Button } from "../outgoing.js";
import type { DialogState } from "../state.js";
import type { Turn } from "../turn.js";
import { type LookupKind, PROVIDER_DATA, currentOffer, labelOf, offerButtons, pickFields, searchTitle } from "./lookup.js";

export interface FieldSpec {
  name: string;
  /** The field in words, when its name is not ("quote text" for "text"). Default: the name. */
  label?: string;
  /** The question, naming the field ("What's the movie's title?"). */
  prompt: string;
  parse(input: string): Parsed<unknown>;
  optional?: boolean;
  /** What the prompt of an optional field says about /skip. Default: " Send /skip to leave it out." */
  skipHint?: string;
  buttons?: Button[][];
}

export interface DialogSpec {
  /** Also the command that starts it, e.g. "add_movie". */
  name: string;
  /** Bump whenever fields are added, removed or reordered. */
  version: number;
  /** What is being added or changed, for messages ("movie"). */
  noun: string;
  /** What the person is doing, for "(/cancel to stop …)" and "in the middle of …". Default "adding a <noun>". */
  activity?: string;
  /** One line for /help and the command menu. */
  description: string;
  /** False for dialogs started by a button rather than a command (edits). Default: a command. */
  command?: false;
  /** False keeps the command out of /help and the menu (test dialogs). Default: listed. */
  listed?: false;
  fields: FieldSpec[];
  /** After the "title" field, look the title up with this kind's provider and offer the matches (dialogs/lookup.ts). */
  lookup?: LookupKind;
  /** Saves the answers (through a journaled write) and returns the confirmation text. */
  save(turn: Turn, data: Record<string, unknown>): Promise<string>;
  /**
   * Carries a dialog started under an older `version` over to this one, or returns undefined to
   * restart it (with an apology). The result's `step` must point at the field the person was asked
   * under the old version, since their next message answers that question. Without `migrate`,
   * an old dialog always restarts.
   */
  migrate?(old: DialogState): DialogState | undefined;
}

/** The kind of the durable timer that drops a dialog left unanswered (see expiry.ts). */
export const DIALOG_EXPIRY_TIMER = "dialog-expiry";
/** How long a dialog waits for an answer when deps.dialogTimeoutMs is not set. */
export const DEFAULT_DIALOG_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** Button data that answers the current field of a dialog: "answer:<value>". */
export const ANSWER_PREFIX = "answer:";

/** Starts `spec` and asks its first field; `before` opens the same message (an apology, the entry being changed). */
export function startDialog(turn: Turn, spec: DialogSpec, before?: string): void {
  // A dialog still open here (a restart after a deploy) must not leave its timer armed.
  if (turn.state.dialog) endDialog(turn);
  const owner = ownerOf(turn);
  turn.state.dialog = { name: spec.name, version: spec.version, step: 0, data: {}, ...(owner ? { owner } : {}) };
  armExpiry(turn, turn.state.dialog);
  ask(turn, spec, spec.fields[0]!, before);
}

/** Leaves the open dialog, if any: disarms its expiry timer and forgets its progress. */
export function endDialog(turn: Turn): void {
  const timerId = turn.state.dialog?.expiryTimerId;
  if (timerId !== undefined) turn.ctx.cancelTimer(timerId);
  delete turn.state.dialog;
}

/** (Re-)arms the timer that drops the dialog after the timeout without an accepted answer. */
function armExpiry(turn: Turn, dialog: DialogState): void {
  if (dialog.expiryTimerId !== undefined) turn.ctx.cancelTimer(dialog.expiryTimerId);
  const timeoutMs = turn.deps.dialogTimeoutMs ?? DEFAULT_DIALOG_TIMEOUT_MS;
  dialog.expiryTimerId = turn.ctx.setTimer(DIALOG_EXPIRY_TIMER, turn.ctx.now() + timeoutMs, { dialog: dialog.name });
}

/**
 * Takes one answer (typed, or a button's value) for the open dialog. A refused answer gets its
 * reason and the same question; an accepted one moves on and re-arms the expiry timer; the last
 * one saves the entry and ends the dialog.
 */
export async function answerDialog(turn: Turn, spec: DialogSpec, dialog: DialogState, input: string): Promise<void> {
  const field = spec.fields[dialog.step];
  if (!field) {
    // A step past the end cannot be produced by this code; start over rather than guess.
    endDialog(turn);
    turn.reply(`Sorry, I lost track of the ${spec.noun}. Please start again.`);
    return;
  }
  if (input.trim().toLowerCase() === "/skip") {
    if (!field.optional) {
      ask(turn, spec, field, `The ${field.label ?? field.name} is needed, so it can't be skipped.`);
      return;
    }
  } else {
    const parsed = field.parse(input);
    if (!parsed.ok) {
      // One message: a quick reader answers the question, not the reason sent a second before it.
      ask(turn, spec, field, parsed.error);
      return;
    }
    dialog.data[field.name] = parsed.value;
  }
  // An answer typed under offered matches goes on the manual way: those buttons no longer count.
  delete dialog.offer;

  dialog.step += 1;
  if (spec.lookup && field.name === "title" && spec.fields[dialog.step]) {
    const matches = await searchTitle(turn, spec.lookup, String(dialog.data.title));
    if (matches.length > 0) {
      dialog.offer = { token: turn.ctx.randomId().slice(0, 8), step: dialog.step, matches };
      armExpiry(turn, dialog);
      ask(turn, spec, spec.fields[dialog.step]!, "Is it one of these? Tap it, or just answer below.", dialog);
      return;
    }
  }
  await goOn(turn, spec, dialog);
}

/** Asks the next field not answered yet (a pick may have answered some), or saves when none is left. */
async function goOn(turn: Turn, spec: DialogSpec, dialog: DialogState, before?: string): Promise<void> {
  while (spec.fields[dialog.step] && dialog.data[spec.fields[dialog.step]!.name] !== undefined) dialog.step += 1;
  const next = spec.fields[dialog.step];
  if (next) {
    armExpiry(turn, dialog);
    ask(turn, spec, next, before);
    return;
  }
  const confirmation = await spec.save(turn, dialog.data);
  endDialog(turn);
  turn.reply(before ? `${before}\n\n${confirmation}` : confirmation);
}

/**
 * A press of an offered match ("lk:<token>:<index>") or of "None of these" ("lk:<token>:none").
 * Returns a toast for a button that no longer counts (another offer, a question already answered).
 */
export async function pickMatch(turn: Turn, spec: DialogSpec, dialog: DialogState, token: string | undefined, choice: string | undefined): Promise<string | undefined> {
  const offer = currentOffer(dialog, token);
  const match = offer && choice !== undefined && /^\d$/.test(choice) ? offer.matches[Number(choice)] : undefined;
  if (!offer || !spec.lookup || (choice !== "none" && !match)) return "That button is no longer active.";
  delete dialog.offer;
  if (!match) {
    askAgain(turn, spec, dialog, "OK, none of those. Let's type it in.");
    return undefined;
  }
  const { answers, provider } = await pickFields(turn, spec.lookup, match);
  // The pick replaces the typed title with the provider's and answers what it knows.
  Object.assign(dialog.data, answers);
  if (Object.keys(provider).length > 0) dialog.data[PROVIDER_DATA] = provider;
  await goOn(turn, spec, dialog, `Got it: ${labelOf(match)}.`);
  return undefined;
}

/** Repeats the question the dialog is waiting on, after `before` (a note about an aside) in the same message. */
export function askAgain(turn: Turn, spec: DialogSpec, dialog: DialogState, before?: string): void {
  const field = spec.fields[dialog.step];
  if (field) ask(turn, spec, field, before, dialog);
  else if (before) turn.reply(before);
}

/**
 * Asks `field` in one message, after `before` (a reason, a note) when there is one; matches
 * offered for this question (in `dialog`) come first among its buttons.
 */
function ask(turn: Turn, spec: DialogSpec, field: FieldSpec, before?: string, dialog?: DialogState): void {
  const skip = field.optional ? (field.skipHint ?? " Send /skip to leave it out.") : "";
  const question = `${field.prompt}${skip}\n(/cancel to stop ${activityOf(spec)})`;
  const offer = dialog?.offer && dialog.offer.step === dialog.step ? offerButtons(dialog.offer) : [];
  const buttons = [...offer, ...(field.buttons ?? [])];
  // turn.ask: in a group, the question asks for a reply so that the answer reaches the bot.
  turn.ask(before ? `${before}\n\n${question}` : question, buttons.length > 0 ? buttons : undefined);
}

/** "adding a movie", "changing an entry": what an open dialog is doing, for messages. */
export function activityOf(spec: DialogSpec): string {
  return spec.activity ?? `adding a ${spec.noun}`;
}

/**
 * Saves a dialog's new entry exactly once: a recorded id and time, then one journaled write.
 * `fields` gets the time it was added (e.g. for a movie's watch date).
 */
export async function saveNewEntry(turn: Turn, fields: (addedAtMs: number) => Omit<NewEntry, "id" | "addedAtMs">): Promise<Entry> {
  const id = turn.ctx.randomId();
  const addedAtMs = turn.ctx.now();
  const entry: NewEntry = { ...fields(addedAtMs), id, addedAtMs };
  return turn.ctx.write("add-entry", (tx) => turn.deps.media.within(tx).add(turn.chatId, entry));
}

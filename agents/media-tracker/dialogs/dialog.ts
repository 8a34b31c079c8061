// Guided dialogs: ask one field per message, check the answer, re-ask with the reason when it is
// wrong, accept /skip for optional fields, and save when the last field is answered. Progress is
// plain state (step + answers), so a dialog can wait for days and survives restarts and deploys.
import type { Parsed } from "../fields.js";
import type { Button } from "../outgoing.js";
import type { DialogState } from "../state.js";
import type { Turn } from "../turn.js";

export interface FieldSpec {
  name: string;
  /** The question, naming the field ("What's the movie's title?"). */
  prompt: string;
  parse(input: string): Parsed<unknown>;
  optional?: boolean;
  buttons?: Button[][];
}

export interface DialogSpec {
  /** Also the command that starts it, e.g. "add_movie". */
  name: string;
  /** Bump whenever fields are added, removed or reordered. */
  version: number;
  /** What is being added or changed, for messages ("movie"). */
  noun: string;
  /** One line for /help and the command menu. */
  description: string;
  /** False for dialogs started by a button rather than a command (edits). Default: a command. */
  command?: false;
  fields: FieldSpec[];
  /** Saves the answers (through a journaled write) and returns the confirmation text. */
  save(turn: Turn, data: Record<string, unknown>): Promise<string>;
}

/** Button data that answers the current field of a dialog: "answer:<value>". */
export const ANSWER_PREFIX = "answer:";

export function startDialog(turn: Turn, spec: DialogSpec): void {
  turn.state.dialog = { name: spec.name, version: spec.version, step: 0, data: {} };
  ask(turn, spec, spec.fields[0]!);
}

/**
 * Takes one answer for the open dialog. `viaButton` answers come from the field's own buttons.
 * Returns false when the answer was not taken (the caller has nothing else to do: we re-asked).
 */
export async function answerDialog(turn: Turn, spec: DialogSpec, dialog: DialogState, input: string): Promise<void> {
  const field = spec.fields[dialog.step];
  if (!field) {
    // A step past the end cannot be produced by this code; start over rather than guess.
    delete turn.state.dialog;
    turn.reply(`Sorry, I lost track of the ${spec.noun} you were adding. Please start again with /${spec.name}.`);
    return;
  }
  if (input.trim().toLowerCase() === "/skip") {
    if (!field.optional) {
      turn.reply(`The ${field.name} is needed, so it can't be skipped.`);
      ask(turn, spec, field);
      return;
    }
  } else {
    const parsed = field.parse(input);
    if (!parsed.ok) {
      turn.reply(parsed.error);
      ask(turn, spec, field);
      return;
    }
    dialog.data[field.name] = parsed.value;
  }

  dialog.step += 1;
  const next = spec.fields[dialog.step];
  if (next) {
    ask(turn, spec, next);
    return;
  }
  const confirmation = await spec.save(turn, dialog.data);
  delete turn.state.dialog;
  turn.reply(confirmation);
}

/** Repeats the question the dialog is waiting on. */
export function askAgain(turn: Turn, spec: DialogSpec, dialog: DialogState): void {
  const field = spec.fields[dialog.step];
  if (field) ask(turn, spec, field);
}

function ask(turn: Turn, spec: DialogSpec, field: FieldSpec): void {
  const skip = field.optional ? " Send /skip to leave it out." : "";
  turn.reply(`${field.prompt}${skip}\n(/cancel to stop adding this ${spec.noun})`, field.buttons);
}

// Editing one field of an entry: a one-question dialog per editable field (started by the
// "ed:<id>:<field>" button, not by a command). The entry's id rides in the dialog's data, so an
// edit waits across restarts like any dialog. /skip leaves an optional field as it is; "clear"
// removes it.
import { entryRef, formatEntryLine } from "../entry-view.js";
import { orClear, parseNotes, parsePage } from "../edit-fields.js";
import {
  MAX_YEAR, MIN_YEAR, type Parsed, parseAuthor, parseEpisode, parseQuoteText, parseRating, parseSeason, parseTitle, parseYear,
} from "../fields.js";
import type { Entry, EntryFields, EntryKind } from "../media-store.js";
import type { Turn } from "../turn.js";
import { type DialogSpec, startDialog } from "./dialog.js";

export interface EditableField {
  /** In button data ("ed:<id>:<key>") and the dialog's name ("edit_<key>"). */
  key: string;
  /** The English word for it, in prompts and confirmations. */
  label: string;
  field: keyof EntryFields;
  kinds: readonly EntryKind[];
  /** Optional fields can be cleared ("clear") and skipped (/skip keeps the value). */
  optional: boolean;
  prompt: string;
  parse(input: string): Parsed<unknown>;
}

const CLEAR_HINT = ' Send "clear" to remove it.';

export const EDITABLE_FIELDS: readonly EditableField[] = [
  { key: "title", label: "title", field: "title", kinds: ["book", "movie", "show"], optional: false, prompt: "What's the new title?", parse: parseTitle },
  { key: "text", label: "quote text", field: "quoteText", kinds: ["quote"], optional: false, prompt: "What's the new quote text?", parse: parseQuoteText },
  { key: "work", label: "title of the work", field: "title", kinds: ["quote"], optional: false, prompt: "What's the new title of the work it's from?", parse: parseTitle },
  { key: "author", label: "author", field: "author", kinds: ["book", "quote"], optional: true, prompt: `Who's the author?${CLEAR_HINT}`, parse: orClear(parseAuthor) },
  { key: "year", label: "year", field: "year", kinds: ["movie"], optional: false, prompt: `What's the new year? (${MIN_YEAR}–${MAX_YEAR})`, parse: parseYear },
  { key: "season", label: "season", field: "season", kinds: ["show"], optional: false, prompt: "Which season are you on? (a number, like 2)", parse: parseSeason },
  { key: "episode", label: "episode", field: "episode", kinds: ["show"], optional: false, prompt: "Which episode are you on? (a number, like 5)", parse: parseEpisode },
  { key: "rating", label: "rating", field: "rating", kinds: ["book", "movie", "show"], optional: true, prompt: `Your new rating, 1 to 5 stars? Half stars like 3.5 are fine.${CLEAR_HINT}`, parse: orClear(parseRating) },
  { key: "page", label: "page", field: "currentPage", kinds: ["book"], optional: true, prompt: `Which page are you on?${CLEAR_HINT}`, parse: orClear(parsePage) },
  { key: "notes", label: "notes", field: "notes", kinds: ["book", "movie", "show", "quote"], optional: true, prompt: `What notes should it have? (they replace the old ones)${CLEAR_HINT}`, parse: orClear(parseNotes) },
];

/** The fields a person can edit on an entry of this kind, in the order the buttons show them. */
export function editableFields(kind: EntryKind): EditableField[] {
  return EDITABLE_FIELDS.filter((f) => f.kinds.includes(kind));
}

export function editDialogName(key: string): string {
  return `edit_${key}`;
}

/** Dialog data key for the entry being edited. */
const ENTRY_ID = "entryId";

function editDialog(edit: EditableField): DialogSpec {
  return {
    name: editDialogName(edit.key),
    version: 1,
    noun: "change",
    activity: `changing the ${edit.label}`,
    description: `change an entry's ${edit.label}`,
    command: false,
    fields: [{ name: edit.key, prompt: edit.prompt, parse: edit.parse, optional: edit.optional }],
    async save(turn, data) {
      const { ctx, deps } = turn;
      const id = data[ENTRY_ID];
      if (typeof id !== "string") return "Sorry, I lost track of which entry you were changing. Open it again from a list (/list).";
      if (!(edit.key in data)) {
        const entry = deps.media.get(turn.chatId, id);
        return entry ? `Nothing changed: ${formatEntryLine(entry)}` : "That entry no longer exists.";
      }
      const value = data[edit.key];
      const nowMs = ctx.now();
      const updated = await ctx.write("update-entry", () => {
        const entry = deps.media.get(turn.chatId, id);
        if (!entry || !edit.kinds.includes(entry.kind)) return undefined;
        return deps.media.update(turn.chatId, id, { [edit.field]: value }, nowMs);
      });
      if (!updated) return "That entry no longer exists.";
      const verb = value === null ? `Removed the ${edit.label}` : `Changed the ${edit.label}`;
      return `${verb}: ${formatEntryLine(updated)}`;
    },
  };
}

/** One dialog per editable field; registered in dialogs/index.ts. */
export const EDIT_DIALOGS: readonly DialogSpec[] = EDITABLE_FIELDS.map(editDialog);
const dialogsByKey = new Map(EDITABLE_FIELDS.map((f, i) => [f.key, EDIT_DIALOGS[i]!]));

/** Starts editing `key` of `entry` (the caller checked the entry is the chat's and no dialog is open). */
export function startEdit(turn: Turn, entry: Entry, edit: EditableField): void {
  const spec = dialogsByKey.get(edit.key);
  if (!spec) throw new Error(`No edit dialog for ${edit.key}`);
  const current = entry[edit.field];
  const shown = current === undefined ? "not set" : String(current).length > 200 ? `${String(current).slice(0, 199)}…` : String(current);
  turn.reply(`Changing the ${edit.label} of ${entryRef(entry)}. Now: ${shown}`);
  startDialog(turn, spec);
  turn.state.dialog!.data[ENTRY_ID] = entry.id;
}

// Editing one field of an entry: a one-question dialog per editable field (started by the
// "ed:<id>:<field>" button or the card's ⭐ Rate, not by a command). The entry's id rides in the
// dialog's data, so an edit waits across restarts like any dialog. /skip leaves an optional field
// as it is; "clear" removes it. When the edit was started from a card, the card is updated in place.
import { entryActionButtons, entryRef, formatEntryCard, formatEntryLine } from "../entry-view.js";
import { orClear, parseDate, parseNotes, parsePage } from "../edit-fields.js";
import {
  MAX_YEAR, MIN_YEAR, type Parsed, formatRating, parseAuthor, parseEpisode, parseQuoteText, parseRating, parseSeason, parseTitle, parseYear,
} from "../fields.js";
import type { Entry, EntryFields, EntryKind } from "../media-store.js";
import type { Button } from "../outgoing.js";
import type { Turn } from "../turn.js";
import { RATING_BUTTONS } from "./add-movie.js";
import { type DialogSpec, startDialog } from "./dialog.js";

export interface EditableField {
  /** In button data ("ed:<id>:<key>") and the dialog's name ("edit_<key>"). */
  key: string;
  /** The English words for it, in prompts and confirmations ("finish date"). */
  label: string;
  /** The edit menu's button, when it should read otherwise than the label ("finished on"). */
  button?: string;
  /** Plural labels ("notes") are "them" in prompts. */
  plural?: boolean;
  field: keyof EntryFields;
  kinds: readonly EntryKind[];
  /** Optional fields can be cleared ("clear") and skipped (/skip keeps the value). */
  optional: boolean;
  /** False when the entry's one-line view does not show the field: the confirmation names the value instead. */
  inLine?: false;
  prompt: string;
  parse(input: string): Parsed<unknown>;
  buttons?: Button[][];
}

const DATE_EXAMPLE = "Send the date as year-month-day, like 2024-05-17.";

export const EDITABLE_FIELDS: readonly EditableField[] = [
  { key: "title", label: "title", field: "title", kinds: ["book", "movie", "show"], optional: false, prompt: "What's the new title?", parse: parseTitle },
  { key: "text", label: "quote text", field: "quoteText", kinds: ["quote"], optional: false, prompt: "What's the new quote text?", parse: parseQuoteText },
  { key: "work", label: "title of the work", button: "work", field: "title", kinds: ["quote"], optional: false, prompt: "What's the new title of the work it's from?", parse: parseTitle },
  { key: "author", label: "author", field: "author", kinds: ["book", "quote"], optional: true, prompt: "Who's the author?", parse: orClear(parseAuthor) },
  { key: "year", label: "year", field: "year", kinds: ["movie"], optional: false, prompt: `What year did it come out? (${MIN_YEAR}–${MAX_YEAR})`, parse: parseYear },
  { key: "season", label: "season", field: "season", kinds: ["show"], optional: false, prompt: "Which season are you on? (a number, like 2)", parse: parseSeason },
  { key: "episode", label: "episode", field: "episode", kinds: ["show"], optional: false, prompt: "Which episode are you on? (a number, like 5)", parse: parseEpisode },
  {
    key: "rating", label: "rating", field: "rating", kinds: ["book", "movie", "show"], optional: true,
    prompt: "Your new rating, 1 to 5 stars? Tap a button or type it (half stars like 3.5 are fine).", parse: orClear(parseRating), buttons: RATING_BUTTONS,
  },
  { key: "page", label: "page", field: "currentPage", kinds: ["book"], optional: true, prompt: "Which page are you on?", parse: orClear(parsePage) },
  {
    key: "finished", label: "finish date", button: "finished on", field: "finishedOn", kinds: ["book"], optional: true, inLine: false,
    prompt: `When did you finish it? ${DATE_EXAMPLE}`, parse: orClear(parseDate),
  },
  { key: "watched", label: "watch date", button: "watched on", field: "watchedOn", kinds: ["movie"], optional: true, prompt: `When did you watch it? ${DATE_EXAMPLE}`, parse: orClear(parseDate) },
  {
    key: "notes", label: "notes", plural: true, field: "notes", kinds: ["book", "movie", "show", "quote"], optional: true, inLine: false,
    prompt: "What notes should it have? They replace the old ones.", parse: orClear(parseNotes),
  },
];

/** The fields a person can edit on an entry of this kind, in the order the buttons show them. */
export function editableFields(kind: EntryKind): EditableField[] {
  return EDITABLE_FIELDS.filter((f) => f.kinds.includes(kind));
}

export function editDialogName(key: string): string {
  return `edit_${key}`;
}

/** Dialog data keys: the entry being edited, and the card to update in place (when started from one). */
const ENTRY_ID = "entryId";
const CARD_MESSAGE_ID = "cardMessageId";

/** What /skip and "clear" do, in the words of this field ("it" or "them"). */
function skipHint(edit: EditableField): string {
  return edit.plural ? ' Send "clear" to remove them, or /skip to leave them as they are.' : ' Send "clear" to remove it, or /skip to leave it as it is.';
}

/** The field's value as the card shows it: stars for a rating, "not set" when empty, long texts cut. */
function shownValue(edit: EditableField, value: unknown): string {
  if (value === undefined || value === null) return "not set";
  if (edit.field === "rating" && typeof value === "number") return formatRating(value);
  const text = String(value).replace(/\s+/g, " ");
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function editDialog(edit: EditableField): DialogSpec {
  return {
    name: editDialogName(edit.key),
    version: 1,
    noun: "change",
    activity: `changing the ${edit.label}`,
    description: `change an entry's ${edit.label}`,
    command: false,
    fields: [{ name: edit.key, label: edit.label, prompt: edit.prompt, parse: edit.parse, optional: edit.optional, skipHint: skipHint(edit), ...(edit.buttons ? { buttons: edit.buttons } : {}) }],
    async save(turn, data) {
      const { ctx, deps } = turn;
      const id = data[ENTRY_ID];
      if (typeof id !== "string") return "Sorry, I lost track of which entry you were changing. Open it again from a list (/list).";
      if (!(edit.key in data)) {
        const entry = await deps.media.get(turn.chatId, id);
        return entry ? `Nothing changed: ${formatEntryLine(entry)}` : "That entry no longer exists.";
      }
      const value = data[edit.key];
      const nowMs = ctx.now();
      const updated = await ctx.write("update-entry", async (tx) => {
        const media = deps.media.within(tx);
        const entry = await media.get(turn.chatId, id);
        if (!entry || !edit.kinds.includes(entry.kind)) return undefined;
        return media.update(turn.chatId, id, { [edit.field]: value }, nowMs);
      });
      if (!updated) return "That entry no longer exists.";
      const card = data[CARD_MESSAGE_ID];
      if (typeof card === "number") turn.edit(card, formatEntryCard(updated), entryActionButtons(updated));
      return confirmation(edit, updated, value);
    },
  };
}

/** "Changed the title: Dune Messiah — Frank Herbert"; a field the line does not show is named with its value. */
function confirmation(edit: EditableField, entry: Entry, value: unknown): string {
  if (edit.inLine !== false) return `${value === null ? "Removed" : "Changed"} the ${edit.label}: ${formatEntryLine(entry)}`;
  if (value === null) return `Removed the ${edit.label} of ${entryRef(entry)}.`;
  if (edit.field === "notes") return `Changed the notes of ${entryRef(entry)}.`;
  return `Changed the ${edit.label} of ${entryRef(entry)} to ${shownValue(edit, value)}.`;
}

/** One dialog per editable field; registered in dialogs/index.ts. */
export const EDIT_DIALOGS: readonly DialogSpec[] = EDITABLE_FIELDS.map(editDialog);
const dialogsByKey = new Map(EDITABLE_FIELDS.map((f, i) => [f.key, EDIT_DIALOGS[i]!]));

/**
 * Starts editing `key` of `entry` (the caller checked the entry is the chat's and no dialog is
 * open): what is changing, its value now and the question, in one message. `cardMessageId` is the
 * entry's card, updated in place when the change is saved.
 */
export function startEdit(turn: Turn, entry: Entry, edit: EditableField, cardMessageId?: number): void {
  const spec = dialogsByKey.get(edit.key);
  if (!spec) throw new Error(`No edit dialog for ${edit.key}`);
  startDialog(turn, spec, `Changing the ${edit.label} of ${entryRef(entry)}. Now: ${shownValue(edit, entry[edit.field])}`);
  turn.state.dialog!.data[ENTRY_ID] = entry.id;
  if (cardMessageId !== undefined) turn.state.dialog!.data[CARD_MESSAGE_ID] = cardMessageId;
}

// The buttons under a listed entry: its card ("e:<id>", a new message), and on the card, each
// changing that same message in place: edit ("ef:<id>" → field buttons → "ed:<id>:<field>" starts
// an edit dialog), rate ("rt:<id>": the rating's edit dialog), status ("st:<id>" →
// "ss:<id>:<status>"), delete ("dl:<id>" → "dy:<id>" yes / "dn:<id>" no) and back to the card
// ("bk:<id>"). Button data may be forged or stale: every id is looked up in this chat's own
// entries first.
import { activityOf } from "../dialogs/dialog.js";
import { type EditableField, editableFields, startEdit } from "../dialogs/edit-entry.js";
import { DIALOGS } from "../dialogs/index.js";
import { CARD_BUTTON, entryActionButtons, entryRef, formatEntryCard, formatEntryLine } from "../entry-view.js";
import { KIND_STATUSES } from "../fields.js";
import { nameOf, otherMembersDialog } from "../group.js";
import type { Entry, EntryPatch, MediaReader } from "../media-store.js";
import type { Button } from "../outgoing.js";
import { type ButtonPress, type ButtonRoute, buttonData } from "../routes.js";
import type { Turn } from "../turn.js";

export const ENTRY_BUTTON = CARD_BUTTON.open;
/** "+1 episode" under a show (handled in progress.ts). */
export const WATCHED_BUTTON = CARD_BUTTON.watched;
export const NOT_FOUND = "That entry no longer exists.";
export { entryActionButtons };


/**
 * The chat's entry with this id, or undefined (deleted, forged, another chat's). Read from `media`:
 * committed data, or a write's own transaction (`turn.deps.media.within(tx)`).
 */
export async function findEntry(turn: Turn, id: string | undefined, media: MediaReader = turn.deps.media): Promise<Entry | undefined> {
  if (!id || id.length > 64) return undefined;
  return media.get(turn.chatId, id);
}

export type Change = { ok: true; before: Entry; after: Entry } | { ok: false; reason: string };

/**
 * Reads the entry, decides the patch and applies it inside one journaled write, so that a replay
 * after a crash sees the recorded outcome rather than re-reading an entry it already changed.
 * `decide` returns the patch, or the reason (a toast) to change nothing.
 */
export async function changeEntry(turn: Turn, id: string | undefined, decide: (entry: Entry, today: string) => EntryPatch | string): Promise<Change> {
  const nowMs = turn.ctx.now();
  const date = new Date(nowMs).toISOString().slice(0, 10);
  return turn.ctx.write("update-entry", async (tx): Promise<Change> => {
    const media = turn.deps.media.within(tx);
    const before = await findEntry(turn, id, media);
    if (!before) return { ok: false, reason: NOT_FOUND };
    const patch = decide(before, date);
    if (typeof patch === "string") return { ok: false, reason: patch };
    const after = await media.update(turn.chatId, before.id, patch, nowMs);
    return after ? { ok: true, before, after } : { ok: false, reason: NOT_FOUND };
  });
}

/**
 * Opens an entry's card as a new message. With a cover, the cover comes first as its own photo:
 * the card stays a text message, so its buttons go on editing it in place (editMessageText), it
 * keeps its 4,096 characters (a caption has 1,024), and a cover Telegram cannot fetch just leaves the card.
 */
function openCard(turn: Turn, entry: Entry): void {
  if (entry.coverUrl) turn.send({ type: "photo", url: entry.coverUrl, caption: entryRef(entry).slice(0, 200) });
  turn.reply(formatEntryCard(entry), entryActionButtons(entry));
}

/** Shows the entry's card with its buttons in the message the button was under. */
export function showCardInPlace(turn: Turn, entry: Entry, press: ButtonPress): void {
  turn.edit(press.messageId, formatEntryCard(entry), entryActionButtons(entry));
}

/**
 * Wraps a handler that only reads (and replies): an unknown id gets the toast and changes nothing.
 * Handlers that write look the entry up inside their write instead (changeEntry).
 */
function withEntry(
  run: (turn: Turn, entry: Entry, args: string[], press: ButtonPress) => void | string | Promise<void | string>,
): ButtonRoute["run"] {
  return async (turn, [id, ...args], press) => {
    const entry = await findEntry(turn, id);
    if (!entry) return NOT_FOUND;
    return run(turn, entry, args, press);
  };
}

/** In rows of `perRow`, with "« Back" (to the card) on a row of its own. */
function withBack(entry: Entry, buttons: Button[], perRow: number): Button[][] {
  const rows: Button[][] = [];
  for (let i = 0; i < buttons.length; i += perRow) rows.push(buttons.slice(i, i + perRow));
  rows.push([{ text: "« Back", data: buttonData(CARD_BUTTON.back, entry.id) }]);
  return rows;
}

function chooseField(turn: Turn, entry: Entry, _args: string[], press: ButtonPress): void {
  const buttons = editableFields(entry.kind).map((f) => ({ text: f.button ?? f.label, data: buttonData("ed", entry.id, f.key) }));
  turn.edit(press.messageId, `${formatEntryCard(entry)}\n\nWhat do you want to change?`, withBack(entry, buttons, 3));
}

/** Starts an edit dialog for `field`, unless another dialog is open; `restoreCard` gives the card its own buttons back. */
function startEditFrom(turn: Turn, entry: Entry, field: EditableField, press: ButtonPress, restoreCard: boolean): string | void {
  const open = turn.state.dialog;
  if (open) {
    const spec = DIALOGS.get(open.name);
    // "changing the title" for an open edit, not "adding a change".
    const activity = spec ? activityOf(spec) : "a dialog";
    // In a group the open dialog may be another member's: it is theirs to finish.
    const owner = otherMembersDialog(turn);
    turn.reply(owner
      ? `${nameOf(owner)} is in the middle of ${activity}. Tap the button again when they're done.`
      : `You're in the middle of ${activity}. Finish it or /cancel it first, then tap the button again.`);
    return;
  }
  if (restoreCard && press.messageId !== undefined) showCardInPlace(turn, entry, press);
  startEdit(turn, entry, field, press.messageId);
}

function edit(turn: Turn, entry: Entry, [key]: string[], press: ButtonPress): string | void {
  const field = editableFields(entry.kind).find((f) => f.key === key);
  if (!field) return "That button is no longer active.";
  // Pressed in the card's field menu: the card gets its own buttons back.
  return startEditFrom(turn, entry, field, press, true);
}

/** ⭐ Rate: the rating's edit dialog, so a typed 3.5 is understood as well as a tapped star. */
function rate(turn: Turn, entry: Entry, _args: string[], press: ButtonPress): string | void {
  const field = editableFields(entry.kind).find((f) => f.key === "rating");
  if (!field) return "Quotes don't have a rating.";
  return startEditFrom(turn, entry, field, press, false);
}

/** "rs:<id>:<1-5>": the star buttons earlier releases put under "Your rating for …?"; still honored. */
async function setRating(turn: Turn, [id, stars]: string[], press: ButtonPress): Promise<string | void> {
  if (!stars || !/^[1-5]$/.test(stars)) return "That button is no longer active.";
  const change = await changeEntry(turn, id, (e) => (e.kind === "quote" ? "Quotes don't have a rating." : { rating: Number(stars) }));
  if (!change.ok) return change.reason;
  turn.edit(press.messageId, `Rated: ${formatEntryLine(change.after)}`);
}

function askStatus(turn: Turn, entry: Entry, _args: string[], press: ButtonPress): string | void {
  const statuses = KIND_STATUSES[entry.kind];
  if (!statuses.length) return "Quotes don't have a status.";
  const buttons = statuses.map((s) => ({ text: s === entry.status ? `• ${s}` : s, data: buttonData("ss", entry.id, s) }));
  turn.edit(press.messageId, `${formatEntryCard(entry)}\n\nWhich status for ${entryRef(entry)}?`, withBack(entry, buttons, 2));
}

async function setStatus(turn: Turn, [id, status]: string[], press: ButtonPress): Promise<string | void> {
  if (!status) return "That button is no longer active.";
  const change = await changeEntry(turn, id, (e, today) => {
    if (!KIND_STATUSES[e.kind]?.includes(status)) return "That button is no longer active.";
    // A book marked finished (a movie marked watched) gets today's date, unless it already has one.
    if (e.kind === "book" && status === "finished" && !e.finishedOn) return { status, finishedOn: today };
    if (e.kind === "movie" && status === "watched" && !e.watchedOn) return { status, watchedOn: today };
    return { status };
  });
  if (!change.ok) return change.reason;
  // The card, updated in place, shows the new status (and the finish date it got).
  showCardInPlace(turn, change.after, press);
  return `Marked ${status}.`;
}

function askDelete(turn: Turn, entry: Entry, _args: string[], press: ButtonPress): void {
  turn.edit(press.messageId, `Delete ${entryRef(entry)}? This can't be undone.`, [[
    { text: "Yes, delete it", data: buttonData("dy", entry.id) },
    { text: "No, keep it", data: buttonData("dn", entry.id) },
  ]]);
}

async function deleteEntry(turn: Turn, [id]: string[], press: ButtonPress): Promise<string | void> {
  // Looked up inside the write: a replay returns what was deleted instead of finding nothing.
  const deleted = await turn.ctx.write("delete-entry", async (tx) => {
    const media = turn.deps.media.within(tx);
    const entry = await findEntry(turn, id, media);
    return entry && (await media.remove(turn.chatId, entry.id)) ? entry : null;
  });
  if (!deleted) return NOT_FOUND;
  // Said once, where the question was (no toast besides).
  turn.edit(press.messageId, `Deleted: ${formatEntryLine(deleted)}`);
}

export const entryButtons: ButtonRoute[] = [
  { prefix: CARD_BUTTON.open, run: withEntry(openCard) },
  { prefix: CARD_BUTTON.back, run: withEntry((turn, entry, _args, press) => showCardInPlace(turn, entry, press)) },
  { prefix: CARD_BUTTON.edit, run: withEntry(chooseField) },
  { prefix: "ed", run: withEntry(edit) },
  { prefix: CARD_BUTTON.rate, run: withEntry(rate) },
  { prefix: "rs", run: setRating },
  { prefix: CARD_BUTTON.status, run: withEntry(askStatus) },
  { prefix: "ss", run: setStatus },
  { prefix: CARD_BUTTON.delete, run: withEntry(askDelete) },
  { prefix: "dy", run: deleteEntry },
  // "No, keep it": the card again, in place of the question.
  { prefix: "dn", run: withEntry((turn, entry, _args, press) => showCardInPlace(turn, entry, press)) },
];

// The buttons under a listed entry: its card ("e:<id>"), then edit ("ef:<id>" → "ed:<id>:<field>"
// starts an edit dialog), rate ("rt:<id>" → "rs:<id>:<1-5>"), change status ("st:<id>" →
// "ss:<id>:<status>") and delete ("dl:<id>" → "dy:<id>" yes / "dn:<id>" no). Button data may be
// forged or stale: every id is looked up in this chat's own entries first.
import { activityOf } from "../dialogs/dialog.js";
import { editableFields, startEdit } from "../dialogs/edit-entry.js";
import { DIALOGS } from "../dialogs/index.js";
import { entryRef, formatEntryCard, formatEntryLine } from "../entry-view.js";
import { KIND_STATUSES } from "../fields.js";
import type { Entry, EntryPatch } from "../media-store.js";
import type { Button } from "../outgoing.js";
import { type ButtonPress, type ButtonRoute, buttonData } from "../routes.js";
import type { Turn } from "../turn.js";

export const ENTRY_BUTTON = "e";
/** "+1 episode" under a show (handled in progress.ts). */
export const WATCHED_BUTTON = "wt";
export const NOT_FOUND = "That entry no longer exists.";


/** The chat's entry with this id, or undefined (deleted, forged, another chat's). */
export function findEntry(turn: Turn, id: string | undefined): Entry | undefined {
  if (!id || id.length > 64) return undefined;
  return turn.deps.media.get(turn.chatId, id);
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
  return turn.ctx.write("update-entry", (): Change => {
    const before = findEntry(turn, id);
    if (!before) return { ok: false, reason: NOT_FOUND };
    const patch = decide(before, date);
    if (typeof patch === "string") return { ok: false, reason: patch };
    const after = turn.deps.media.update(turn.chatId, before.id, patch, nowMs);
    return after ? { ok: true, before, after } : { ok: false, reason: NOT_FOUND };
  });
}

export function entryActionButtons(entry: Entry): Button[][] {
  const first: Button[] = [{ text: "✏️ Edit", data: buttonData("ef", entry.id) }];
  if (entry.kind !== "quote") first.push({ text: "⭐ Rate", data: buttonData("rt", entry.id) });
  const second: Button[] = [];
  if (KIND_STATUSES[entry.kind]) second.push({ text: "🏷 Status", data: buttonData("st", entry.id) });
  second.push({ text: "🗑 Delete", data: buttonData("dl", entry.id) });
  const rows = [first, second];
  if (entry.kind === "show") rows.unshift([{ text: "+1 episode", data: buttonData(WATCHED_BUTTON, entry.id) }]);
  return rows;
}

function clearButtons(turn: Turn, press: ButtonPress): void {
  if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
}

/**
 * Wraps a handler that only reads (and replies): an unknown id gets the toast and changes nothing.
 * Handlers that write look the entry up inside their write instead (changeEntry).
 */
function withEntry(
  run: (turn: Turn, entry: Entry, args: string[], press: ButtonPress) => void | string | Promise<void | string>,
): ButtonRoute["run"] {
  return (turn, [id, ...args], press) => {
    const entry = findEntry(turn, id);
    if (!entry) return NOT_FOUND;
    return run(turn, entry, args, press);
  };
}

function showCard(turn: Turn, entry: Entry): void {
  turn.reply(formatEntryCard(entry), entryActionButtons(entry));
}

function chooseField(turn: Turn, entry: Entry): void {
  const buttons = editableFields(entry.kind).map((f) => ({ text: f.label, data: buttonData("ed", entry.id, f.key) }));
  const rows: Button[][] = [];
  for (let i = 0; i < buttons.length; i += 3) rows.push(buttons.slice(i, i + 3));
  turn.reply(`What do you want to change in ${entryRef(entry)}?`, rows);
}

function edit(turn: Turn, entry: Entry, [key]: string[], press: ButtonPress): string | void {
  const field = editableFields(entry.kind).find((f) => f.key === key);
  if (!field) return "That button is no longer active.";
  const open = turn.state.dialog;
  if (open) {
    const spec = DIALOGS.get(open.name);
    // "changing the title" for an open edit, not "adding a change".
    turn.reply(`You're in the middle of ${spec ? activityOf(spec) : "a dialog"}. Finish it or /cancel it first, then tap the button again.`);
    return;
  }
  clearButtons(turn, press);
  startEdit(turn, entry, field);
}

function askRating(turn: Turn, entry: Entry): string | void {
  if (entry.kind === "quote") return "Quotes don't have a rating.";
  const buttons = [1, 2, 3, 4, 5].map((n) => ({ text: "★".repeat(n), data: buttonData("rs", entry.id, n) }));
  turn.reply(`Your rating for ${entryRef(entry)}, 1 to 5 stars?`, [buttons.slice(0, 3), buttons.slice(3)]);
}

async function setRating(turn: Turn, [id, stars]: string[], press: ButtonPress): Promise<string | void> {
  if (!stars || !/^[1-5]$/.test(stars)) return "That button is no longer active.";
  const change = await changeEntry(turn, id, (e) => (e.kind === "quote" ? "Quotes don't have a rating." : { rating: Number(stars) }));
  if (!change.ok) return change.reason;
  clearButtons(turn, press);
  turn.reply(`Rated: ${formatEntryLine(change.after)}`);
}

function askStatus(turn: Turn, entry: Entry): string | void {
  const statuses = KIND_STATUSES[entry.kind];
  if (!statuses) return "Quotes don't have a status.";
  const buttons = statuses.map((s) => ({ text: s === entry.status ? `• ${s}` : s, data: buttonData("ss", entry.id, s) }));
  turn.reply(`Which status for ${entryRef(entry)}?${entry.status ? ` (now: ${entry.status})` : ""}`, [buttons.slice(0, 2), buttons.slice(2)]);
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
  clearButtons(turn, press);
  const finished = change.after.finishedOn !== change.before.finishedOn ? ` (finished on ${change.after.finishedOn})`
    : change.after.watchedOn !== change.before.watchedOn ? ` (watched on ${change.after.watchedOn})` : "";
  turn.reply(`Status changed to ${status}${finished}: ${formatEntryLine(change.after)}`);
}

function askDelete(turn: Turn, entry: Entry): void {
  turn.reply(`Delete ${entryRef(entry)}? This can't be undone.`, [[
    { text: "Yes, delete it", data: buttonData("dy", entry.id) },
    { text: "No, keep it", data: buttonData("dn", entry.id) },
  ]]);
}

async function deleteEntry(turn: Turn, [id]: string[], press: ButtonPress): Promise<string | void> {
  // Looked up inside the write: a replay returns what was deleted instead of finding nothing.
  const deleted = await turn.ctx.write("delete-entry", () => {
    const entry = findEntry(turn, id);
    return entry && turn.deps.media.remove(turn.chatId, entry.id) ? entry : null;
  });
  if (!deleted) return NOT_FOUND;
  clearButtons(turn, press);
  turn.reply(`Deleted: ${formatEntryLine(deleted)}`);
  return "Deleted.";
}

function keepEntry(turn: Turn, entry: Entry, _args: string[], press: ButtonPress): void {
  clearButtons(turn, press);
  turn.reply(`OK, I kept it: ${formatEntryLine(entry)}`);
}

export const entryButtons: ButtonRoute[] = [
  { prefix: ENTRY_BUTTON, run: withEntry((turn, entry) => showCard(turn, entry)) },
  { prefix: "ef", run: withEntry((turn, entry) => chooseField(turn, entry)) },
  { prefix: "ed", run: withEntry(edit) },
  { prefix: "rt", run: withEntry(askRating) },
  { prefix: "rs", run: setRating },
  { prefix: "st", run: withEntry(askStatus) },
  { prefix: "ss", run: setStatus },
  { prefix: "dl", run: withEntry(askDelete) },
  { prefix: "dy", run: deleteEntry },
  { prefix: "dn", run: withEntry(keepEntry) },
];

// Files sent to the bot: imports from Goodreads, Letterboxd, Trakt, TV Time, StoryGraph, Yamtrack and our own exports.
//
// 1. receiveFile: checks the name and size, then downloads and reads the file in ONE journaled
//    step ("read-import": after a crash the read comes from the journal, no second download; it
//    journals the compact form of packed.ts), stages it ("stage-import": the imports table, with
//    which entries the chat already has from any source, match.ts) and shows a summary with Import
//    (im:<id>), Import and update (iu:<id>, when the file has a newer rating or progress for some)
//    and Cancel (ic:<id>) buttons. Every reply about a file is one message: what it quotes from the
//    file is cut short.
// 2. Import: applies the staged import in ONE write ("apply-import": the entries matched again
//    against the list, the new ones added (media.addMany, deduplicated by import key), with iu: the
//    matched ones brought forward, and the import marked applied), so a crash, a second press or
//    the same file again adds nothing twice.
import { randomUUID } from "node:crypto";
import { crashPoint } from "../../../runtime/crash-points.js";
import { ENTRY_KINDS, type EntryKind } from "../media-store.js";
import { type ButtonPress, type ButtonRoute, type SentFile, buttonData } from "../routes.js";
import type { Turn } from "../turn.js";
import { MAX_IMPORT_BYTES, ROW_LIMIT_TEXT, SIZE_LIMIT_TEXT, quoted } from "./bounds.js";
import { DownloadStopped } from "./file-source.js";
import { type ImportPlan, planImport, planLines } from "./match.js";
import { type PackedRead, entryCount, listed, packRead, unpackEntries } from "./packed.js";
import { KNOWN_FORMATS, readImportFile } from "./read.js";
import { type ImportedEntry, SOURCE_NAMES, type SkippedRows } from "./types.js";

export const IMPORT_BUTTON = "im";
export const IMPORT_UPDATE_BUTTON = "iu";
export const CANCEL_IMPORT_BUTTON = "ic";
const STALE = "That import is no longer active.";

const NOUNS: Record<EntryKind, [string, string]> = {
  book: ["book", "books"],
  movie: ["movie", "movies"],
  show: ["show", "shows"],
  quote: ["quote", "quotes"],
};

/** Handles a file sent to the chat. */
export async function receiveFile(turn: Turn, file: SentFile): Promise<void> {
  const { files, imports } = turn.deps;
  if (!files || !imports) {
    turn.reply("I can only import files sent to me in Telegram, not here.");
    return;
  }
  const name = file.fileName ?? "";
  if (!/\.(csv|json|zip)$/i.test(name)) {
    turn.reply(`I can import CSV, JSON or ZIP files: ${KNOWN_FORMATS}.`);
    return;
  }
  if (file.fileSize !== undefined && file.fileSize > MAX_IMPORT_BYTES) {
    turn.reply(`That file is ${megabytes(file.fileSize)} MB; I can import files up to ${SIZE_LIMIT_TEXT} (and ${ROW_LIMIT_TEXT} rows). Split it, or send only the part you need.`);
    return;
  }
  const shownName = quoted(name, 60);

  const nowMs = turn.ctx.now();
  let read: PackedRead;
  try {
    read = await turn.ctx.run("read-import", async () => {
      const bytes = await files.download(file.fileId, { maxBytes: MAX_IMPORT_BYTES });
      // Telegram's size was missing or wrong: the download stopped at the limit.
      if (bytes === "too-big") return { ok: false, error: `That file is over ${SIZE_LIMIT_TEXT}, more than I can import at once.` } as const;
      return packRead(await readImportFile(bytes, name, { nowMs, newId: randomUUID }));
    });
  } catch (error) {
    // Stopping: the message fails unjournaled and is handled again, from the download, after the restart.
    if (error instanceof DownloadStopped) throw error;
    const why = quoted(error instanceof Error ? error.message : String(error), 160);
    turn.reply(`I couldn't get that file from Telegram (${why}). Please send it again.`);
    return;
  }
  if (!read.ok) {
    turn.reply(read.error);
    return;
  }
  const skipped = listed(read.skipped);
  if (entryCount(read) === 0) {
    turn.reply([`I found nothing to import in ${shownName}.`, ...skippedLines(skipped)].join("\n"));
    return;
  }

  // Fresh ids: the journal keeps the entries without them, and this write commits them.
  const entries = await unpackEntries(read, randomUUID);
  const { source, notes = [] } = read;
  const importId = turn.ctx.randomId();
  const staged = await turn.ctx.write("stage-import", async (tx) => {
    const plan = planImport(await turn.deps.media.within(tx).everything(turn.chatId), entries, source);
    const summary = summarise(`${SOURCE_NAMES[source]} (${shownName})`, entries, notes, skipped, plan);
    const counts = { fresh: plan.fresh.length, updates: plan.updates.length };
    // Nothing new and nothing to update: say so, and keep nothing waiting.
    if (counts.fresh > 0 || counts.updates > 0) {
      await imports.within(tx).stage({ id: importId, chatId: turn.chatId, source, entries, skipped, summary, createdAtMs: nowMs });
    }
    return { summary, ...counts };
  });
  // (A step journaled before updates were offered has no count of them.)
  const { fresh, updates = 0 } = staged;
  if (fresh === 0 && updates === 0) {
    delete turn.state.pendingImport;
    turn.reply(`${staged.summary}\n\nNothing new to import: everything in it is already in your list.`);
    return;
  }
  turn.state.pendingImport = { id: importId, summary: staged.summary };
  const cancel = { text: "Cancel", data: buttonData(CANCEL_IMPORT_BUTTON, importId) };
  if (updates === 0) {
    turn.reply(`${staged.summary}\n\nImport ${fresh === 1 ? "it" : `these ${fresh}`}?`, [[
      { text: `Import ${fresh}`, data: buttonData(IMPORT_BUTTON, importId) },
      cancel,
    ]]);
    return;
  }
  const update = { text: fresh > 0 ? `Import ${fresh} and update ${updates}` : `Update ${updates}`, data: buttonData(IMPORT_UPDATE_BUTTON, importId) };
  const them = updates === 1 ? "the one already in your list" : `the ${updates} already in your list`;
  if (fresh === 0) {
    turn.reply(`${staged.summary}\n\nNothing new to add. Update ${them}?`, [[update, cancel]]);
    return;
  }
  turn.reply(`${staged.summary}\n\nImport the ${fresh === 1 ? "new one" : `${fresh} new ones`}, and update ${them} too?`, [
    [{ text: `Import ${fresh}`, data: buttonData(IMPORT_BUTTON, importId) }, update],
    [cancel],
  ]);
}

export const importButtons: ButtonRoute[] = [
  {
    // im:<importId>: add the staged entries the list does not have.
    prefix: IMPORT_BUTTON,
    run: (turn, [id], press) => applyImport(turn, id, press, false),
  },
  {
    // iu:<importId>: the same, and bring the ones it has forward (rating, progress, missing fields).
    prefix: IMPORT_UPDATE_BUTTON,
    run: (turn, [id], press) => applyImport(turn, id, press, true),
  },
  {
    // ic:<importId>: drop the staged import.
    prefix: CANCEL_IMPORT_BUTTON,
    async run(turn, [id], press) {
      const imports = turn.deps.imports;
      if (!id || !imports) return STALE;
      const dropped = await turn.ctx.write("cancel-import", (tx) => imports.within(tx).discard(turn.chatId, id));
      if (!dropped) return STALE;
      if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
      if (turn.state.pendingImport?.id === id) delete turn.state.pendingImport;
      turn.reply("OK, I imported nothing from that file.");
    },
  },
];

async function applyImport(turn: Turn, id: string | undefined, press: ButtonPress, withUpdates: boolean): Promise<string | void> {
  const imports = turn.deps.imports;
  if (!id || !imports) return STALE;
  const nowMs = turn.ctx.now();
  const result = await turn.ctx.write("apply-import", async (tx) => {
    const stagedImports = imports.within(tx);
    const media = turn.deps.media.within(tx);
    const staged = await stagedImports.get(turn.chatId, id);
    if (!staged) return { status: "missing" as const };
    if (staged.appliedAtMs !== undefined) return { status: "applied-before" as const };
    // Matched again: the list may have changed since the summary.
    const plan = planImport(await media.everything(turn.chatId), staged.entries, staged.source);
    const { added } = await media.addMany(turn.chatId, plan.fresh);
    let updated = 0;
    if (withUpdates) for (const u of plan.updates) if (await media.update(turn.chatId, u.id, u.patch, nowMs)) updated += 1;
    // A crash test's point: the entries are in, the import not yet marked, nothing committed.
    crashPoint("import.mid-apply");
    await stagedImports.markApplied(turn.chatId, id, nowMs);
    return { status: "applied" as const, added, updated, already: staged.entries.length - added - updated, skipped: listed(staged.skipped) };
  });
  if (result.status === "missing") return STALE;
  if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
  if (turn.state.pendingImport?.id === id) delete turn.state.pendingImport;
  if (result.status === "applied-before") return "That file is imported already.";
  const parts = [`Imported ${result.added} ${result.added === 1 ? "entry" : "entries"}${result.updated > 0 ? ` and updated ${result.updated}` : ""}`];
  parts.push(`${result.already} ${result.already === 1 ? "was" : "were"} already in your list`);
  if (result.skipped.total > 0) parts.push(`skipped ${result.skipped.total}`);
  turn.reply([`${parts.join("; ")}.`, ...skippedLines(result.skipped, false)].join("\n"));
}

function summarise(title: string, entries: ImportedEntry[], notes: string[], skipped: SkippedRows, plan: ImportPlan): string {
  const counts = ENTRY_KINDS.map((kind) => {
    const n = entries.filter((e) => e.kind === kind).length;
    return n > 0 ? `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}` : undefined;
  }).filter((c) => c !== undefined);
  const lines = [`${title}: ${counts.join(", ")}.`];
  lines.push(...notes, ...planLines(plan));
  lines.push(...skippedLines(skipped));
  return lines.join("\n");
}

/** The skipped rows a reply lists: a few, each quoted short (listed() cut them), then how many more. */
function skippedLines(skipped: SkippedRows, header = true): string[] {
  if (skipped.total === 0) return [];
  const lines = skipped.first.map((s) => `• ${s.where}: ${s.reason}`);
  if (skipped.total > skipped.first.length) lines.push(`• and ${skipped.total - skipped.first.length} more`);
  return header ? [`Skipped ${skipped.total} ${skipped.total === 1 ? "row" : "rows"}:`, ...lines] : lines;
}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

// Files sent to the bot: imports from Goodreads, Letterboxd, Yamtrack and our own exports.
//
// 1. receiveFile: checks the name and size, then downloads and reads the file in ONE journaled
//    step ("read-import": after a crash the read comes from the journal, no second download; it
//    journals the compact form of packed.ts), stages it ("stage-import": the imports table, with
//    how many entries the chat already has) and shows a summary with Import (im:<id>) and Cancel
//    (ic:<id>) buttons. Every reply about a file is one message: what it quotes from the file is cut short.
// 2. Import: applies the staged import in ONE write ("apply-import": media.addMany, deduplicated
//    by import key, and the import marked applied), so a crash, a second press or the same file
//    again adds nothing twice.
import { randomUUID } from "node:crypto";
import { crashPoint } from "../../../runtime/crash-points.js";
import { ENTRY_KINDS, type EntryKind } from "../media-store.js";
import { type ButtonRoute, type SentFile, buttonData } from "../routes.js";
import type { Turn } from "../turn.js";
import { MAX_IMPORT_BYTES, ROW_LIMIT_TEXT, SIZE_LIMIT_TEXT, quoted } from "./bounds.js";
import { DownloadStopped } from "./file-source.js";
import { type PackedRead, entryCount, listed, packRead, unpackEntries } from "./packed.js";
import { readImportFile } from "./read.js";
import { type ImportedEntry, SOURCE_NAMES, type SkippedRows } from "./types.js";

export const IMPORT_BUTTON = "im";
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
    turn.reply(
      "I can import CSV, JSON or ZIP files: a Goodreads library export, a Letterboxd export (the ZIP, or its diary.csv, ratings.csv or watched.csv), a Yamtrack CSV, or my own /export.",
    );
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
  const source = read.source;
  const importId = turn.ctx.randomId();
  const staged = await turn.ctx.write("stage-import", () => {
    const already = alreadyThere(turn, entries);
    const fresh = entries.length - already;
    const summary = summarise(`${SOURCE_NAMES[source]} (${shownName})`, entries, skipped, already);
    // Nothing new: say so, and keep nothing waiting.
    if (fresh > 0) {
      imports.stage({ id: importId, chatId: turn.chatId, source, entries, skipped, summary, createdAtMs: nowMs });
    }
    return { summary, fresh };
  });
  if (staged.fresh === 0) {
    delete turn.state.pendingImport;
    turn.reply(`${staged.summary}\n\nNothing new to import: everything in it is already in your list.`);
    return;
  }
  turn.state.pendingImport = { id: importId, summary: staged.summary };
  turn.reply(`${staged.summary}\n\nImport ${staged.fresh === 1 ? "it" : `these ${staged.fresh}`}?`, [[
    { text: `Import ${staged.fresh}`, data: buttonData(IMPORT_BUTTON, importId) },
    { text: "Cancel", data: buttonData(CANCEL_IMPORT_BUTTON, importId) },
  ]]);
}

export const importButtons: ButtonRoute[] = [
  {
    // im:<importId>: add the staged entries.
    prefix: IMPORT_BUTTON,
    async run(turn, [id], press) {
      const imports = turn.deps.imports;
      if (!id || !imports) return STALE;
      const nowMs = turn.ctx.now();
      const result = await turn.ctx.write("apply-import", () => {
        const staged = imports.get(turn.chatId, id);
        if (!staged) return { status: "missing" as const };
        if (staged.appliedAtMs !== undefined) return { status: "applied-before" as const };
        const haveIds = imports.existingIds(turn.chatId, ownIds(staged.entries));
        const fresh = staged.entries.filter((e) => !haveIds.has(ownId(e) ?? ""));
        const { added } = turn.deps.media.addMany(turn.chatId, fresh);
        // A crash test's point: the entries are in, the import not yet marked, nothing committed.
        crashPoint("import.mid-apply");
        imports.markApplied(turn.chatId, id, nowMs);
        return { status: "applied" as const, added, already: staged.entries.length - added, skipped: listed(staged.skipped) };
      });
      if (result.status === "missing") return STALE;
      if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
      if (turn.state.pendingImport?.id === id) delete turn.state.pendingImport;
      if (result.status === "applied-before") return "That file is imported already.";
      const parts = [`Imported ${result.added} ${result.added === 1 ? "entry" : "entries"}`];
      parts.push(`${result.already} ${result.already === 1 ? "was" : "were"} already in your list`);
      if (result.skipped.total > 0) parts.push(`skipped ${result.skipped.total}`);
      turn.reply([`${parts.join("; ")}.`, ...skippedLines(result.skipped, false)].join("\n"));
    },
  },
  {
    // ic:<importId>: drop the staged import.
    prefix: CANCEL_IMPORT_BUTTON,
    async run(turn, [id], press) {
      const imports = turn.deps.imports;
      if (!id || !imports) return STALE;
      const dropped = await turn.ctx.write("cancel-import", () => imports.discard(turn.chatId, id));
      if (!dropped) return STALE;
      if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
      if (turn.state.pendingImport?.id === id) delete turn.state.pendingImport;
      turn.reply("OK, I imported nothing from that file.");
    },
  },
];

/** How many of the entries the chat has already: by import key, or (our own export) by id. Inside a write. */
function alreadyThere(turn: Turn, entries: ImportedEntry[]): number {
  const imports = turn.deps.imports!;
  const keys = imports.existingKeys(turn.chatId, entries.map((e) => e.importKey));
  const ids = imports.existingIds(turn.chatId, ownIds(entries));
  return entries.filter((e) => keys.has(e.importKey) || ids.has(ownId(e) ?? "")).length;
}

/** The id an entry had in our own export ("mt:<id>"), if that is where it came from. */
function ownId(e: ImportedEntry): string | undefined {
  return e.importKey.startsWith("mt:") ? e.importKey.slice(3) : undefined;
}

function ownIds(entries: ImportedEntry[]): string[] {
  return entries.map(ownId).filter((id): id is string => id !== undefined);
}

function summarise(title: string, entries: ImportedEntry[], skipped: SkippedRows, already: number): string {
  const counts = ENTRY_KINDS.map((kind) => {
    const n = entries.filter((e) => e.kind === kind).length;
    return n > 0 ? `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}` : undefined;
  }).filter((c) => c !== undefined);
  const lines = [`${title}: ${counts.join(", ")}.`];
  if (already > 0) lines.push(`${already} ${already === 1 ? "is" : "are"} already in your list.`);
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

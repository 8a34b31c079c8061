// Where read imports wait for their confirmation: the port; src/store/imports.ts implements it on
// SQLite. Every call is scoped to one chat, and synchronous so it can run inside ctx.write.
import type { ImportSource, ImportedEntry, SkippedRow, SkippedRows } from "./types.js";

export interface StagedImport {
  id: string;
  chatId: string;
  source: ImportSource;
  entries: ImportedEntry[];
  /** The whole list in imports staged by older releases. */
  skipped: SkippedRows | SkippedRow[];
  summary: string;
  createdAtMs: number;
  appliedAtMs?: number;
}

export interface ImportStore {
  /** Stores an import; the chat's other imports still waiting are dropped (one at a time). */
  stage(staged: Omit<StagedImport, "appliedAtMs">): void;
  get(chatId: string, id: string): StagedImport | undefined;
  /** Marks an import applied and forgets its entries (they are in the list now). */
  markApplied(chatId: string, id: string, atMs: number): void;
  /** Drops an import still waiting; false when the chat has none with that id. */
  discard(chatId: string, id: string): boolean;
  /** Deletes every import of the chat, waiting or applied (/forget); returns how many. */
  removeAll(chatId: string): number;
}

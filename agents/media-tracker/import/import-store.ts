// Where read imports wait for their confirmation: the port; src/store/imports.ts implements it for
// SQLite and PostgreSQL. Every call is scoped to one chat. Writes run inside a journaled ctx.write
// step, through `within(tx)`: the same imports bound to that step's transaction.
import type { Tx } from "../../../runtime/store.js";
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

export interface ImportReader {
  get(chatId: string, id: string): Promise<StagedImport | undefined>;
}

/** The imports inside one write's transaction. */
export interface ImportWriter extends ImportReader {
  /** Stores an import; the chat's other imports still waiting are dropped (one at a time). */
  stage(staged: Omit<StagedImport, "appliedAtMs">): Promise<void>;
  /** Marks an import applied and forgets its entries (they are in the list now). */
  markApplied(chatId: string, id: string, atMs: number): Promise<void>;
  /** Drops an import still waiting; false when the chat has none with that id. */
  discard(chatId: string, id: string): Promise<boolean>;
  /** Deletes every import of the chat, waiting or applied (/forget); returns how many. */
  removeAll(chatId: string): Promise<number>;
}

/** What the agent is given: reads of committed data, and the imports bound to a write's transaction. */
export interface ImportStore extends ImportReader {
  within(tx: Tx): ImportWriter;
}

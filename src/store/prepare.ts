// What the media tables need once a database is opened and migrated, before anything is served:
// search_text filled in the rows written before SQLite migration 0006 added it. Run by whoever
// opens the database for the bot (after the migrations), not by the stores, which are cheap to make.
import type { Store } from "../../runtime/store.js";
import { searchTextOf } from "./search-text.js";

/** Rows filled per unit: small commits, so a big old list never holds the write lock for long. */
const FILL_BATCH = 500;

interface Unfolded {
  id: string;
  title: string;
  author: string | null;
  quote_text: string | null;
  notes: string | null;
}

/**
 * Fills search_text where it is missing, a batch per unit until none is left. Finds nothing (through
 * the partial index entries_unfolded) once done, so every later opening costs one read.
 */
export async function prepareMediaStore(store: Store): Promise<void> {
  if ((await store.read.get(`SELECT id FROM entries WHERE search_text IS NULL LIMIT 1`)) === undefined) return;
  let filled: number;
  do {
    filled = await store.submit(async (tx) => {
      const rows = await tx.all<Unfolded>(`SELECT id, title, author, quote_text, notes FROM entries WHERE search_text IS NULL LIMIT ?`, [FILL_BATCH]);
      for (const r of rows) {
        const text = searchTextOf({ title: r.title, author: r.author, quoteText: r.quote_text, notes: r.notes });
        await tx.run(`UPDATE entries SET search_text = ? WHERE id = ? AND search_text IS NULL`, [text, r.id]);
      }
      return rows.length;
    });
  } while (filled === FILL_BATCH);
}

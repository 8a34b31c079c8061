// Test set-up: entries put straight into a chat's list through the media store (the app reads them
// like any other), a chat's list as committed, and waiting for a chat's replies.
import type { Store } from "../../runtime/store.js";
import type { Entry, EntryKind, NewEntry } from "../../agents/media-tracker/media-store.js";
import { createMediaStore } from "../../src/store/media.js";
import { openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import type { TestApp } from "./test-app.js";

export type Seed = Omit<NewEntry, "addedAtMs" | "kind"> & { kind: EntryKind; addedAtMs?: number };

/** Adds entries to a chat in one committed write; returns them as stored. */
export function addEntries(store: Store, chatId: string | number, entries: NewEntry[]): Promise<Entry[]> {
  return store.submit(async (tx) => {
    const list = createMediaStore(store.read).within(tx);
    const added: Entry[] = [];
    for (const entry of entries) added.push(await list.add(String(chatId), entry));
    return added;
  });
}

/** A chat's whole list as committed, oldest first with its history (or every chat's, without a chat id). */
export function listOf(store: Store, chatId?: string | number): Promise<Entry[]> {
  return createMediaStore(store.read).everything(chatId === undefined ? undefined : String(chatId));
}

/**
 * Runs `work` on the SQLite file `file` (migrated already, perhaps beside a running bot: WAL lets a
 * short write in between its commits), then closes it.
 */
export async function withSqliteFile<T>(file: string, work: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore(file);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Adds entries to a chat, one second apart from `firstAddedAtMs` unless they say otherwise. */
export async function seed(app: TestApp, chatId: number, entries: Seed[], firstAddedAtMs = 1_700_000_000_000): Promise<void> {
  await addEntries(app.app.store, chatId, entries.map((e, i) => ({ ...e, addedAtMs: e.addedAtMs ?? firstAddedAtMs + i * 1000 })));
}

/** Waits until the chat has at least `count` replies, and returns them all. */
export async function replies(app: TestApp, chatId: number, count: number, timeoutMs = 10_000): Promise<string[]> {
  await app.api.waitFor(() => app.replies(chatId).length >= count, timeoutMs);
  return app.replies(chatId);
}

// Test set-up: entries put straight into a running test app's list (the app reads them like any
// other), and waiting for a chat's replies.
import type { EntryKind, NewEntry } from "../../agents/media-tracker/media-store.js";
import { createMediaStore } from "../../src/store/media.js";
import type { TestApp } from "./test-app.js";

export type Seed = Omit<NewEntry, "addedAtMs" | "kind"> & { kind: EntryKind; addedAtMs?: number };

/** Adds entries to a chat, one second apart from `firstAddedAtMs` unless they say otherwise. */
export function seed(app: TestApp, chatId: number, entries: Seed[], firstAddedAtMs = 1_700_000_000_000): void {
  const store = createMediaStore(app.app.db);
  entries.forEach((e, i) => store.add(String(chatId), { ...e, addedAtMs: e.addedAtMs ?? firstAddedAtMs + i * 1000 }));
}

/** Waits until the chat has at least `count` replies, and returns them all. */
export async function replies(app: TestApp, chatId: number, count: number, timeoutMs = 10_000): Promise<string[]> {
  await app.api.waitFor(() => app.replies(chatId).length >= count, timeoutMs);
  return app.replies(chatId);
}

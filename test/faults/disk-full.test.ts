// The disk under the database fills up (a small tmpfs, filled with a file until ENOSPC): webhooks
// get 500 (never acknowledged), what was stored stays intact and readable, a send delivered while
// the disk is full is recorded once when it can be (not sent again), and once space is freed the
// redelivered updates go through, each once and in order. Needs root (or CAP_SYS_ADMIN) to mount a
// tmpfs; without it the test is skipped, saying why.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { makeTextUpdate, postUpdate } from "../support/fake-bot-api.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";
import { waitFor } from "../support/wait-for.js";
import { bookDialog, bookTitles, expectBookReplies, inboxCounts, outboxRows, talk } from "./book-dialog.js";

/** A small filesystem of its own, or why there is none. Mounted when the file is collected, so skipIf can see it. */
function mountSmallDisk(): { dir: string } | { skip: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-disk-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", dir], { stdio: "pipe" });
    return { dir };
  } catch (error) {
    fs.rmdirSync(dir);
    const why = error instanceof Error && "stderr" in error ? String((error as { stderr: unknown }).stderr).trim() : String(error);
    return { skip: `cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN): ${why || "mount failed"}` };
  }
}

const disk = mountSmallDisk();
const mounted = "dir" in disk ? disk.dir : undefined;
if (!mounted) console.warn(`disk-full test skipped: ${"skip" in disk ? disk.skip : ""}`);

let t: TestApp | undefined;
afterEach(async () => {
  // Space first: a failed test may leave the disk full, and the app needs a little to stop cleanly.
  if (mounted) fs.rmSync(path.join(mounted, "filler"), { force: true });
  await t?.close();
  t = undefined;
});
afterAll(() => {
  if (!mounted) return;
  try {
    execFileSync("umount", [mounted], { stdio: "pipe" });
  } catch {
    // Still in use (a test failed with the database open): detach it now, freed when closed.
    execFileSync("umount", ["-l", mounted], { stdio: "pipe" });
  }
  fs.rmdirSync(mounted);
});

/** Writes a file until the filesystem refuses (ENOSPC), then smaller pieces until not a byte fits. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, "w");
  try {
    for (const size of [1 << 20, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x2a);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

describe("the disk under the database full", () => {
  it.skipIf(!mounted)("refuses webhooks with 500, keeps what is stored, records a delivered send once, and catches up when space is freed", async () => {
    t = await startTestApp({}, false, { dir: mounted! });
    const app = t;
    const db = path.join(mounted!, "bot.db");
    const post = (update: ReturnType<typeof makeTextUpdate>) => postUpdate(app.webhookUrl, update, SECRET);
    const [stored, sending, talkers] = [501, 502, [503, 504]];

    // Before: one chat's entry stored; another chat's reply is held in flight at Telegram.
    await talk(app, stored, [1]);
    await waitFor(() => inboxCounts(app).pending === 0 && outboxRows(app, stored).every((r) => r.status === "sent"), 15_000, "the first dialog");
    let releaseSend!: () => void;
    const endHold = app.api.failWhile((m, p) => m === "sendMessage" && String(p.chat_id) === String(sending), {
      until: new Promise<void>((resolve) => (releaseSend = resolve)),
    });
    expect((await post(makeTextUpdate(1001, sending, "/help"))).status).toBe(200);
    await waitFor(() => app.api.calls.some((c) => String(c.params.chat_id) === String(sending)), 15_000, "the send in flight");

    // Fill the disk. The WAL is emptied first, so the next commit needs new space (a real WAL may have some to reuse).
    app.app.db.pragma("wal_checkpoint(TRUNCATE)");
    const filler = path.join(mounted!, "filler");
    fillDisk(filler);

    let nextId = 2000;
    const refused = new Map(talkers.map((chat) => [chat, bookDialog(chat, 1).map((text) => makeTextUpdate(nextId++, chat, text))]));
    for (const chat of talkers) for (const update of refused.get(chat)!) expect((await post(update)).status).toBe(500);
    // The send goes through at Telegram; recording it fails while the disk is full, and is retried.
    releaseSend();
    endHold();
    await waitFor(() => app.api.calls.some((c) => String(c.params.chat_id) === String(sending) && c.result !== undefined), 15_000, "the send answered");
    await waitFor(() => app.logs.some((l) => l.includes(`"agentKey":"${sending}"`) && l.includes('"code":"SQLITE_FULL"')), 15_000, "the record refused");
    // What was stored is intact and readable meanwhile.
    expect(app.app.db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(bookTitles(app, stored)).toEqual([`Book ${stored}-1`]);
    expect(outboxRows(app, sending)).toMatchObject([{ status: "sending" }]);

    fs.rmSync(filler);
    for (const chat of talkers) for (const update of refused.get(chat)!) expect((await post(update)).status).toBe(200);
    await waitFor(
      () => inboxCounts(app).pending === 0 && [stored, sending, ...talkers].every((chat) => outboxRows(app, chat).every((r) => r.status === "sent")),
      30_000,
      "everything caught up",
    );
    for (const chat of [stored, ...talkers]) {
      expectBookReplies(app, chat, [1]);
      expect(bookTitles(app, chat)).toEqual([`Book ${chat}-1`]);
    }
    expect(app.replies(sending)).toHaveLength(1);
    expect(outboxRows(app, sending)).toMatchObject([{ status: "sent", attempts: 1 }]);
    expect(inboxCounts(app)).toEqual({ pending: 0, done: 13, parked: 0 });

    // The file is whole after the app closes, as another process opening it sees.
    await app.close();
    t = undefined;
    const BetterSqlite3 = (await import("better-sqlite3")).default;
    const check = new BetterSqlite3(db, { readonly: true });
    try {
      expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
      expect(check.prepare("SELECT COUNT(*) FROM entries").pluck().get()).toBe(3);
    } finally {
      check.close();
    }
  }, 90_000);
});

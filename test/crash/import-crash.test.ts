// An import survives a SIGKILL at each step: the real bot runs as a child process, a Goodreads file
// is sent and its Import button pressed, and the bot dies where MT_CRASH_AT says. After a restart
// the file has been downloaded once (the parsed result is journaled), the summary and the result
// arrive, and every entry exists exactly once.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeCallbackUpdate, makeDocumentUpdate, updateInboxId } from "../support/fake-bot-api.js";
import { CrashHarness } from "./harness.js";

const CHAT = 5151;
const FILE = [
  "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies",
  `1,"Dune, Deluxe",Frank Herbert,"Herbert, Frank",,,,5,,,,,,,2024/01/02,2024/01/01,,,read,,,"multi
line 🚀",1,0`,
  `2,Hyperion,Dan Simmons,"Simmons, Dan",,,,0,,,,,,,,2024/01/01,,,to-read,,,,0,0`,
  `3,Solaris,Stanisław Lem,"Lem, Stanisław",,,,4,,,,,,,,2024/01/01,,,currently-reading,,,,0,0`,
  `4,,Nobody,,,,,4,,,,,,,,2024/01/01,,,read,,,,0,0`,
].join("\n");

const SUMMARY = /^Goodreads library export \(library\.csv\): 3 books\.\nSkipped 1 row:\n• row 5: no title\n\nImport these 3\?$/;
const RESULT = /^Imported 3 entries; 0 were already in your list; skipped 1\.\n• row 5: no title$/;

// Steps, in order: u1 read-import (run), stage-import (write); u2 apply-import (write).
// Sends: u1 the summary (1); u2 clear-buttons (2), the result (3), the button's answer (4).
const CASES = [
  { name: "step.after-commit@1 (file read and journaled, not staged)", crashAt: "step.after-commit@1" },
  { name: "step.after-commit@2 (staged, summary not committed)", crashAt: "step.after-commit@2" },
  { name: "step.after-commit@3 (applied, message not finished)", crashAt: "step.after-commit@3" },
  { name: "message.before-commit@1 (the file's message)", crashAt: "message.before-commit@1" },
  { name: "message.before-commit@2 (the button's message)", crashAt: "message.before-commit@2" },
  { name: "outbox.before-send@1 (summary claimed, not sent)", crashAt: "outbox.before-send@1" },
  { name: "outbox.before-send@3 (result claimed, not sent)", crashAt: "outbox.before-send@3" },
];

describe("crash during an import", () => {
  let h: CrashHarness;
  beforeEach(async () => {
    h = await CrashHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it.each(CASES)("$name", async ({ crashAt }) => {
    const texts = () => h.texts(CHAT);
    h.api.addFile("GR1", "library.csv", FILE);
    await h.start(crashAt);
    await h.send(
      "u1 document",
      makeDocumentUpdate(1, CHAT, { fileId: "GR1", fileName: "library.csv", fileSize: Buffer.byteLength(FILE), mimeType: "text/csv" }),
      () => texts().some((t) => SUMMARY.test(t)),
    );
    const summary = h.api.sent(CHAT).find((c) => SUMMARY.test(String(c.params.text)))!;
    const data = /"(im:[^"]+)"/.exec(JSON.stringify(summary.params.reply_markup))![1]!;
    const messageId = (summary.result as { message_id: number }).message_id;
    await h.send("u2 Import", makeCallbackUpdate(2, CHAT, data, messageId), () => texts().some((t) => RESULT.test(t)));
    await h.bot.waitIdle();
    await h.stop();

    const context = () => `\n${h.describe()}`;
    expect(h.crashes.length, `crashes${context()}`).toBe(1);
    expect(h.api.downloads, `downloads${context()}`).toHaveLength(1);
    const db = h.readDb((d) => ({
      entries: d.prepare(`SELECT title, rating, status, notes, import_key FROM entries WHERE chat_id = ? ORDER BY import_key`).all(String(CHAT)),
      imports: d.prepare(`SELECT applied_at_ms IS NOT NULL AS applied, entries_json FROM imports WHERE chat_id = ?`).all(String(CHAT)),
      inbox: d.prepare(`SELECT id, status FROM inbox WHERE agent_key = ? ORDER BY seq`).all(String(CHAT)),
      outbox: d.prepare(`SELECT status, COUNT(*) AS n FROM outbox WHERE agent_key = ? GROUP BY status`).all(String(CHAT)),
    }));
    const dbContext = () => `\ndatabase: ${JSON.stringify(db, null, 1)}${context()}`;
    expect(db.entries, `entries${dbContext()}`).toEqual([
      { title: "Dune, Deluxe", rating: 5, status: "finished", notes: "multi\nline 🚀", import_key: "goodreads:1" },
      { title: "Hyperion", rating: null, status: "want", notes: null, import_key: "goodreads:2" },
      { title: "Solaris", rating: 4, status: "reading", notes: null, import_key: "goodreads:3" },
    ]);
    expect(db.imports, `imports${dbContext()}`).toEqual([{ applied: 1, entries_json: "[]" }]);
    expect(db.inbox, `inbox${dbContext()}`).toEqual([{ id: updateInboxId(1), status: "done" }, { id: updateInboxId(2), status: "done" }]);
    expect(db.outbox, `outbox${dbContext()}`).toEqual([{ status: "sent", n: 4 }]);
    expect(texts().filter((t) => SUMMARY.test(t)), `summaries${context()}`).toHaveLength(1);
    expect(texts().filter((t) => RESULT.test(t)), `results${context()}`).toHaveLength(1);
    expect(texts(), `replies${context()}`).toHaveLength(2);
  });
});

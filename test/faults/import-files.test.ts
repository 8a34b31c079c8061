// Import files that used to take the bot down, against the real bot as a child process with the
// heap `npm start` gives it (160 MB): a 5 MB CSV of a quarter of a million rows and a small ZIP of
// half a million (each once crash-looped the bot out of memory), a line of commas, files at the
// limits (imported, with a compact journal), and a file server that hangs (the chat waited ~15
// minutes, and SIGTERM could not stop the bot).
import { strToU8, zipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import { makeCallbackUpdate, makeDocumentUpdate, makeTextUpdate } from "../support/fake-bot-api.js";
import { CrashHarness } from "../crash/harness.js";
import { botBundle } from "../support/bot-bundle.js";

// As npm start runs the bot (its heap cap included), from a bundle of the current sources.
const npmStart = async () => ["--max-old-space-size=160", "--max-semi-space-size=8", await botBundle()];
const CHAT = 6161;
const OTHER_CHAT = 6262;

let h: CrashHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A Goodreads export of `rows` books, `pad` characters of review each. */
function goodreads(rows: number, pad = 0): Buffer {
  const lines = ["Book Id,Title,Author,My Rating,Exclusive Shelf,Date Added,My Review"];
  for (let i = 1; i <= rows; i++) lines.push(`${i},Book ${i},Author ${i % 97},${i % 6},read,2024/01/02,${"x".repeat(pad)}`);
  return Buffer.from(lines.join("\n"));
}

/** The most rows of a small Goodreads CSV that fit in 5 MB. */
function goodreadsOf5MB(): Buffer {
  const lines = ["Book Id,Title,My Rating"];
  let size = lines[0]!.length;
  for (let i = 1; size < 5 * 1024 * 1024 - 32; i++) {
    const line = `${i},B${i},0`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join("\n"));
}

function document(updateId: number, fileId: string, fileName: string, bytes: Buffer) {
  return makeDocumentUpdate(updateId, CHAT, { fileId, fileName, fileSize: bytes.length });
}

const lastText = (chat: number) => h!.texts(chat).at(-1) ?? "";

describe("huge import files against the real bot", () => {
  it("refuses a 5 MB CSV of 250,000 rows, a ZIP of 500,000 rows and a line of 5 million commas, and stays up for every chat", { timeout: 120_000 }, async () => {
    h = await CrashHarness.create({ nodeArgs: await npmStart() });
    const csv = goodreadsOf5MB();
    expect(csv.length).toBeLessThanOrEqual(5 * 1024 * 1024);
    // Short rows: half a million of them unpack to less than the 10 MB a ZIP may unpack to.
    const watched = ["Date,Name,Year,Letterboxd URI"];
    for (let i = 0; i < 500_000; i++) watched.push(`,${i},,`);
    const zip = Buffer.from(zipSync({ "watched.csv": strToU8(watched.join("\n")) }));
    expect(zip.length).toBeLessThan(5 * 1024 * 1024);
    h.api.addFile("BIG", "goodreads_library_export.csv", csv);
    h.api.addFile("ZIP", "letterboxd-me.zip", zip);
    await h.start();

    await h.send("5 MB CSV", document(1, "BIG", "goodreads_library_export.csv", csv), () => h!.texts(CHAT).length === 1, 60_000);
    expect(lastText(CHAT)).toMatch(/^That file has more than 20,000 rows, more than I can import at once\. Split it/);
    await h.send("/help from another chat", makeTextUpdate(2, OTHER_CHAT, "/help"), () => h!.texts(OTHER_CHAT).length > 0);
    await h.send("500,000-row ZIP", document(3, "ZIP", "letterboxd-me.zip", zip), () => h!.texts(CHAT).length === 2, 60_000);
    expect(lastText(CHAT)).toMatch(/^That ZIP's files have more than 20,000 rows together/);
    // One record of five million empty cells, had the parser been let to build it.
    const commas = Buffer.from(`Title,My Rating\n${",".repeat(5 * 1024 * 1024 - 32)}`);
    h.api.addFile("COMMAS", "commas.csv", commas);
    await h.send("5 MB of commas", document(4, "COMMAS", "commas.csv", commas), () => h!.texts(CHAT).length === 3, 60_000);
    expect(lastText(CHAT)).toMatch(/^That file has rows of more than 200 columns/);
    await h.send("/help again", makeTextUpdate(5, CHAT, "/help"), () => h!.texts(CHAT).length === 4);

    // Never down: no crash, no restart, and a clean stop.
    expect(h.crashes, h.describe()).toEqual([]);
    expect(h.starts).toHaveLength(1);
    await h.stop();
    const db = h.readDb((d) => ({
      inbox: d.prepare("SELECT status, COUNT(*) AS n FROM inbox GROUP BY status").all(),
      entries: d.prepare("SELECT COUNT(*) FROM entries").pluck().get(),
      imports: d.prepare("SELECT COUNT(*) FROM imports").pluck().get(),
    }));
    expect(db).toEqual({ inbox: [{ status: "done", n: 5 }], entries: 0, imports: 0 });
  });

  it("imports a file of exactly 20,000 rows, and journals its read in a compact form", { timeout: 120_000 }, async () => {
    h = await CrashHarness.create({ nodeArgs: await npmStart() });
    const csv = goodreads(20_000, 60);
    h.api.addFile("FULL", "library.csv", csv);
    await h.start();

    await h.send("20,000-row CSV", document(1, "FULL", "library.csv", csv), () => h!.texts(CHAT).length === 1, 60_000);
    expect(lastText(CHAT)).toBe("Goodreads library export (library.csv): 20000 books.\n\nImport these 20000?");
    const summary = h.api.sent(CHAT).at(-1)!;
    const data = /"(im:[^"]+)"/.exec(JSON.stringify(summary.params.reply_markup))![1]!;
    const messageId = (summary.result as { message_id: number }).message_id;
    await h.send("Import", makeCallbackUpdate(2, CHAT, data, messageId), () => h!.texts(CHAT).length === 2, 60_000);
    expect(lastText(CHAT)).toBe("Imported 20000 entries; 0 were already in your list.");
    expect(h.crashes, h.describe()).toEqual([]);
    await h.stop();

    const db = h.readDb((d) => ({
      entries: d.prepare("SELECT COUNT(DISTINCT id) FROM entries WHERE chat_id = ?").pluck().get(String(CHAT)) as number,
      journaled: d.prepare("SELECT length(output_json) FROM journal WHERE step_name = 'run:read-import'").pluck().get() as number,
      staged: d.prepare("SELECT length(entries_json) FROM imports").pluck().get() as number,
    }));
    expect(db.entries).toBe(20_000);
    // The entries as JSON objects would be over 3 MB (180 bytes each); compact, they are a small fraction.
    expect(db.journaled).toBeLessThan(20_000 * 30);
    expect(db.staged).toBe(2); // "[]": emptied once applied
  });

  it("imports a ZIP at every limit at once (20,000 rows, 10 MB of reviews with emoji) within the heap", { timeout: 120_000 }, async () => {
    h = await CrashHarness.create({ nodeArgs: await npmStart() });
    const review = "Grüße 🎬 a long review, ".repeat(16);
    const reviews = ["Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date"];
    for (let i = 0; i < 20_000; i++) reviews.push(`2024-01-01,Film ${i},2000,u,4,,"${review}${i}",,2024-01-01`);
    const text = strToU8(reviews.join("\n"));
    expect(text.length).toBeGreaterThan(9 * 1024 * 1024);
    expect(text.length).toBeLessThanOrEqual(10 * 1024 * 1024);
    const zip = Buffer.from(zipSync({ "reviews.csv": text }));
    h.api.addFile("LB", "letterboxd.zip", zip);
    await h.start();

    await h.send("10 MB ZIP", document(1, "LB", "letterboxd.zip", zip), () => h!.texts(CHAT).length === 1, 60_000);
    expect(lastText(CHAT)).toBe("Letterboxd export (letterboxd.zip): 20000 movies.\n\nImport these 20000?");
    const summary = h.api.sent(CHAT).at(-1)!;
    const data = /"(im:[^"]+)"/.exec(JSON.stringify(summary.params.reply_markup))![1]!;
    const messageId = (summary.result as { message_id: number }).message_id;
    await h.send("Import", makeCallbackUpdate(2, CHAT, data, messageId), () => h!.texts(CHAT).length === 2, 60_000);
    expect(lastText(CHAT)).toBe("Imported 20000 entries; 0 were already in your list.");
    expect(h.crashes, h.describe()).toEqual([]);
    await h.stop();
    expect(h.readDb((d) => d.prepare("SELECT COUNT(*) FROM entries WHERE notes LIKE 'Grüße 🎬%'").pluck().get())).toBe(20_000);
  });
});

describe("a file server that hangs", () => {
  it("gives up on the download after TELEGRAM_FILE_TIMEOUT_SECONDS, tells the person, and the chat goes on", { timeout: 60_000 }, async () => {
    h = await CrashHarness.create({ env: { TELEGRAM_FILE_TIMEOUT_SECONDS: "1" } });
    const csv = goodreads(3);
    h.api.addFile("SLOW", "library.csv", csv);
    h.api.stallDownloads();
    await h.start();

    await h.send("stalled file", document(1, "SLOW", "library.csv", csv), () => h!.texts(CHAT).length === 1, 30_000);
    expect(lastText(CHAT)).toBe("I couldn't get that file from Telegram (it took Telegram more than 1 second to send it). Please send it again.");
    // Not retried: one download, and the chat answers at once.
    expect(h.api.downloads).toHaveLength(1);
    await h.send("/help", makeTextUpdate(2, CHAT, "/help"), () => h!.texts(CHAT).length === 2);
    expect(h.crashes).toEqual([]);
    await h.stop();
  });

  it("SIGTERM stops the bot during a download at once; after the restart the file is read again and summarised", { timeout: 60_000 }, async () => {
    h = await CrashHarness.create();
    const csv = goodreads(3);
    h.api.addFile("SLOW", "library.csv", csv);
    const release = h.api.stallDownloads();
    await h.start();

    await h.bot.post(document(1, "SLOW", "library.csv", csv));
    await h.api.waitFor((api) => api.downloads.length === 1);
    // The default timeout is 30 s; stop() allows 10 s and fails the test if the bot is still running.
    await h.stop();
    expect(h.texts(CHAT)).toEqual([]);

    release();
    await h.start();
    await h.waitOrRestart("summary after the restart", () => h!.texts(CHAT).length === 1);
    expect(lastText(CHAT)).toBe("Goodreads library export (library.csv): 3 books.\n\nImport these 3?");
    expect(h.api.downloads).toHaveLength(2);
    await h.stop();
  });
});

// Property test of imports through the whole app: random files (bytes, CSV, JSON, ZIP) with random
// names and declared sizes are sent as documents. Each is answered, never parked; when the bot
// offers an import, pressing Import adds exactly what the summary counted, and pressing it again
// adds nothing.
import { strToU8, zipSync } from "fflate";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMediaStore } from "../../src/store/media.js";
import { makeCallbackUpdate, makeDocumentUpdate } from "../support/fake-bot-api.js";
import { postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const row = fc.tuple(
  fc.constantFrom("book", "movie", "show", "quote", "film", ""),
  fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("Dune", "", " ", "\u200f")),
  fc.oneof(fc.integer({ min: -5, max: 3000 }).map(String), fc.constantFrom("", "1e21", "NaN", "4.5")),
  fc.oneof(fc.uuid(), fc.constant("")),
).map((cells) => cells.map((c) => `"${c.replace(/"/g, '""')}"`).join(","));
const content = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.array(row, { maxLength: 6 }).map((rows) => strToU8(["kind,title,rating,id", ...rows].join("\n"))),
  fc.array(row, { maxLength: 6 }).map((rows) => strToU8(["kind,title,season,id", ...rows].join("\n"))),
  fc.array(row, { maxLength: 6 }).map((rows) => strToU8(["Date,Name,Year,Letterboxd URI,Rating", ...rows].join("\r\n"))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => strToU8(JSON.stringify(v))),
  fc.array(fc.record({ kind: fc.constantFrom("book", "movie", "x"), title: fc.string({ maxLength: 10 }), id: fc.uuid(), rating: fc.oneof(fc.double(), fc.constant(3)) }), { maxLength: 5 })
    .map((v) => strToU8(JSON.stringify(v))),
  fc.array(row, { maxLength: 4 }).map((rows) => zipSync({ "diary.csv": strToU8(["Date,Name,Year,Letterboxd URI,Rating,Watched Date", ...rows].join("\n")) })),
);
const fileName = fc.oneof(
  fc.constantFrom("export.csv", "media-tracker.json", "letterboxd.zip", "diary.csv", "notes.txt", "EXPORT.CSV", ".csv", "no-extension"),
  fc.string({ maxLength: 30 }).map((s) => `${s}.csv`),
  fc.constant(`${"very-long-".repeat(30)}.json`),
);

let nextUpdateId = 1;
let nextChat = 900_000;
/** How many runs got as far as an import, so the property is never true only because nothing was imported. */
let imported = 0;

describe("imports under random files", () => {
  it("every file gets an answer, nothing is parked, and Import adds exactly what was offered, once", async () => {
    await fc.assert(
      fc.asyncProperty(content, fileName, fc.option(fc.integer({ min: 0, max: 50 * 1024 * 1024 }), { nil: undefined }), async (bytes, name, declaredSize) => {
        const chat = nextChat++;
        const fileId = `FZ${chat}`;
        t.api.addFile(fileId, name, Buffer.from(bytes));
        const answer = await postHandled(t, chat, makeDocumentUpdate(nextUpdateId++, chat, { fileId, fileName: name, fileSize: declaredSize ?? bytes.length }));
        expect(answer.texts.length).toBeGreaterThan(0);
        expect(answer.texts.every((text) => text.trim().length > 0)).toBe(true);
        const importButton = answer.all.flatMap((o) => (o.type === "text" ? (o.buttons ?? []).flat() : [])).find((b) => b.data.startsWith("im:"));
        const store = createMediaStore(t.app.store.read);
        if (!importButton) {
          expect(await store.count(String(chat))).toBe(0);
          return;
        }
        const offered = Number(/^Import (\d+)$/.exec(importButton.text)?.[1]);
        expect(offered).toBeGreaterThan(0);
        const applied = await postHandled(t, chat, makeCallbackUpdate(nextUpdateId++, chat, importButton.data, 1));
        expect(applied.texts[0]).toMatch(new RegExp(`^Imported ${offered} (entry|entries)`));
        expect(await store.count(String(chat))).toBe(offered);
        const again = await postHandled(t, chat, makeCallbackUpdate(nextUpdateId++, chat, importButton.data, 1));
        expect(again.texts).toEqual([]);
        expect(await store.count(String(chat))).toBe(offered);
        imported += 1;
      }),
      // A failing import waits out the runtime's retries, so report the first failure unshrunk.
      { numRuns: 40, seed: SEED, endOnFailure: true },
    );
    expect(imported).toBeGreaterThan(3);
    expect(t.app.db.prepare("SELECT COUNT(*) FROM inbox WHERE status != 'done'").pluck().get()).toBe(0);
  }, 90_000);
});

// ALLOWED_USER_IDS through the whole app: a user not on the list gets a polite refusal for a
// message, a toast for a button press, and nothing else for a file: no dialog moves, no entry
// changes, no file is downloaded, nothing is staged. Also in a group an allowed user shares.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCallbackUpdate, makeDocumentUpdate, makeTextUpdate } from "../support/fake-bot-api.js";
import { postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";
import { listOf } from "../support/entries.js";

const ALLOWED = 100;
const STRANGER = 300;
const GROUP = -500;
const REFUSAL = "Sorry, this is a private bot.";

let t: TestApp;
let nextUpdateId = 1;
beforeAll(async () => {
  t = await startTestApp({ ALLOWED_USER_IDS: `${ALLOWED}, 200` });
});
afterAll(async () => {
  await t.close();
});

const say = (chat: number, text: string, from: number) => postHandled(t, chat, makeTextUpdate(nextUpdateId++, chat, text, from));
const press = (chat: number, data: string, from: number) => postHandled(t, chat, makeCallbackUpdate(nextUpdateId++, chat, data, 1, from));

async function snapshot(chat: number) {
  return {
    entries: await listOf(t.app.store, chat),
    state: t.app.db.prepare("SELECT state_json FROM agent_state WHERE agent_key = ?").pluck().get(String(chat)) ?? null,
    imports: t.app.db.prepare("SELECT COUNT(*) FROM imports WHERE chat_id = ?").pluck().get(String(chat)),
  };
}

describe("the allowlist", () => {
  it("refuses a stranger's messages in a private chat and keeps no state for them", async () => {
    for (const text of ["/start", "/add_book", "Dune", "/export", "/forget"]) {
      const answer = await say(STRANGER, text, STRANGER);
      expect(answer.texts).toEqual([REFUSAL]);
    }
    expect(await snapshot(STRANGER)).toEqual({ entries: [], state: null, imports: 0 });
    expect(t.api.calls.some((c) => c.method === "sendDocument")).toBe(false);
  });

  it("refuses a message without a sender (no from field)", async () => {
    const update = makeTextUpdate(nextUpdateId++, 301, "/start");
    delete (update.message as { from?: unknown }).from;
    expect((await postHandled(t, 301, update)).texts).toEqual([REFUSAL]);
  });

  it("in a shared group: a stranger's answers, buttons and files do nothing to the allowed user's dialog and entries", async () => {
    // The allowed user adds a book, then opens a second dialog and stops at its title.
    for (const text of ["/add_book", "Dune", "Frank Herbert", "4"]) await say(GROUP, text, ALLOWED);
    const [book] = await listOf(t.app.store, GROUP);
    expect(book).toMatchObject({ title: "Dune", rating: 4 });
    expect((await say(GROUP, "/add_movie", ALLOWED)).texts.at(-1)).toMatch(/movie's title/);
    const before = await snapshot(GROUP);

    // The stranger answers the open question, runs commands, and presses every kind of button.
    for (const text of ["Arrival", "/cancel", "/forget", "/skip"]) expect((await say(GROUP, text, STRANGER)).texts).toEqual([REFUSAL]);
    for (const data of [`dy:${book!.id}`, `rs:${book!.id}:1`, `ss:${book!.id}:dropped`, `ed:${book!.id}:title`, "answer:5", "dlg:drop", "fg:yes:x", "ex:csv"]) {
      const answer = await press(GROUP, data, STRANGER);
      expect(answer.texts).toEqual([]);
      expect(answer.all).toEqual([expect.objectContaining({ type: "answer-button", text: "This bot is private." })]);
    }
    // And sends a file to import: refused before it is fetched.
    const downloadsBefore = t.api.downloads.length;
    const getFilesBefore = t.api.calls.filter((c) => c.method === "getFile").length;
    t.api.addFile("STRANGER-FILE", "export.csv", "kind,title,id\nbook,Planted,p1\n");
    const file = await postHandled(t, GROUP, makeDocumentUpdate(nextUpdateId++, GROUP, { fileId: "STRANGER-FILE", fileName: "export.csv", fileSize: 40 }, STRANGER));
    expect(file.texts).toEqual([REFUSAL]);
    expect(t.api.downloads.length).toBe(downloadsBefore);
    expect(t.api.calls.filter((c) => c.method === "getFile").length).toBe(getFilesBefore);

    expect(await snapshot(GROUP)).toEqual(before);

    // The allowed user's dialog is where they left it.
    for (const text of ["Arrival", "2016"]) await say(GROUP, text, ALLOWED);
    expect((await say(GROUP, "5", ALLOWED)).texts).toEqual(["Saved the movie: Arrival (2016), ★★★★★ 5/5."]);
    expect((await listOf(t.app.store, GROUP)).map((e) => e.title)).toEqual(["Dune", "Arrival"]);
  });

  it("lets an allowed user import, and a stranger cannot press that import's button", async () => {
    t.api.addFile("OK-FILE", "export.csv", "kind,title,id\nbook,Solaris,s1\n");
    const staged = await postHandled(t, GROUP, makeDocumentUpdate(nextUpdateId++, GROUP, { fileId: "OK-FILE", fileName: "export.csv", fileSize: 30 }, ALLOWED));
    const buttons = staged.all.flatMap((o) => (o.type === "text" ? (o.buttons ?? []).flat() : []));
    const importData = buttons.find((b) => b.data.startsWith("im:"))!.data;
    expect((await press(GROUP, importData, STRANGER)).toasts).toEqual(["This bot is private."]);
    expect((await listOf(t.app.store, GROUP)).map((e) => e.title)).not.toContain("Solaris");
    expect((await press(GROUP, importData, ALLOWED)).texts[0]).toMatch(/^Imported 1 entry/);
    expect((await listOf(t.app.store, GROUP)).map((e) => e.title)).toContain("Solaris");
  });
});

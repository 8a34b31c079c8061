// The lists through the front door: pages with ◀ ▶ buttons that show the next page in place, one
// button per entry, filters by status and text, /find, and messages that stay far below
// Telegram's 4096 characters.
import { afterEach, describe, expect, it } from "vitest";
import { type RecordedCall, makeCallbackUpdate } from "../support/fake-bot-api.js";
import { seed, replies } from "../support/entries.js";
import { postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  // Every handler here must replay to the same steps and state (verifyReplay logs it otherwise).
  const replayErrors = t?.logs.filter((l) => l.includes("replay check failed")) ?? [];
  await t?.close();
  t = undefined;
  expect(replayErrors).toEqual([]);
});




function messages(app: TestApp, chatId: number): RecordedCall[] {
  return app.api.sent(chatId).filter((c) => c.method === "sendMessage");
}

/** The page edits Telegram got for one list message. */
function pageEdits(app: TestApp, chatId: number, messageId: number): RecordedCall[] {
  return app.api.calls.filter((c) => c.method === "editMessageText" && c.params.chat_id === chatId && c.params.message_id === messageId && !c.failedWith);
}

function buttonsOf(call: RecordedCall | undefined): Array<{ text: string; data: string }> {
  const markup = call?.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data }));
}

describe("lists", () => {
  it("pages 20 movies with ◀ ▶ buttons in place of the page tapped, newest first, every message well under 4096 characters", async () => {
    t = await startTestApp();
    const long = "x".repeat(290);
    await seed(t, 1, Array.from({ length: 20 }, (_, i) => ({ id: `m${i + 1}`, kind: "movie" as const, title: `Movie ${i + 1} ${long}`, year: 2000 + i, rating: 4 })));

    await t.say(1, "/movies");
    const [first] = await replies(t, 1, 1);
    expect(first).toMatch(/Your movies \(20\)/);
    expect(first).toMatch(/^1\. Movie 20 x+…/m);
    expect(first).toMatch(/^8\. Movie 13 /m);
    expect(first).not.toContain("Movie 12 ");
    expect(first).toMatch(/Page 1 of 3\. Tap one to see it, rate, edit or delete it\.$/);
    const listMessage = messages(t, 1)[0]!;
    const page1 = buttonsOf(listMessage);
    expect(page1.filter((b) => b.data.startsWith("e:")).map((b) => b.data)).toEqual(["e:m20", "e:m19", "e:m18", "e:m17", "e:m16", "e:m15", "e:m14", "e:m13"]);
    const older = page1.filter((b) => b.data.startsWith("pg:"));
    expect(older).toEqual([{ text: "Older ▶", data: expect.stringMatching(/^pg:[0-9a-f]{8}:8$/) }]);
    const token = older[0]!.data.split(":")[1]!;
    const id = (listMessage.result as { message_id: number }).message_id;

    // Each page replaces the one tapped: no new message.
    const second = (await postHandled(t, 1, makeCallbackUpdate(101, 1, `pg:${token}:8`, id))).edits[0]!;
    expect(second).toMatch(/^9\. Movie 12 /m);
    expect(second).toMatch(/^16\. Movie 5 /m);
    expect(second).toMatch(/Page 2 of 3/);
    expect(buttonsOf(pageEdits(t, 1, id).at(-1)).filter((b) => b.data.startsWith("pg:")).map((b) => b.data)).toEqual([`pg:${token}:0`, `pg:${token}:16`]);

    const third = (await postHandled(t, 1, makeCallbackUpdate(102, 1, `pg:${token}:16`, id))).edits[0]!;
    expect(third).toMatch(/^17\. Movie 4 /m);
    expect(third).toMatch(/^20\. Movie 1 /m);
    expect(buttonsOf(pageEdits(t, 1, id).at(-1)).filter((b) => b.data.startsWith("pg:")).map((b) => b.data)).toEqual([`pg:${token}:8`]);
    expect(messages(t, 1)).toHaveLength(1);

    // A page button of an older list would turn that message into a page of another list: refused.
    await t.say(1, "/list");
    await replies(t, 1, 2);
    const stale = await postHandled(t, 1, makeCallbackUpdate(103, 1, `pg:${token}:8`, id));
    expect(stale).toMatchObject({ texts: [], edits: [], toasts: ["That list is out of date. Send the command again for a fresh one."] });
    // A page button sent before list tokens ("pg:<offset>") pages the last list.
    expect((await postHandled(t, 1, makeCallbackUpdate(104, 1, "pg:8", id))).edits[0]).toMatch(/^Everything \(20\):\n9\. 🎬 Movie 12 /);

    for (const text of [...t.replies(1), second, third]) expect(text.length).toBeLessThan(2000);
    for (const call of [...messages(t, 1), ...pageEdits(t, 1, id)]) for (const b of buttonsOf(call)) expect(Buffer.byteLength(b.data)).toBeLessThanOrEqual(64);
  });

  it("counts with thousands separators", async () => {
    t = await startTestApp();
    await seed(t, 6, Array.from({ length: 1005 }, (_, i) => ({ id: `b${i}`, kind: "book" as const, title: `Book ${i}` })));
    await t.say(6, "/books");
    const [list] = await replies(t, 6, 1);
    expect(list).toMatch(/^Your books \(1,005\):/);
    expect(list).toMatch(/Page 1 of 126\./);
    const id = (messages(t, 6)[0]!.result as { message_id: number }).message_id;
    const token = buttonsOf(messages(t, 6)[0]).find((b) => b.data.startsWith("pg:"))!.data.split(":")[1]!;
    const last = (await postHandled(t, 6, makeCallbackUpdate(201, 6, `pg:${token}:1000`, id))).edits[0]!;
    expect(last).toMatch(/^1,001\. Book 4$/m);
  });

  it("keeps a page of very long quotes short, and does not offer to rate them", async () => {
    t = await startTestApp();
    await seed(t, 2, Array.from({ length: 10 }, (_, i) => ({ id: `q${i}`, kind: "quote" as const, title: "W".repeat(300), author: "A".repeat(200), quoteText: `${i} ${"q".repeat(1990)}` })));
    await t.say(2, "/quotes");
    const [page] = await replies(t, 2, 1);
    expect(page!.length).toBeLessThan(4096);
    // Quotes have no rating, and the list does not offer one.
    expect(page).toMatch(/Tap a quote to see it, edit or delete it\.$/);
    expect(page).not.toMatch(/rate/i);
    expect(page!.split("\n").filter((l) => /^\d+\. «/.test(l))).toHaveLength(8);
    await t.say(2, "/list");
    expect((await replies(t, 2, 2))[1]!.length).toBeLessThan(4096);
  });

  it("filters books and shows by status, and explains an unknown status", async () => {
    t = await startTestApp();
    await seed(t, 3, [
      { id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", rating: 4, status: "reading", currentPage: 120 },
      { id: "b2", kind: "book", title: "Emma", author: "Jane Austen", status: "finished" },
      { id: "b3", kind: "book", title: "Ulysses", status: "want" },
      { id: "s1", kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" },
      { id: "s2", kind: "show", title: "Lost", status: "dropped" },
    ]);
    await t.say(3, "/books finished");
    await t.say(3, "/books done");
    await t.say(3, "/books READING");
    await t.say(3, "/shows watching");
    await t.say(3, "/shows paused");
    await t.say(3, "/books");
    const [finished, done, reading, watching, paused, all] = await replies(t, 3, 6);
    expect(finished).toMatch(/Your books marked finished \(1\):/);
    expect(finished).toContain("Emma — Jane Austen, finished");
    expect(finished).not.toContain("Dune");
    expect(done).toMatch(/isn't a status/);
    expect(done).toContain("want, reading, finished, dropped");
    expect(reading).toContain("1. Dune — Frank Herbert, ★★★★☆ 4/5, reading, p. 120");
    expect(watching).toContain("Severance S2E5, watching");
    expect(watching).not.toContain("Lost");
    expect(paused).toMatch(/no shows marked paused/);
    expect(all).toMatch(/Your books \(3\)/);
    expect(buttonsOf(messages(t, 3)[5]).map((b) => b.data)).toEqual(["e:b3", "e:b2", "e:b1"]);
  });

  it("filters movies by want and watched (a movie without a status was watched); other words search", async () => {
    t = await startTestApp();
    await seed(t, 13, [
      { id: "m1", kind: "movie", title: "Heat", year: 1995, watchedOn: "2024-01-02" },
      { id: "m2", kind: "movie", title: "Alien", year: 1979, status: "want" },
      { id: "m3", kind: "movie", title: "Arrival", year: 2016, status: "watched" },
    ]);
    await t.say(13, "/movies want");
    await t.say(13, "/movies watched");
    await t.say(13, "/movies heat");
    const [want, watched, heat] = await replies(t, 13, 3);
    expect(want).toMatch(/^Your movies marked want \(1\):\n1\. Alien \(1979\), want to see\n/);
    expect(watched).toMatch(/^Your movies marked watched \(2\):/);
    expect(watched).toContain("Heat");
    expect(watched).not.toContain("Alien");
    expect(heat).toMatch(/^Your movies matching "heat" \(1\):/);
  });

  it("finds by text across kinds, says when nothing matches, and asks what to find", async () => {
    t = await startTestApp();
    await seed(t, 4, [
      { id: "b1", kind: "book", title: "Dune", author: "Frank Herbert" },
      { id: "m1", kind: "movie", title: "Dune: Part Two", year: 2024 },
      { id: "q1", kind: "quote", title: "Children of Dune", quoteText: "Fear is the mind-killer." },
      { id: "m2", kind: "movie", title: "Heat", year: 1995 },
      { id: "q2", kind: "quote", title: "Hamlet", quoteText: "To be, or not to be", author: "Shakespeare" },
    ]);
    await t.say(4, "/find dune");
    await t.say(4, "/find MIND-killer");
    await t.say(4, "/find zzz");
    await t.say(4, "/find");
    await t.say(4, "/list");
    const [dune, mind, none, usage, list] = await replies(t, 4, 5);
    expect(dune).toMatch(/\(3\)/);
    expect(dune).toContain("Dune — Frank Herbert");
    expect(dune).toContain("Dune: Part Two (2024)");
    expect(dune).toContain("«Fear is the mind-killer.» — Children of Dune");
    expect(dune).not.toContain("Heat");
    expect(mind).toMatch(/\(1\)/);
    expect(none).toMatch(/Nothing matches "zzz"/);
    expect(usage).toMatch(/What should I look for.*\/find dune/);
    expect(list).toMatch(/Everything \(5\)/);
    expect(list).toMatch(/^1\. 💬 «To be, or not to be» — Shakespeare, Hamlet/m);
  });

  it("says an empty list is empty and names the command that adds to it; stale page buttons are refused", async () => {
    t = await startTestApp();
    await t.press(5, "pg:8");
    await t.say(5, "/books");
    await t.say(5, "/shows");
    await t.say(5, "/quotes");
    await t.say(5, "/list");
    const [books, shows, quotes, list] = await replies(t, 5, 4);
    expect(books).toMatch(/haven't added any books.*\/add_book/);
    expect(shows).toMatch(/\/add_show/);
    expect(quotes).toMatch(/\/add_quote/);
    expect(list).toMatch(/empty/);
    await t.api.waitFor(() => t!.api.calls.some((c) => c.method === "answerCallbackQuery"));
    expect(t.api.calls.find((c) => c.method === "answerCallbackQuery")!.params.text).toBe("That button is no longer active.");
  });
});

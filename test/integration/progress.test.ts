// Progress through the front door: /progress, /watched (+1 episode, the season rollover button,
// title matching) and /page with its checks.
import { afterEach, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-bot-api.js";
import { seed, replies } from "../support/entries.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  const replayErrors = t?.logs.filter((l) => l.includes("replay check failed")) ?? [];
  await t?.close();
  t = undefined;
  expect(replayErrors).toEqual([]);
});



function row(app: TestApp, chatId: number, id: string) {
  return app.app.db.prepare("SELECT season, episode, status, current_page FROM entries WHERE chat_id = ? AND id = ?").get(String(chatId), id);
}


function toasts(app: TestApp): unknown[] {
  return app.api.calls.filter((c) => c.method === "answerCallbackQuery").map((c) => c.params.text);
}

function lastMessage(app: TestApp, chatId: number): RecordedCall {
  return app.api.sent(chatId).filter((c) => c.method === "sendMessage").at(-1)!;
}

function buttons(call: RecordedCall): Array<{ text: string; data: string }> {
  const markup = call.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data }));
}

describe("progress", () => {
  it("/progress lists shows being watched and books being read, with their place and +1 buttons", async () => {
    t = await startTestApp();
    await t.say(1, "/progress");
    expect((await replies(t, 1, 1))[0]).toMatch(/Nothing in progress/);
    await seed(t, 1, [
      { id: "s1", kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" },
      { id: "s2", kind: "show", title: "Lost" },
      { id: "s3", kind: "show", title: "Done Show", season: 3, episode: 8, status: "finished" },
      { id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", status: "reading", currentPage: 120 },
      { id: "b2", kind: "book", title: "Emma", status: "want" },
    ]);
    await t.say(1, "/progress");
    const text = (await replies(t, 1, 2))[1]!;
    expect(text).toContain("Severance S2E5");
    expect(text).toContain("Lost (not started)");
    expect(text).not.toContain("Done Show");
    expect(text).toContain("Dune — Frank Herbert, p. 120");
    expect(text).not.toContain("Emma");
    expect(buttons(lastMessage(t, 1)).map((b) => b.data)).toEqual(["wt:s2", "wt:s1"]);
  });

  it("/watched and the +1 button move a show on by one episode; the season rollover button starts the next season once", async () => {
    t = await startTestApp();
    await seed(t, 2, [{ id: "s1", kind: "show", title: "Severance", season: 2, episode: 5, status: "watching" }, { id: "s2", kind: "show", title: "Lost", status: "paused" }]);
    await t.say(2, "/watched severance");
    expect((await replies(t, 2, 1))[0]).toBe("«Severance»: now at S2E6.");
    expect(buttons(lastMessage(t, 2))).toEqual([{ text: "+1 episode", data: "wt:s1" }, { text: "Season finished → S3E1", data: "ns:s1:2" }]);
    await t.press(2, "wt:s1");
    expect((await replies(t, 2, 2))[1]).toBe("«Severance»: now at S2E7.");
    const rollover = lastMessage(t, 2);
    await t.press(2, "ns:s1:2", (rollover.result as { message_id: number }).message_id);
    expect((await replies(t, 2, 3))[2]).toBe("«Severance»: on to season 3, now at S3E1.");
    expect(row(t, 2, "s1")).toEqual({ season: 3, episode: 1, status: "watching", current_page: null });
    await t.press(2, "ns:s1:2");
    await t.api.waitFor(() => toasts(t!).length === 3);
    expect(toasts(t).at(-1)).toBe("That button is no longer active.");
    expect(row(t, 2, "s1")).toMatchObject({ season: 3, episode: 1 });

    await t.say(2, "/watched  LOST ");
    expect((await replies(t, 2, 4))[3]).toBe("«Lost»: now at S1E1.");
    expect(row(t, 2, "s2")).toMatchObject({ season: 1, episode: 1, status: "watching" });
  });

  it("/watched prefers the exact title, offers a choice when several match, and helps when none or nothing is given", async () => {
    t = await startTestApp();
    await seed(t, 3, [
      { id: "d1", kind: "show", title: "Dark", season: 1, episode: 1 },
      { id: "d2", kind: "show", title: "Dark Matter", season: 1, episode: 3 },
      { id: "o1", kind: "show", title: "The Office" },
    ]);
    await t.say(3, "/watched dark");
    expect((await replies(t, 3, 1))[0]).toBe("«Dark»: now at S1E2.");
    await t.say(3, "/watched ar");
    expect((await replies(t, 3, 2))[1]).toMatch(/Several shows match "ar"/);
    expect(buttons(lastMessage(t, 3)).map((b) => b.data)).toEqual(["wt:d2", "wt:d1"]);
    await t.say(3, "/watched Breaking Bad");
    expect((await replies(t, 3, 3))[2]).toMatch(/can't find a show called "Breaking Bad".*\/add_show/);
    await t.say(3, "/watched");
    expect((await replies(t, 3, 4))[3]).toMatch(/Which show.*\/watched <title>/);
    expect(buttons(lastMessage(t, 3)).map((b) => b.data)).toEqual(["wt:o1", "wt:d2", "wt:d1"]);
    expect(row(t, 3, "d2")).toMatchObject({ episode: 3 });
  });

  it("/page sets a book's page, checks the number and the title", async () => {
    t = await startTestApp();
    await seed(t, 4, [
      { id: "b1", kind: "book", title: "Dune", status: "want" },
      { id: "b2", kind: "book", title: "Dune Messiah", status: "finished" },
      { id: "s1", kind: "show", title: "Dune: Prophecy" },
    ]);
    for (const text of ["/page dune 120", "/page Dune abc", "/page Dune -5", "/page Dune 9999999", "/page Dune", "/page", "/page Nope 5", "/page Dun 10"]) {
      await t.say(4, text);
    }
    const r = await replies(t, 4, 8);
    expect(r[0]).toBe("«Dune»: now on p. 120 (marked reading).");
    expect(r[1]).toMatch(/whole number.*\/page Dune 120/);
    expect(r[2]).toMatch(/whole number/);
    expect(r[3]).toMatch(/from 0 to 100,000/);
    expect(r[4]).toMatch(/both the title and the page/);
    expect(r[5]).toMatch(/^Send the book's title and the page/);
    expect(r[6]).toMatch(/can't find a book called "Nope"/);
    expect(r[7]).toMatch(/Several books match "Dun". Which one is on page 10\?/);
    expect(row(t, 4, "b1")).toMatchObject({ current_page: 120, status: "reading" });
    expect(buttons(lastMessage(t, 4)).map((b) => b.data)).toEqual(["pp:b2:10", "pp:b1:10"]);

    await t.press(4, "pp:b2:10");
    expect((await replies(t, 4, 9))[8]).toBe("«Dune Messiah»: now on p. 10.");
    expect(row(t, 4, "b2")).toMatchObject({ current_page: 10, status: "finished" });
    await t.press(4, "pp:b2:abc");
    await t.press(4, "pp:s1:10");
    await t.api.waitFor(() => toasts(t!).length === 3);
    expect(toasts(t).slice(1)).toEqual(["That button is no longer active.", "That button is no longer active."]);
    expect(row(t, 4, "s1")).toMatchObject({ current_page: null });
  });
});

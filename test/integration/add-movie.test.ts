// The walking-skeleton agent end to end: the /add_movie dialog over the webhook, with grammY's
// client delivering replies to the fake Bot API; invalid input, buttons, /cancel, the allowlist.
import { afterEach, describe, expect, it } from "vitest";
import { type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function expectReplies(app: TestApp, chatId: number, count: number): Promise<string[]> {
  await app.api.waitFor(() => app.replies(chatId).length >= count, 10_000);
  return app.replies(chatId);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function movies(app: TestApp, chatId: number) {
  return app.app.db.prepare("SELECT title, year, rating FROM entries WHERE chat_id = ? AND kind = 'movie'").all(String(chatId));
}

describe("/add_movie", () => {
  it("asks title, year and rating in turn, saves the movie and confirms it", async () => {
    t = await startTestApp();
    await t.say(1, "/add_movie");
    await t.say(1, "Dune: Part Two");
    await t.say(1, "2024");
    const prompts = await expectReplies(t, 1, 3);
    expect(prompts[0]).toMatch(/title/i);
    expect(prompts[1]).toMatch(/year/i);
    expect(prompts[2]).toMatch(/rating/i);
    const ratingPrompt = t.api.sent(1).at(-1)!;
    expect(JSON.stringify(ratingPrompt.params.reply_markup)).toContain("answer:5");

    await t.press(1, "answer:5", (ratingPrompt.result as { message_id: number }).message_id);
    const all = await expectReplies(t, 1, 4);
    expect(all[3]).toMatch(/saved/i);
    expect(all[3]).toContain("Dune: Part Two (2024)");
    expect(movies(t, 1)).toEqual([{ title: "Dune: Part Two", year: 2024, rating: 5 }]);
    await t.api.waitFor(() => t!.api.calls.some((c) => c.method === "answerCallbackQuery"));
    await t.api.waitFor(() => t!.api.calls.some((c) => c.method === "editMessageReplyMarkup"));

    await t.say(1, "/movies");
    const list = await expectReplies(t, 1, 5);
    expect(list[4]).toContain("Dune: Part Two (2024)");
  });

  it("takes a typed half-star rating", async () => {
    t = await startTestApp();
    for (const text of ["/add_movie", "Heat", "1995", "4.5"]) await t.say(2, text);
    const replies = await expectReplies(t, 2, 4);
    expect(replies[3]).toContain("4.5/5");
    expect(movies(t, 2)).toEqual([{ title: "Heat", year: 1995, rating: 4.5 }]);
  });

  it("explains invalid input and asks the same question again in one message, storing nothing half-filled", async () => {
    t = await startTestApp();
    for (const text of ["/add_movie", "Alien", "nineteen79", "1700", "1979", "6", "3.3", "/skip", "3"]) await t.say(3, text);
    const replies = await expectReplies(t, 3, 9);
    const [, yearQ, badYear, oldYear, ratingQ, bad6, bad33, noSkip, saved] = replies;
    expect(yearQ).toMatch(/year/i);
    expect(badYear).toMatch(new RegExp(`^Please send the year as a number.*\\n\\n${escape(yearQ!)}$`));
    expect(oldYear).toBe(`The year must be a whole number from 1870 to 2100.\n\n${yearQ}`);
    expect(ratingQ).toMatch(/rating/i);
    expect(bad6).toBe(`The rating must be a number of stars from 1 to 5 (half stars like 3.5 are fine).\n\n${ratingQ}`);
    expect(bad33).toBe(`Ratings go in whole or half stars. Did you mean 3 or 3.5?\n\n${ratingQ}`);
    expect(noSkip).toBe(`The rating is needed, so it can't be skipped.\n\n${ratingQ}`);
    expect(saved).toMatch(/saved.*Alien \(1979\)/i);
    expect(replies).toHaveLength(9);
    expect(movies(t, 3)).toEqual([{ title: "Alien", year: 1979, rating: 3 }]);
  });

  it("/cancel and /reset leave the dialog and nothing is saved", async () => {
    t = await startTestApp();
    for (const text of ["/add_movie", "Solaris", "/cancel", "1972", "/add_movie", "/reset"]) await t.say(4, text);
    const replies = await expectReplies(t, 4, 6);
    expect(replies[2]).toMatch(/dropped the movie/);
    expect(replies[3]).toMatch(/didn't understand/);
    expect(replies[5]).toMatch(/dropped the movie/);
    expect(movies(t, 4)).toEqual([]);
  });

  it("refuses a stale rating button and a button with forged data", async () => {
    t = await startTestApp();
    await t.press(5, "answer:5");
    await t.say(5, "/add_movie");
    await t.press(5, "answer:4");
    await t.api.waitFor(() => t!.api.calls.filter((c) => c.method === "answerCallbackQuery").length === 2);
    const answers = t.api.calls.filter((c) => c.method === "answerCallbackQuery").map((c) => c.params.text);
    expect(answers).toEqual(["That button is no longer active.", "That button is no longer active."]);
    expect(movies(t, 5)).toEqual([]);
  });

  it("keeps chats apart: one chat's dialog and list are not another's", async () => {
    t = await startTestApp();
    for (const text of ["/add_movie", "Ran", "1985", "5"]) await t.say(6, text);
    await t.say(7, "/add_movie");
    await expectReplies(t, 6, 4);
    await t.say(7, "/movies");
    const asked = await expectReplies(t, 7, 2);
    expect(asked[1]).toMatch(/middle of adding a movie. Drop it and run \/movies\?/);
    await t.press(7, "dlg:drop");
    const other = await expectReplies(t, 7, 4);
    expect(other[2]).toMatch(/dropped the movie/);
    expect(other[3]).toMatch(/haven't added any movies/);
  });

  it("answers only allowed users when ALLOWED_USER_IDS is set", async () => {
    t = await startTestApp({ ALLOWED_USER_IDS: "100, 200" });
    await t.say(100, "/add_movie");
    await t.say(300, "/add_movie");
    await t.press(300, "answer:5");
    expect((await expectReplies(t, 100, 1))[0]).toMatch(/title/i);
    expect((await expectReplies(t, 300, 1))[0]).toMatch(/private bot/);
    await t.api.waitFor(() => t!.api.calls.some((c) => c.method === "answerCallbackQuery"));
    expect(t.app.db.prepare("SELECT COUNT(*) FROM agent_state WHERE agent_key = '300'").pluck().get()).toBe(0);
  });

  it("answers non-text messages and unknown commands helpfully", async () => {
    t = await startTestApp();
    await t.say(8, "/frobnicate");
    const update = { update_id: 77, message: { message_id: 9, date: 1, chat: { id: 8, type: "private" }, from: { id: 8, is_bot: false, first_name: "A" }, sticker: { file_id: "x" } } };
    await fetch(t.webhookUrl, { method: "POST", headers: { "x-telegram-bot-api-secret-token": "test-secret_123" }, body: JSON.stringify(update) });
    const replies = await expectReplies(t, 8, 2);
    expect(replies).toEqual(expect.arrayContaining([expect.stringMatching(/don't know \/frobnicate/), expect.stringMatching(/only read text/)]));
  });
});

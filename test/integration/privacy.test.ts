// /privacy and /forget: what is kept, and deleting all of a chat's data only after a fresh yes.
import { afterEach, describe, expect, it } from "vitest";
import { updateInboxId } from "../support/fake-bot-api.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function replies(app: TestApp, chatId: number, count: number): Promise<string[]> {
  await app.api.waitFor(() => app.replies(chatId).length >= count, 10_000);
  return app.replies(chatId);
}

function lastButtons(app: TestApp, chatId: number): string[] {
  const markup = app.api.sent(chatId).at(-1)!.params.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> };
  return markup.inline_keyboard.flat().map((b) => b.callback_data);
}

function rows(app: TestApp, sql: string, chatId: number): number {
  return app.app.db.prepare(sql).pluck().get(String(chatId)) as number;
}

describe("privacy", () => {
  it("/privacy says what is kept and where", async () => {
    t = await startTestApp();
    await t.say(41, "/privacy");
    const [text] = await replies(t, 41, 1);
    expect(text).toMatch(/SQLite file/);
    expect(text).toMatch(/\/forget/);
  });

  it("/forget deletes entries, state and the record of messages after a yes, and a stale button does nothing", async () => {
    t = await startTestApp();
    for (const text of ["/add_movie", "Paprika", "2006", "5"]) await t.say(42, text);
    await t.say(43, "/add_movie");
    await replies(t, 42, 4);
    await replies(t, 43, 1);
    await t.say(42, "/forget");
    const asked = await replies(t, 42, 5);
    expect(asked[4]).toMatch(/1 entry/);
    const [yes, no] = lastButtons(t, 42);
    expect(yes).toMatch(/^fg:yes:/);

    await t.press(42, no!);
    expect((await replies(t, 42, 6))[5]).toMatch(/kept everything/);
    expect(rows(t, "SELECT COUNT(*) FROM entries WHERE chat_id = ?", 42)).toBe(1);
    // The answered question's "yes" is stale now.
    await t.press(42, yes!);
    await t.api.waitFor(() => t!.api.calls.filter((c) => c.method === "answerCallbackQuery").length === 2);
    expect(rows(t, "SELECT COUNT(*) FROM entries WHERE chat_id = ?", 42)).toBe(1);

    await t.say(42, "/forget");
    await replies(t, 42, 7);
    await t.press(42, lastButtons(t, 42)[0]!);
    expect((await replies(t, 42, 8))[7]).toMatch(/deleted 1 entry/);
    await t.api.waitFor(() => rows(t!, "SELECT COUNT(*) FROM inbox WHERE agent_key = ? AND status = 'pending'", 42) === 0);
    expect(rows(t, "SELECT COUNT(*) FROM entries WHERE chat_id = ?", 42)).toBe(0);
    // Only the message that asked to forget is left in the inbox; no journal of older messages.
    expect(rows(t, "SELECT COUNT(*) FROM inbox WHERE agent_key = ?", 42)).toBe(1);
    const journalOwners = t.app.db.prepare("SELECT DISTINCT message_id FROM journal WHERE message_id LIKE 'tg:%'").pluck().all();
    const remaining = t.app.db.prepare("SELECT id FROM inbox WHERE agent_key = '42'").pluck().get();
    expect(journalOwners).not.toContain(updateInboxId(1));
    expect(journalOwners.filter((id) => id === remaining)).toHaveLength(1);
    expect(t.app.db.prepare("SELECT state_json FROM agent_state WHERE agent_key = '42'").pluck().get()).toBe("{}");
    // Another chat is untouched.
    expect(rows(t, "SELECT COUNT(*) FROM inbox WHERE agent_key = ?", 43)).toBe(1);
    await t.say(42, "/movies");
    expect((await replies(t, 42, 9))[8]).toMatch(/haven't added any movies/);
  });
});

// What counts as the same update, through the webhook over real HTTP: a redelivery after /forget is
// still a duplicate; the key holds the bot's id, so another bot's update with the same number is
// new; a reused update_id with another body is new; and a database from before the bot-keyed
// format keeps deduplicating its old keys for Telegram's redelivery horizon, no longer.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { updateFingerprint } from "../../src/telegram/update-key.js";
import { makeTextUpdate, postUpdate, updateInboxId } from "../support/fake-bot-api.js";
import { type FakeOpenAi, startFakeOpenAi } from "../support/fake-openai.js";
import { replies } from "../support/entries.js";
import { makeLegacyDatabase } from "../support/legacy-database.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";
import { settle } from "../support/wait-for.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app(env: Record<string, string> = {}, options: Parameters<typeof startTestApp>[2] = {}): Promise<TestApp> {
  const t = await startTestApp(env, false, { firstUpdateId: 100, ...options });
  // Idempotent: a test may close an app itself to start another on its database.
  cleanups.push(() => t.close().catch(() => undefined));
  return t;
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-dedup-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function post(t: TestApp, update: unknown): Promise<string> {
  const res = await postUpdate(t.webhookUrl, update, SECRET);
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { status: string }).status;
}

function count(t: TestApp, sql: string, ...params: unknown[]): number {
  return t.app.db.prepare(sql).pluck().get(...params) as number;
}

describe("deduplication of updates", () => {
  it("still knows an update handled before /forget: delivered again, it is not handled again", async () => {
    const fake: FakeOpenAi = await startFakeOpenAi();
    cleanups.push(() => fake.close());
    const t = await app({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: "test-model" });
    const addHeat = () => fake.queue(
      { toolCalls: [{ name: "add_movie", arguments: { title: "Heat", year: 1995, rating: 5 } }] },
      { content: "" },
    );
    const update = makeTextUpdate(7, 51, "watched Heat (1995), 5 stars");
    addHeat();
    expect(await post(t, update)).toBe("stored");
    expect((await replies(t, 51, 1))[0]).toMatch(/^✅ Added movie: Heat \(1995\), ★★★★★/);

    await t.say(51, "/forget");
    await replies(t, 51, 2);
    const yes = (t.api.sent(51).at(-1)!.params.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> })
      .inline_keyboard[0]![0]!.callback_data;
    await t.press(51, yes);
    expect((await replies(t, 51, 3))[2]).toMatch(/deleted 1 entry/);
    expect(count(t, "SELECT COUNT(*) FROM entries WHERE chat_id = '51'")).toBe(0);
    const modelCalls = fake.requests.length;

    // Telegram retries the first update (its 200 was lost), with a model that would add it again.
    addHeat();
    expect(await post(t, update)).toBe("duplicate");
    await settle(200);
    expect(fake.requests).toHaveLength(modelCalls);
    expect(count(t, "SELECT COUNT(*) FROM entries WHERE chat_id = '51'")).toBe(0);
    expect(t.replies(51)).toHaveLength(3);
    // What stays of it is its key and fingerprint: no content, no chat.
    expect(t.app.db.prepare("SELECT agent_key, kind, payload_json, fingerprint FROM inbox WHERE id = ?").get(updateInboxId(7)))
      .toEqual({ agent_key: "", kind: "erased", payload_json: "null", fingerprint: updateFingerprint(update) });
    expect(count(t, "SELECT COUNT(*) FROM inbox WHERE payload_json LIKE '%Heat%'")).toBe(0);
  });

  it("keys updates by bot: another bot's update with the same update_id on the same database is handled", async () => {
    const dir = tempDir();
    const first = await app({}, { dir });
    expect(await post(first, makeTextUpdate(1, 61, "/start"))).toBe("stored");
    await replies(first, 61, 1);
    await first.close();

    // A new token, for another bot (its id is the number before the ':'), on the same database.
    const second = await app({}, { dir, token: "654321:OTHER-bot" });
    // One object, posted twice: built again, its date could fall in the next second, and a body that
    // differs under the same update_id is a new update (see the reused-id test below).
    const help = makeTextUpdate(1, 61, "/help");
    expect(await post(second, help)).toBe("stored");
    expect(await replies(second, 61, 1)).toHaveLength(1);
    expect(second.app.db.prepare("SELECT id FROM inbox ORDER BY seq").pluck().all()).toEqual([
      updateInboxId(1), updateInboxId(1, "654321:OTHER-bot"),
    ]);
    expect(await post(second, help)).toBe("duplicate");
  });

  it("handles an update that reuses a stored update_id with another body, and only once", async () => {
    const t = await app();
    const before = makeTextUpdate(5, 62, "/start");
    // Telegram restarted its ids (a week without updates): update 5 again, a different message.
    const after = makeTextUpdate(5, 62, "/help");
    after.message.message_id = 90;
    expect(await post(t, before)).toBe("stored");
    await replies(t, 62, 1);
    expect(await post(t, after)).toBe("stored");
    await replies(t, 62, 2);
    expect(await post(t, after)).toBe("duplicate");
    expect(await post(t, before)).toBe("duplicate");
    await settle(100);
    expect(t.replies(62)).toHaveLength(2);
    expect(t.replies(62)[1]).toMatch(/\/add_movie/);
    expect(t.app.db.prepare("SELECT id FROM inbox ORDER BY seq").pluck().all()).toEqual([
      updateInboxId(5), `${updateInboxId(5)}~${updateFingerprint(after)}`,
    ]);
  });

  it("takes the same update with other key order and spacing for the same (polling and webhook agree)", async () => {
    const t = await app();
    const update = makeTextUpdate(8, 63, "/start");
    expect(await post(t, update)).toBe("stored");
    const { message, update_id } = update;
    const reordered = `{ "message": ${JSON.stringify(Object.fromEntries(Object.entries(message).reverse()), null, 2)},\n "update_id": ${update_id} }`;
    const res = await fetch(t.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      body: reordered,
    });
    expect(await res.json()).toEqual({ ok: true, status: "duplicate" });
  });

  it("carries a database's old keys over: a recent one still deduplicates, a pending one is handled, an old one blocks nothing", async () => {
    const dir = tempDir();
    const now = Date.now();
    const recent = makeTextUpdate(7, 71, "/start");
    const old = makeTextUpdate(8, 71, "/start");
    const pending = makeTextUpdate(9, 72, "/start");
    // A file as the release at migration 0004 left it, with the rows that release wrote.
    makeLegacyDatabase(path.join(dir, "bot.db"), 4, {
      fill(db) {
        const insert = db.prepare(
          `INSERT INTO inbox (id, agent_key, kind, payload_json, status, received_at_ms, completed_at_ms) VALUES (?, ?, 'message', ?, ?, ?, ?)`,
        );
        insert.run("tg:7", "71", JSON.stringify(recent), "done", now - 3600_000, now - 3600_000);
        insert.run("tg:8", "71", JSON.stringify(old), "done", now - 3 * 24 * 3600_000, now - 3 * 24 * 3600_000);
        insert.run("tg:9", "72", JSON.stringify(pending), "pending", now, null);
        db.prepare(`INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms) VALUES ('t1', '71', 'k', 'null', ?)`).run(now + 3600_000);
      },
    });

    const t = await app({}, { dir });
    // The message left pending by the old release is handled under its old id.
    await replies(t, 72, 1);
    expect(count(t, "SELECT COUNT(*) FROM inbox WHERE id = 'tg:9' AND status = 'done'")).toBe(1);
    // Update 7, received an hour before the upgrade, delivered again: a duplicate.
    expect(await post(t, recent)).toBe("duplicate");
    // Update 8's old key is days old, past any redelivery: a new update 8 is handled.
    expect(await post(t, makeTextUpdate(8, 71, "/help"))).toBe("stored");
    await replies(t, 71, 1);
    expect(count(t, "SELECT COUNT(*) FROM inbox WHERE id = ?", updateInboxId(8))).toBe(1);
    // An armed timer gets an arming time no later than the upgrade.
    const armedAt = t.app.db.prepare("SELECT armed_at_ms FROM timers WHERE id = 't1'").pluck().get() as number;
    expect(armedAt).toBeGreaterThanOrEqual(now - 1000);
    expect(armedAt).toBeLessThanOrEqual(Date.now());
  });
});

// New-episode alerts through the whole bot: a runtime clock the test moves, a fake TVmaze over real
// HTTP, entries seeded with a TVmaze id. The check's durable timer fires (runtime.fireDueTimers),
// fetches each watched show once for every chat, and each chat gets one message per show naming
// the next episode, with a button that marks it watched; never twice, never for an episode not yet
// aired, nothing while /alerts is off, and a provider that is down is tried again at the next check.
import { afterEach, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-bot-api.js";
import { replies, seed } from "../support/entries.js";
import { type FakeTvmaze, type FakeEpisode, startFakeTvmaze } from "../support/fake-tvmaze.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = 1_750_000_000_000;

let t: TestApp | undefined;
let tvmaze: FakeTvmaze | undefined;
afterEach(async () => {
  const replayErrors = t?.logs.filter((l) => l.includes("replay check failed")) ?? [];
  await t?.close();
  await tvmaze?.close();
  t = undefined;
  tvmaze = undefined;
  expect(replayErrors).toEqual([]);
});

/** Episodes 1..count of season 1, a week apart: 1-3 before START (the last a day before), 4 six days after, 5 thirteen. */
function episodes(count: number): FakeEpisode[] {
  return Array.from({ length: count }, (_, i) => ({
    season: 1, number: i + 1, name: `Chapter ${i + 1}`, airstamp: new Date(START - 15 * DAY + i * 7 * DAY).toISOString(),
  }));
}

async function setup(): Promise<{ app: TestApp; clock: { t: number; now(): number } }> {
  tvmaze = await startFakeTvmaze({ shows: [
    { id: 900, name: "Pluribus", premiered: "2025-01-01", webChannel: "Apple TV+", episodes: episodes(5) },
    { id: 901, name: "Slow Horses", premiered: "2022-04-01", webChannel: "Apple TV+", episodes: episodes(3) },
  ] });
  const clock = { t: START, now() { return this.t; } };
  t = await startTestApp({ METADATA: "on", TVMAZE_API_ROOT: tvmaze.root, EPISODE_CHECK_HOURS: "1" }, false, { clock });
  return { app: t, clock };
}

function checksDone(app: TestApp): number {
  return app.app.db.prepare(`SELECT COUNT(*) FROM inbox WHERE id LIKE 'episodes:next:%' AND status = 'done'`).pluck().get() as number;
}

/** Moves the clock on, fires the due check and waits until it and everything it caused is done. */
async function runCheck(app: TestApp, clock: { t: number }, advanceMs = HOUR): Promise<void> {
  const before = checksDone(app);
  clock.t += advanceMs;
  await app.app.runtime.fireDueTimers();
  await app.api.waitFor(async () => checksDone(app) > before && (await app.app.runtime.stats.pendingCount()) === 0 && (await app.app.runtime.stats.unsentCount()) === 0);
}

function alerts(app: TestApp, chatId: number): RecordedCall[] {
  return app.api.sent(chatId).filter((c) => c.method === "sendMessage" && String(c.params.text).startsWith("📺 New episode"));
}

function buttonsOf(call: RecordedCall): string[] {
  const markup = call.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data: string }>> } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data);
}

describe("new-episode alerts", () => {
  it("one fetch per show for several chats, one message per show naming the next episode, never twice, never before it airs", async () => {
    const { app, clock } = await setup();
        await seed(app, 1, [{ id: "a1", kind: "show", title: "Pluribus", season: 1, episode: 2, status: "watching", tvmazeId: 900 }]);
    await seed(app, 2, [
      { id: "b1", kind: "show", title: "Pluribus", season: 1, episode: 1, tvmazeId: 900 },
      { id: "b2", kind: "show", title: "Slow Horses", season: 1, episode: 3, status: "watching", tvmazeId: 901 },
      { id: "b3", kind: "show", title: "Not watched", season: 1, episode: 1, status: "paused", tvmazeId: 901 },
    ]);
    await runCheck(app, clock);
    expect(tvmaze!.requestsTo("/shows/900/episodes")).toHaveLength(1);
    expect(tvmaze!.requestsTo("/shows/901/episodes")).toHaveLength(1);
    expect(alerts(app, 1).map((c) => c.params.text)).toEqual([expect.stringMatching(/^📺 New episode of «Pluribus»: S1E3 “Chapter 3” aired on \w+ \d+, 2025\.$/)]);
    expect(buttonsOf(alerts(app, 1)[0]!)).toEqual(["ep:a1:1:3"]);
    // Chat 2 is two behind: the next one is named, the other counted. Slow Horses is watched up to its last aired episode.
    expect(alerts(app, 2).map((c) => c.params.text)).toEqual([expect.stringContaining("S1E2 “Chapter 2” aired on") ]);
    expect(String(alerts(app, 2)[0]!.params.text)).toContain("(and 1 more new episode)");
    const lastAlerted = () => app.app.db.prepare(`SELECT id, last_alerted FROM entries ORDER BY id`).all();
    expect(lastAlerted()).toEqual([
      { id: "a1", last_alerted: "S1E3" }, { id: "b1", last_alerted: "S1E3" }, { id: "b2", last_alerted: null }, { id: "b3", last_alerted: null },
    ]);

    // The next checks: nothing new aired, so nothing is said again.
    await runCheck(app, clock);
    await runCheck(app, clock);
    expect(alerts(app, 1)).toHaveLength(1);
    expect(alerts(app, 2)).toHaveLength(1);

    // A week on, episode 4 has aired: one message each, about episode 4 only.
    await runCheck(app, clock, 7 * DAY);
    expect(alerts(app, 1).map((c) => c.params.text)).toHaveLength(2);
    expect(String(alerts(app, 1)[1]!.params.text)).toContain("S1E4 “Chapter 4”");
    expect(String(alerts(app, 2)[1]!.params.text)).toMatch(/S1E4 “Chapter 4” aired on [^(]+\.$/);
  });

  it("the button marks the named episode watched, once; /progress shows the new episodes left", async () => {
    const { app, clock } = await setup();
    await seed(app, 3, [{ id: "c1", kind: "show", title: "Pluribus", season: 1, episode: 1, tvmazeId: 900 }]);
    await runCheck(app, clock);
    expect(buttonsOf(alerts(app, 3)[0]!)).toEqual(["ep:c1:1:2"]);
    await app.say(3, "/progress");
    expect((await replies(app, 3, 2))[1]).toContain("Pluribus S1E1 — 2 new episodes");
    await app.press(3, "ep:c1:1:2", 77);
    expect((await replies(app, 3, 3))[2]).toBe("«Pluribus»: marked S1E2 watched, now at S1E2. 1 new episode to go.");
    expect(app.app.db.prepare(`SELECT season, episode, status FROM entries WHERE id = 'c1'`).get()).toEqual({ season: 1, episode: 2, status: "watching" });
    expect(app.api.calls.some((c) => c.method === "editMessageReplyMarkup" && c.params.message_id === 77)).toBe(true);
    // Pressed again: already there, nothing changes.
    await app.press(3, "ep:c1:1:2", 77);
    await app.api.waitFor(() => app.api.calls.filter((c) => c.method === "answerCallbackQuery").length === 2);
    expect(app.api.calls.filter((c) => c.method === "answerCallbackQuery").at(-1)!.params.text).toBe("You're already at S1E2.");
    await app.say(3, "/progress");
    expect((await replies(app, 3, 4))[3]).toContain("Pluribus S1E2 — 1 new episode\n");
    // Another chat's entry id is not found from here.
    await app.press(4, "ep:c1:1:3", 78);
    await app.api.waitFor(() => app.api.calls.filter((c) => c.method === "answerCallbackQuery").length === 3);
    expect(app.app.db.prepare(`SELECT episode FROM entries WHERE id = 'c1'`).pluck().get()).toBe(2);
  });

  it("/alerts off: no message (the /progress count still updates); /alerts on: the next new episode is told", async () => {
    const { app, clock } = await setup();
    await seed(app, 5, [{ id: "d1", kind: "show", title: "Pluribus", season: 1, episode: 2, tvmazeId: 900 }]);
    await app.say(5, "/alerts");
    expect((await replies(app, 5, 1))[0]).toMatch(/^New-episode alerts are on\./);
    await app.say(5, "/alerts off");
    expect((await replies(app, 5, 2))[1]).toMatch(/^New-episode alerts are off/);
    await runCheck(app, clock);
    expect(alerts(app, 5)).toHaveLength(0);
    await app.say(5, "/progress");
    expect((await replies(app, 5, 3))[2]).toContain("Pluribus S1E2 — 1 new episode");
    await app.say(5, "/alerts on");
    await replies(app, 5, 4);
    await runCheck(app, clock, 7 * DAY);
    expect(alerts(app, 5).map((c) => c.params.text)).toEqual([expect.stringContaining("S1E3 “Chapter 3”")]);
    expect(String(alerts(app, 5)[0]!.params.text)).toContain("(and 1 more new episode)");
  });

  it("a provider that is down is tried again at the next check", async () => {
    const { app, clock } = await setup();
    await seed(app, 6, [{ id: "e1", kind: "show", title: "Pluribus", season: 1, episode: 2, tvmazeId: 900 }]);
    tvmaze!.always({ status: 503, body: { message: "down" } });
    await runCheck(app, clock);
    expect(tvmaze!.requestsTo("/shows/900/episodes").length).toBeGreaterThan(0);
    expect(alerts(app, 6)).toHaveLength(0);
    tvmaze!.always(undefined);
    await runCheck(app, clock);
    expect(alerts(app, 6).map((c) => c.params.text)).toEqual([expect.stringContaining("S1E3 “Chapter 3”")]);
    // The chain goes on: exactly one check timer is armed.
    expect(app.app.db.prepare(`SELECT COUNT(*) FROM timers WHERE agent_key = 'system:episodes' AND fired_at_ms IS NULL AND canceled_at_ms IS NULL`).pluck().get()).toBe(1);
  });

  it("/help and the command menu list /alerts", async () => {
    const { app } = await setup();
    await app.say(7, "/help");
    expect((await replies(app, 7, 1))[0]).toContain("/alerts");
    const menu = app.api.calls.find((c) => c.method === "setMyCommands")!.params.commands as Array<{ command: string }>;
    expect(menu.map((c) => c.command)).toContain("alerts");
  });
});

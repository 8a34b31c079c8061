// /export weekly: a durable per-chat timer sends the list into the chat as CSV and JSON documents
// every week; /export schedule says when, /export off stops it. Runs the whole bot in-process with
// a clock the test moves, against the fake Bot API.
import { afterEach, describe, expect, it } from "vitest";
import type { NewEntry } from "../../agents/media-tracker/media-store.js";
import type { RecordedCall } from "../support/fake-bot-api.js";
import { type TestApp, startTestApp } from "../support/test-app.js";
import { addEntries } from "../support/entries.js";

const DAY = 24 * 3600_000;
const WEEK = 7 * DAY;
const T0 = Date.UTC(2026, 11, 3, 9, 0); // a Thursday
const CHAT = 4242;
const MOVIE: NewEntry = { id: "m1", kind: "movie", title: "Arrival", year: 2016, rating: 5, addedAtMs: T0 - DAY };

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function fakeClock(startMs: number) {
  let now = startMs;
  return { now: () => now, set: (ms: number) => void (now = ms) };
}

function documents(app: TestApp): RecordedCall[] {
  return app.api.sent(CHAT).filter((c) => c.method === "sendDocument");
}

function exportTimers(app: TestApp): Array<{ id: string; fire_at_ms: number }> {
  return app.app.db
    .prepare(`SELECT id, fire_at_ms FROM timers WHERE agent_key = ? AND kind = 'weekly-export' AND fired_at_ms IS NULL AND canceled_at_ms IS NULL`)
    .all(String(CHAT)) as Array<{ id: string; fire_at_ms: number }>;
}

async function say(app: TestApp, text: string, replies: number): Promise<string> {
  await app.say(CHAT, text);
  await app.api.waitFor(() => app.replies(CHAT).length >= replies, 5000, `the reply to ${text}`);
  return app.replies(CHAT)[replies - 1]!;
}

describe("/export weekly", () => {
  it("sends the list every week, from a durable timer, until /export off", async () => {
    const clock = fakeClock(T0);
    t = await startTestApp({}, false, { clock });
    await addEntries(t.app.store, CHAT, [MOVIE]);

    expect(await say(t, "/export schedule", 1)).toBe("No scheduled exports. /export weekly sends your list here every week.");
    expect(await say(t, "/export weekly", 2)).toBe(
      "Done: every week I'll send your list here as CSV and JSON files, starting Thursday, December 10 (UTC). /export off stops it.",
    );
    expect(exportTimers(t)).toEqual([{ id: expect.any(String), fire_at_ms: T0 + WEEK }]);
    expect(await say(t, "/export weekly", 3)).toMatch(/^Weekly exports are already on: the next one comes Thursday, December 10 \(UTC\)\./);
    expect(exportTimers(t)).toHaveLength(1);

    // Not yet due: nothing.
    clock.set(T0 + WEEK - 1);
    await t.app.runtime.fireDueTimers();
    expect(documents(t)).toEqual([]);

    // A week later: the two files, and the next week armed.
    clock.set(T0 + WEEK + 5000);
    await t.app.runtime.fireDueTimers();
    await t.api.waitFor(() => documents(t!).length === 2, 5000, "the weekly export");
    const [csv, json] = documents(t).map((c) => c.params as { caption?: string; document: { fileName: string; data: Buffer } });
    expect([csv!.document.fileName, json!.document.fileName]).toEqual(["media-tracker.csv", "media-tracker.json"]);
    expect(csv!.caption).toBe("Your weekly export: 1 entry (CSV)");
    expect(JSON.parse(json!.document.data.toString("utf8"))).toMatchObject([{ kind: "movie", title: "Arrival", year: 2016, rating: 5 }]);
    await t.api.waitFor(() => exportTimers(t!).length === 1, 5000, "the next week's timer");
    expect(exportTimers(t)[0]!.fire_at_ms).toBe(T0 + 2 * WEEK);
    expect(await say(t, "/export schedule", 4)).toMatch(/the next one comes Thursday, December 17 \(UTC\)/);

    // Off: the armed timer is disarmed, and nothing more comes.
    expect(await say(t, "/export off", 5)).toBe("Weekly exports are off. /export weekly turns them back on.");
    expect(exportTimers(t)).toEqual([]);
    clock.set(T0 + 3 * WEEK);
    await t.app.runtime.fireDueTimers();
    expect(await say(t, "/export off", 6)).toBe("Weekly exports weren't on. /export weekly sends your list here every week.");
    expect(documents(t)).toHaveLength(2);
  });

  it("after a long stop sends one export, not one per missed week, and keeps its weekday", async () => {
    const clock = fakeClock(T0);
    t = await startTestApp({}, false, { clock });
    await addEntries(t.app.store, CHAT, [MOVIE]);
    await say(t, "/export weekly", 1);

    clock.set(T0 + 3 * WEEK + DAY); // three weeks and a day later
    await t.app.runtime.fireDueTimers();
    await t.api.waitFor(() => documents(t!).length === 2, 5000, "the export");
    await t.api.waitFor(() => exportTimers(t!).length === 1, 5000, "the next timer");
    expect(exportTimers(t)[0]!.fire_at_ms).toBe(T0 + 4 * WEEK);
    expect(documents(t)).toHaveLength(2);
  });

  it("an empty list sends nothing that week, and the schedule goes on", async () => {
    const clock = fakeClock(T0);
    t = await startTestApp({}, false, { clock });
    await say(t, "/export weekly", 1);
    clock.set(T0 + WEEK);
    await t.app.runtime.fireDueTimers();
    await t.api.waitFor(() => exportTimers(t!)[0]?.fire_at_ms === T0 + 2 * WEEK, 5000, "the next timer");
    expect(documents(t)).toEqual([]);
    expect(t.replies(CHAT)).toHaveLength(1);
  });
});

// New-episode alerts survive SIGKILL: the real bot runs as a child process with a check every
// 0.9 s against a fake TVmaze, dies (after the alert went out, or where MT_CRASH_AT says: after the
// check's fetch is journaled, after the chat's decision is journaled), is restarted on the same
// database, goes through more checks, and the chat has been told about the episode exactly once.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openAppDatabase } from "../../src/app.js";
import { addEntries, withSqliteFile } from "../support/entries.js";
import { type BotProcess, freePort, killAllBots, startBot } from "../support/bot-process.js";
import { type FakeBotApi, startFakeBotApi } from "../support/fake-bot-api.js";
import { type FakeTvmaze, startFakeTvmaze } from "../support/fake-tvmaze.js";

const CHAT = 7171;
const SECRET = "alert-crash-secret_1";
const DAY = 86_400_000;

interface Setup { api: FakeBotApi; tvmaze: FakeTvmaze; dir: string; port: number }
const setups: Setup[] = [];
afterEach(async () => {
  await killAllBots();
  for (const s of setups.splice(0)) {
    await s.api.close();
    await s.tvmaze.close();
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

async function setup(): Promise<Setup> {
  const now = Date.now();
  const tvmaze = await startFakeTvmaze({ shows: [{
    id: 900, name: "Pluribus", premiered: "2025-01-01", webChannel: "Apple TV+",
    episodes: [1, 2, 3].map((n) => ({ season: 1, number: n, name: `Chapter ${n}`, airstamp: new Date(now - (4 - n) * DAY).toISOString() }))
      // Not aired yet: never announced.
      .concat([{ season: 1, number: 4, name: "Chapter 4", airstamp: new Date(now + 30 * DAY).toISOString() }]),
  }] });
  const s = { api: await startFakeBotApi(), tvmaze, dir: fs.mkdtempSync(path.join(os.tmpdir(), "alert-crash-")), port: await freePort() };
  setups.push(s);
  const file = path.join(s.dir, "bot.db");
  (await openAppDatabase(file)).close();
  await withSqliteFile(file, (store) => addEntries(store, CHAT, [{ id: "p1", kind: "show", title: "Pluribus", season: 1, episode: 1, status: "watching", tvmazeId: 900, addedAtMs: now }]));
  return s;
}

function start(s: Setup, crashAt?: string): Promise<BotProcess> {
  return startBot({
    apiRoot: s.api.apiRoot, token: s.api.token, dbPath: path.join(s.dir, "bot.db"), port: s.port, secret: SECRET,
    ...(crashAt ? { crashAt } : {}),
    env: { METADATA: "on", TVMAZE_API_ROOT: s.tvmaze.root, EPISODE_CHECK_HOURS: "0.00025" },
  });
}

function alerts(s: Setup): string[] {
  return s.api.sent(CHAT).filter((c) => c.method === "sendMessage").map((c) => String(c.params.text));
}

function checksDone(s: Setup): number {
  const db = new BetterSqlite3(path.join(s.dir, "bot.db"), { fileMustExist: true });
  try {
    return db.prepare(`SELECT COUNT(*) FROM inbox WHERE id LIKE 'episodes:next:%' AND status = 'done'`).pluck().get() as number;
  } finally {
    db.close();
  }
}

async function until(predicate: () => boolean, what: string, bot: () => BotProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out.\n${bot().output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("new-episode alerts across SIGKILL", () => {
  it.each([
    { crashAt: undefined, when: "after the alert went out (kill -9 from outside)" },
    { crashAt: "step.after-commit@1", when: "after the check's fetch is journaled" },
    { crashAt: "step.after-commit@2", when: "after the next journaled step (the chat's decision or the re-arm)" },
  ])("one alert, not again after a restart: $when", async ({ crashAt }) => {
    const s = await setup();
    let bot = await start(s, crashAt);
    const current = () => bot;
    await until(() => alerts(s).length > 0 || bot.exitInfo !== undefined, "alert or crash", current);
    if (crashAt === undefined) {
      // Killed once the alert's send is recorded: a kill between Telegram taking it and the record
      // is the outbox's known duplicate window (outbox.after-send), not what this case is about.
      await bot.waitIdle();
      bot.kill("SIGKILL");
    }
    const exit = await bot.exited;
    expect(exit.signal).toBe("SIGKILL");

    bot = await start(s);
    await until(() => alerts(s).length > 0, "alert after the restart", current);
    const done = checksDone(s);
    // Two more checks after the restart: nothing new to say.
    await until(() => checksDone(s) >= done + 2, "two more checks", current);
    await bot.waitIdle();
    expect((await bot.stop()).code).toBe(0);

    expect(alerts(s)).toEqual([expect.stringMatching(/^📺 New episode of «Pluribus»: S1E2 “Chapter 2” aired on .+ \(and 1 more new episode\)\.$/)]);
    // The killed process fetched once (its alert needed it), the restarted one at least once more: it
    // starts with an empty cache, and two checks close together may share a cached list.
    expect(s.tvmaze.requestsTo("/shows/900/episodes").length).toBeGreaterThanOrEqual(2);
    const db = new BetterSqlite3(path.join(s.dir, "bot.db"), { fileMustExist: true });
    expect(db.prepare(`SELECT last_alerted FROM entries WHERE id = 'p1'`).pluck().get()).toBe("S1E3");
    db.close();
  });
});

// A plain-language message survives a SIGKILL: the real bot runs as a child process against a fake
// Bot API and a fake OpenAI server (both in this process), dies where MT_CRASH_AT says (after the
// model's answer is journaled, after the entry's write, before the reply is sent, before the
// message completes), is restarted on the same database, and ends exactly as an uncrashed run:
// the model called as many times, the entry saved once, the reply delivered once. The same holds
// when the model was down at first and the bot dies while its background retry waits, as the retry
// timer fires, or halfway through the retry.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type BotProcess, freePort, killAllBots, startBot } from "../support/bot-process.js";
import { type FakeBotApi, makeTextUpdate, startFakeBotApi } from "../support/fake-bot-api.js";
import { type FakeOpenAi, startFakeOpenAi } from "../support/fake-openai.js";

const CHAT = 5151;
const SECRET = "llm-crash-secret_1";
/** What the model says after the tool ran; the person sees the receipt instead. */
const MODEL_TEXT = "Added Dune, finished yesterday, 4 stars.";
const REPLY = "✅ Added book: Dune, ★★★★☆ 4/5, finished";

interface Setup {
  api: FakeBotApi;
  fake: FakeOpenAi;
  dir: string;
  port: number;
}

const setups: Setup[] = [];
afterEach(async () => {
  await killAllBots();
  for (const s of setups.splice(0)) {
    await s.api.close();
    await s.fake.close();
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

async function setup(): Promise<Setup> {
  const s = { api: await startFakeBotApi(), fake: await startFakeOpenAi(), dir: fs.mkdtempSync(path.join(os.tmpdir(), "llm-crash-")), port: await freePort() };
  setups.push(s);
  // The model: add the book, then (seeing the tool's result) say so. Decided by the request, so a
  // repeated call would get the same answer, and would show in the count.
  s.fake.respond((body: { messages: Array<{ role: string }> }) =>
    body.messages.at(-1)?.role === "tool"
      ? { content: MODEL_TEXT }
      : { toolCalls: [{ name: "add_book", arguments: { title: "Dune", status: "finished", finishedOn: "2024-05-16", rating: 4 } }] },
  );
  return s;
}

function start(s: Setup, crashAt?: string): Promise<BotProcess> {
  return startBot({
    apiRoot: s.api.apiRoot,
    token: s.api.token,
    dbPath: path.join(s.dir, "bot.db"),
    port: s.port,
    secret: SECRET,
    ...(crashAt ? { crashAt } : {}),
    env: { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: s.fake.baseURL, OPENAI_MODEL: "test-model", OPENAI_TIMEOUT_SECONDS: "5" },
  });
}

function replies(s: Setup): string[] {
  return s.api.sent(CHAT).filter((c) => c.method === "sendMessage").map((c) => String(c.params.text));
}

async function until(predicate: () => boolean, what: string, bot: () => BotProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out.\n${bot().output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends the message, lets the crash happen (if armed), restarts clean, and waits for the reply. */
async function run(s: Setup, crashAt: string | undefined): Promise<{ crashed: boolean; requests: number; requestsAtCrash?: number }> {
  let bot = await start(s, crashAt);
  const update = makeTextUpdate(1, CHAT, "finished Dune yesterday, 4 stars");
  let res = await bot.post(update);
  let crashed = false;
  let requestsAtCrash: number | undefined;
  if (res === "connection-failed" || res.status !== 200) {
    // Died before acknowledging: Telegram would deliver it again to the restarted bot.
    await bot.exited;
    crashed = true;
    requestsAtCrash = s.fake.requests.length;
    bot = await start(s);
    res = await bot.post(update);
    expect(res !== "connection-failed" && res.status).toBe(200);
  }
  const current = () => bot;
  await until(() => replies(s).includes(REPLY) || bot.exitInfo !== undefined, "reply or crash", current);
  if (bot.exitInfo) {
    expect(bot.exitInfo.signal).toBe("SIGKILL");
    crashed = true;
    requestsAtCrash = s.fake.requests.length;
    bot = await start(s);
    await until(() => replies(s).includes(REPLY), "reply after the restart", current);
  }
  await bot.waitIdle();
  const exit = await bot.stop();
  expect(exit.code).toBe(0);
  return { crashed, requests: s.fake.requests.length, ...(requestsAtCrash !== undefined ? { requestsAtCrash } : {}) };
}

function readDb(s: Setup) {
  const db = new BetterSqlite3(path.join(s.dir, "bot.db"), { fileMustExist: true });
  try {
    return {
      entries: db.prepare("SELECT kind, title, status, finished_on, rating FROM entries WHERE chat_id = ?").all(String(CHAT)),
      inbox: db.prepare("SELECT status FROM inbox WHERE agent_key = ?").all(String(CHAT)),
      llmSteps: db.prepare("SELECT step_name, output_json FROM journal WHERE step_name = 'run:llm' ORDER BY seq").all() as Array<{ step_name: string; output_json: string }>,
    };
  } finally {
    db.close();
  }
}

describe("crash during a plain-language message", () => {
  it("an uncrashed run calls the model twice and saves the entry once", async () => {
    const s = await setup();
    const { crashed, requests } = await run(s, undefined);
    expect(crashed).toBe(false);
    expect(requests).toBe(2);
    const db = readDb(s);
    expect(db.entries).toEqual([{ kind: "book", title: "Dune", status: "finished", finished_on: "2024-05-16", rating: 4 }]);
    expect(replies(s)).toEqual([REPLY]);
    // Each model answer is a journaled step.
    expect(db.llmSteps.map((r) => r.step_name)).toEqual(["run:llm", "run:llm"]);
    expect(JSON.parse(db.llmSteps[0]!.output_json)).toMatchObject({ v: { ok: true, reply: { content: null, toolCalls: [{ name: "add_book" }] } } });
    expect(JSON.parse(db.llmSteps[1]!.output_json)).toEqual({ v: { ok: true, reply: { content: MODEL_TEXT, toolCalls: [] } } });
  });

  it.each([
    { crashAt: "step.after-commit@1", when: "after the model's first answer is journaled", before: 1 },
    { crashAt: "step.after-commit@2", when: "after the entry's write is journaled", before: 1 },
    { crashAt: "step.after-commit@3", when: "after the model's final answer is journaled", before: 2 },
    { crashAt: "message.before-commit@1", when: "before the message completes", before: 2 },
    // Sends: "typing" before each model call, then the reply.
    { crashAt: "outbox.before-send@3", when: "after the model answered, before the reply was sent", before: 2 },
  ])("$crashAt ($when): the recorded answers are used, the entry exists once, the reply arrives once", async ({ crashAt, before }) => {
    const s = await setup();
    const { crashed, requests, requestsAtCrash } = await run(s, crashAt);
    expect(crashed).toBe(true);
    // Where it died: after this many model calls.
    expect(requestsAtCrash).toBe(before);
    // The model was called exactly as often as without the crash.
    expect(requests).toBe(2);
    const db = readDb(s);
    expect(db.entries).toEqual([{ kind: "book", title: "Dune", status: "finished", finished_on: "2024-05-16", rating: 4 }]);
    expect(db.inbox).toEqual([{ status: "done" }]);
    expect(replies(s)).toEqual([REPLY]);
  });
});

describe("crash during the background retry of a message that found the model down", () => {
  const DOWN = "I can't reach the language model right now; I'll answer this when it's back. Commands like /add_book work meanwhile.";
  const LATE = `About your message «finished Dune yesterday, 4 stars»:\n\n${REPLY}`;

  /** The first model call fails (503); from then on the model works. */
  async function setupDown(): Promise<Setup> {
    const s = await setup();
    s.fake.respond((body: { messages: Array<{ role: string }> }, index: number) => {
      if (index === 0) return { status: 503 };
      return body.messages.at(-1)?.role === "tool"
        ? { content: MODEL_TEXT }
        : { toolCalls: [{ name: "add_book", arguments: { title: "Dune", status: "finished", finishedOn: "2024-05-16", rating: 4 } }] };
    });
    return s;
  }

  async function runDown(s: Setup, crashAt: string | undefined): Promise<{ crashed: boolean }> {
    let bot = await start(s, crashAt);
    const res = await bot.post(makeTextUpdate(1, CHAT, "finished Dune yesterday, 4 stars"));
    expect(res !== "connection-failed" && res.status).toBe(200);
    const current = () => bot;
    // The retry timer fires about 5 seconds after the failure, in the background.
    await until(() => replies(s).includes(LATE) || bot.exitInfo !== undefined, "the late answer or a crash", current, 30_000);
    let crashed = false;
    if (bot.exitInfo) {
      expect(bot.exitInfo.signal).toBe("SIGKILL");
      crashed = true;
      bot = await start(s);
      await until(() => replies(s).includes(LATE), "the late answer after the restart", current, 30_000);
    }
    await bot.waitIdle();
    const exit = await bot.stop();
    expect(exit.code).toBe(0);
    return { crashed };
  }

  it.each([
    { crashAt: undefined, when: "no crash" },
    { crashAt: "message.after-commit@1", when: "killed while the retry waits" },
    { crashAt: "timer.before-fire@1", when: "killed as the retry timer fires" },
    { crashAt: "step.after-commit@3", when: "killed in the retry, after the entry's write" },
  ])("$when: the person is told once, the message is answered once, the entry saved once", async ({ crashAt }) => {
    const s = await setupDown();
    const { crashed } = await runDown(s, crashAt);
    expect(crashed).toBe(crashAt !== undefined);
    // One failed call, then the retry's two: as without a crash.
    expect(s.fake.requests).toHaveLength(3);
    expect(replies(s)).toEqual([DOWN, LATE]);
    const db = readDb(s);
    expect(db.entries).toEqual([{ kind: "book", title: "Dune", status: "finished", finished_on: "2024-05-16", rating: 4 }]);
  }, 60_000);
});

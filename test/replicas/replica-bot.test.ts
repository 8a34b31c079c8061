// The real bot as three child processes on one PostgreSQL database, webhook mode, each on its own
// port behind no balancer but the test, which posts each update to a process at random:
// - with random SIGKILLs of any of them (each restarted at once), nothing acknowledged is lost, no
//   entry is saved twice or missing, replies come in order, and once each but for the crash window
//   (the chaos runner with --replicas; a copy is explained only by the death of its own sender);
// - a process killed for good in the middle of a dialog: the dialog goes on in the others within 10 s;
// - Telegram's 30 sends a second hold for the three together (limits on).
// Skipped, with the run's notice, when no PostgreSQL answers.
import { afterEach, expect, it } from "vitest";
import { runChaos } from "../../bench/chaos/run-chaos.js";
import { expectChaosHeld } from "../support/chaos-held.js";
import { type BotProcess, freePort, killAllBots, startBot } from "../support/bot-process.js";
import { type FakeBotApi, makeCallbackUpdate, makeTextUpdate, startFakeBotApi } from "../support/fake-bot-api.js";
import { TEST_DATABASE_URL, withTestDatabase } from "../support/postgres.js";
import pg from "pg";

const database = await withTestDatabase();
const SECRET = "replica-test-secret_123";
/** How soon a dead process's chats must go on elsewhere (the contract's promise). */
const TAKEOVER_LIMIT_MS = 10_000;

database.describe("three bot processes on one PostgreSQL database", () => {
  let api: FakeBotApi | undefined;

  afterEach(async () => {
    await killAllBots();
    await api?.close();
    api = undefined;
  });

  it("random SIGKILLs while chats talk to random processes: nothing lost, nothing done twice, replies in order",
    { timeout: 240_000 },
    async () => {
      const chats = 10;
      const kills = 6;
      const report = await runChaos({ seed: 14, kills, chats, replicas: 3, postgresServer: TEST_DATABASE_URL });
      // Second copies are counted and shown in the report; each must come from a process killed
      // between Telegram's answer and its record, as in test/crash.
      expectChaosHeld(report, { kills, chats });
    });

  /** Three bots on the file's database, their calls tagged p0…p2 at the fake Bot API. */
  async function startThree(env: Record<string, string> = {}): Promise<BotProcess[]> {
    api = await startFakeBotApi();
    const fake = api;
    return Promise.all([0, 1, 2].map(async (i) => startBot({
      apiRoot: fake.viaRoot(`p${i}`),
      token: fake.token,
      dbPath: "unused-with-database-url.db",
      port: await freePort(),
      secret: SECRET,
      readyTimeoutMs: 30_000,
      env: { DATABASE_URL: database.url, ...env },
    })));
  }

  /** POSTs to the first process that answers 200, starting with `first` (as a balancer skipping a dead backend). */
  async function deliver(bots: BotProcess[], first: number, update: unknown): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const index = (first + attempt) % bots.length;
      const bot = bots[index]!;
      if (bot.exitInfo) continue;
      const res = await bot.post(update);
      if (res !== "connection-failed" && res.status === 200) return index;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("no process acknowledged the update");
  }

  it("a process killed for good mid-dialog: the dialog goes on in the others within 10 s", { timeout: 120_000 }, async () => {
    const bots = await startThree();
    const chat = 5151;
    const fake = api!;
    const replyTo = (pattern: RegExp) => () => fake.sent(chat).some((c) => pattern.test(String(c.params.text)));

    await deliver(bots, 0, makeTextUpdate(1, chat, "/add_movie"));
    await fake.waitFor(replyTo(/^What's the movie's title\?/), 15_000);
    // The process that serves the chat: its lease's holder is "<host>:<pid>:<random>".
    const holder = await leaseHolder(String(chat));
    const serving = bots.findIndex((bot) => holder.split(":")[1] === String(bot.pid));
    expect(serving).toBeGreaterThanOrEqual(0);

    // The next update goes to the serving process, which is killed as soon as it acknowledged it.
    await deliver(bots, serving, makeTextUpdate(2, chat, "Dune"));
    bots[serving]!.kill("SIGKILL");
    const killedAt = Date.now();
    await fake.waitFor(replyTo(/^What year did it come out\?/), TAKEOVER_LIMIT_MS + 5_000);
    const yearPromptAt = fake.sent(chat).find((c) => /^What year/.test(String(c.params.text)))!.at;
    expect(yearPromptAt - killedAt).toBeLessThan(TAKEOVER_LIMIT_MS);

    const others = bots.map((_, i) => i).filter((i) => i !== serving);
    await deliver(bots, others[0]!, makeTextUpdate(3, chat, "2021"));
    await fake.waitFor(replyTo(/^Your rating, 1 to 5 stars\?/), 10_000);
    const prompt = fake.sent(chat).filter((c) => /^Your rating/.test(String(c.params.text))).at(-1)!;
    const messageId = (prompt.result as { message_id?: number }).message_id ?? 1;
    await deliver(bots, others[1]!, makeCallbackUpdate(4, chat, "answer:4", messageId));
    await fake.waitFor(replyTo(/^Saved the movie: Dune \(2021\), ★★★★☆ 4\/5\.$/), 10_000);
    await deliver(bots, others[0]!, makeTextUpdate(5, chat, "/movies"));
    await fake.waitFor(replyTo(/^Your movies \(1\):\n1\. Dune \(2021\)/), 10_000);

    // In order, each once; a second copy only right after its first, from the killed process's send window.
    const texts = fake.sent(chat).filter((c) => c.method === "sendMessage").map((c) => String(c.params.text));
    const once = texts.filter((text, i) => i === 0 || text !== texts[i - 1]);
    expect(texts.length - once.length).toBeLessThanOrEqual(1);
    const expected = [/^What's the movie's title\?/, /^What year/, /^Your rating/, /^Saved the movie: Dune/, /^Your movies \(1\)/];
    expect(once).toHaveLength(expected.length);
    once.forEach((text, i) => expect(text).toMatch(expected[i]!));
    expect(await entries(String(chat))).toEqual([{ kind: "movie", title: "Dune" }]);
    for (const i of others) expect((await bots[i]!.stop()).code).toBe(0);
  });

  it("keeps Telegram's 30 sends a second for the three processes together (limits on)", { timeout: 120_000 }, async () => {
    const bots = await startThree({ TELEGRAM_RATE_LIMIT: "on" });
    const fake = api!;
    const chats = Array.from({ length: 60 }, (_, i) => 9000 + i);
    let updateId = 100;
    // Each chat asks for its lists twice: 120 replies, asked for at once, from all three processes.
    await Promise.all(chats.flatMap((chat, i) => [
      deliver(bots, i % 3, makeTextUpdate(++updateId, chat, "/books")),
      deliver(bots, (i + 1) % 3, makeTextUpdate(++updateId, chat, "/movies")),
    ]));
    await fake.waitFor(() => fake.calls.filter((c) => c.method === "sendMessage" && c.failedWith === undefined).length >= chats.length * 2, 30_000);
    const sends = fake.calls.filter((c) => c.method === "sendMessage" && c.failedWith === undefined);
    const times = sends.map((c) => c.at).sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! - times[i]! < 1000) j++;
      busiest = Math.max(busiest, j - i);
    }
    expect(busiest).toBeLessThanOrEqual(30);
    // The sends came from more than one process: the limit is shared, not one sender's.
    expect(new Set(sends.map((c) => c.via)).size).toBeGreaterThan(1);
  });
});

async function query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function leaseHolder(agentKey: string): Promise<string> {
  const rows = await query<{ holder: string }>(`SELECT holder FROM chat_leases WHERE agent_key = $1`, [agentKey]);
  if (!rows[0]) throw new Error(`no lease for chat ${agentKey}`);
  return rows[0].holder;
}

async function entries(chatId: string): Promise<Array<{ kind: string; title: string }>> {
  return query(`SELECT kind, title FROM entries WHERE chat_id = $1 ORDER BY title`, [chatId]);
}

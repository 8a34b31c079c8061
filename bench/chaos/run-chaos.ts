// The chaos runner as a module (used by `npm run chaos` and by test/crash/random-crash.test.ts):
// a fake Bot API and a fake language model, the real bot as a child process on a temporary SQLite file (production
// durability), scripted conversations from many chats at once, and SIGKILLs from a seeded plan,
// each followed by a restart. Once the kills are done it lets a clean bot finish the work, stops it,
// and checks the invariants against the database and the replies.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { freePort } from "../../test/support/bot-process.js";
import { startFakeBotApi } from "../../test/support/fake-bot-api.js";
import { BotSupervisor } from "./bot-supervisor.js";
import { type ChatLog, runChat } from "./chat-driver.js";
import { checkEntries, checkReplies } from "./checks.js";
import { CONSOLE_CHAT, type ConsoleLog, checkConsole, runConsole } from "./console-driver.js";
import { startChaosModel } from "./fake-model.js";
import { killPlan } from "./kill-plan.js";
import { ReplyIndex } from "./reply-index.js";
import { buildReport, type ChaosReport } from "./report.js";
import { createRng } from "./rng.js";

export interface ChaosOptions {
  seed: number;
  chats: number;
  /** Stop after this many kills, or after `durationSec` (one of them). */
  kills?: number;
  durationSec?: number;
  /** Progress lines (kills, phases); the report is returned, not logged. */
  log?: (line: string) => void;
  /** Keep the database file (its path is in the report) even when every check passes. */
  keepDatabase?: boolean;
  /** Also run a console chat (`npm run chat`) beside the bot, on its own chat id and the same database. */
  console?: boolean;
}

const SECRET = "chaos-secret_0123456789";
/** After the last kill, how long the clean bot gets to finish every conversation. */
const QUIESCENCE_MS = 120_000;
const CHAT_BASE = 700_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  if ((options.kills === undefined) === (options.durationSec === undefined)) throw new Error("runChaos: give kills or durationSec");
  const log = options.log ?? (() => undefined);
  const api = await startFakeBotApi();
  const model = await startChaosModel();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-chaos-"));
  const dbPath = path.join(dir, "chaos.db");
  const env = { OPENAI_API_KEY: "chaos-key", OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: "chaos-model", OPENAI_TIMEOUT_SECONDS: "10" };
  const supervisor = new BotSupervisor({ api, dbPath, port: await freePort(), secret: SECRET, env, log });
  const replies = new ReplyIndex(api);
  const t0 = Date.now();
  let winding = false;
  let deadline = Infinity;
  let updateId = 0;
  try {
    const chats = Array.from({ length: options.chats }, (_, i) =>
      runChat({
        chatId: CHAT_BASE + i + 1,
        rng: createRng(options.seed, `chat:${i}`),
        nextUpdateId: () => ++updateId,
        post: (update) => supervisor.post(update),
        addFile: (fileId, fileName, content) => void api.addFile(fileId, fileName, content),
        replies,
        keepGoing: () => !winding,
        deadline: () => deadline,
      }),
    );
    // Started once a bot has been ready (the database is made and migrated), beside it from then on.
    let consoleRun: Promise<ConsoleLog> | undefined;
    const startConsole = () => (consoleRun ??= runConsole(dbPath, () => !winding));
    const end = options.durationSec !== undefined ? t0 + options.durationSec * 1000 : Infinity;
    const more = () => {
      if (options.console && supervisor.starts.some((s) => s.readyAt !== undefined)) startConsole();
      return options.kills !== undefined ? supervisor.kills.length < options.kills : Date.now() < end;
    };
    await supervisor.run(killPlan(options.seed), more);
    winding = true;
    deadline = Date.now() + QUIESCENCE_MS;
    log(`kills done after ${((Date.now() - t0) / 1000).toFixed(1)} s; letting the chats finish their conversations`);
    const logs: ChatLog[] = await Promise.all(chats);
    const consoleLog = options.console ? await startConsole() : undefined;
    await supervisor.bot.waitIdle(QUIESCENCE_MS);
    const finalExit = await supervisor.stop();
    const workloadMs = Date.now() - t0;

    const db = readDatabase(dbPath);
    replies.scan();
    const report = buildReport({
      options,
      durationMs: workloadMs,
      chats: logs,
      replyChecks: logs.map((chat) => checkReplies(chat, replies.replies(chat.chatId), db.textIntents.get(String(chat.chatId)) ?? 0, supervisor.kills)),
      entryCheck: checkEntries(logs, db.entries.filter((e) => e.chat_id !== String(CONSOLE_CHAT))),
      ...(consoleLog ? { consoleCheck: checkConsole(consoleLog, api, dbPath) } : {}),
      processed: db.done,
      supervisor,
      replies,
      finalExit,
      dbPath,
      modelCalls: model.requests.length,
    });
    if (report.ok && !options.keepDatabase) fs.rmSync(dir, { recursive: true, force: true });
    return report;
  } catch (error) {
    log(`the run failed; the database is kept at ${dbPath}`);
    throw error;
  } finally {
    winding = true;
    deadline = 0;
    if (supervisor.starts.length > 0 && !supervisor.bot.exitInfo) supervisor.bot.kill("SIGKILL");
    await api.close();
    await model.close();
  }
}

interface DatabaseFacts {
  entries: Array<{ chat_id: string; kind: string; title: string }>;
  /** Inbox ids of the messages handled to the end. */
  done: Set<string>;
  /** Text messages the bot decided to send (outbox intents), per chat. */
  textIntents: Map<string, number>;
}

function readDatabase(file: string): DatabaseFacts {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const entries = db.prepare("SELECT chat_id, kind, title FROM entries").all() as Array<{ chat_id: string; kind: string; title: string }>;
    const done = new Set(db.prepare("SELECT id FROM inbox WHERE status = 'done'").pluck().all() as string[]);
    const intents = db
      .prepare("SELECT agent_key AS chat, COUNT(*) AS n FROM outbox WHERE json_extract(payload_json, '$.type') = 'text' GROUP BY agent_key")
      .all() as Array<{ chat: string; n: number }>;
    return { entries, done, textIntents: new Map(intents.map((r) => [r.chat, r.n])) };
  } finally {
    db.close();
  }
}

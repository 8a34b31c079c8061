// The chaos runner as a module (used by `npm run chaos` and by test/crash/random-crash.test.ts):
// a fake Bot API and a fake language model, the real bot as a child process on a temporary SQLite file (production
// durability), scripted conversations from many chats at once, and SIGKILLs from a seeded plan,
// each followed by a restart. Once the kills are done it lets a clean bot finish the work, stops it,
// and checks the invariants against the database and the replies.
//
// With `replicas`: N bot processes, each on its own port, on a temporary PostgreSQL database (made
// and dropped here); each update goes to one of them at random, each process has its own kill plan
// (the kills are counted together), and the same checks run against PostgreSQL.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { type ExitInfo, type PostResult, freePort } from "../../test/support/bot-process.js";
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
import { type TempPostgres, createTempPostgres } from "./temp-postgres.js";

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
  /** Run this many bot processes on a temporary PostgreSQL database instead of one on SQLite. */
  replicas?: number;
  /** The PostgreSQL server for `replicas` (its own database is only used to create the run's). Default: the tests' server. */
  postgresServer?: string;
}

const SECRET = "chaos-secret_0123456789";
/** After the last kill, how long the clean bot gets to finish every conversation. */
const QUIESCENCE_MS = 120_000;
const CHAT_BASE = 700_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  if ((options.kills === undefined) === (options.durationSec === undefined)) throw new Error("runChaos: give kills or durationSec");
  if (options.replicas !== undefined && options.replicas < 1) throw new Error("runChaos: replicas must be at least 1");
  if (options.replicas !== undefined && options.console) throw new Error("runChaos: --console runs beside one bot on SQLite; leave out --replicas");
  const log = options.log ?? (() => undefined);
  // Made first: without a server the run stops here, before anything is started.
  const postgres: TempPostgres | undefined = options.replicas !== undefined ? await createTempPostgres(options.postgresServer) : undefined;
  const api = await startFakeBotApi();
  const model = await startChaosModel();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-chaos-"));
  const dbPath = path.join(dir, "chaos.db");
  const env = {
    OPENAI_API_KEY: "chaos-key", OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: "chaos-model", OPENAI_TIMEOUT_SECONDS: "10",
    ...(postgres ? { DATABASE_URL: postgres.url } : {}),
  };
  const supervisors: BotSupervisor[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    supervisors.push(new BotSupervisor({
      ...(postgres ? { name: `p${i}` } : {}), api, dbPath, port: await freePort(), secret: SECRET, env, log,
    }));
  }
  const route = createRng(options.seed, "route");
  /** Telegram posts each update to whatever the load balancer picks: one process at random. */
  const post = (update: unknown): Promise<PostResult> => supervisors[Math.floor(route.next() * supervisors.length)]!.post(update);
  const replies = new ReplyIndex(api);
  const t0 = Date.now();
  let winding = false;
  let deadline = Infinity;
  let updateId = 0;
  let ok = false;
  try {
    const chats = Array.from({ length: options.chats }, (_, i) =>
      runChat({
        chatId: CHAT_BASE + i + 1,
        rng: createRng(options.seed, `chat:${i}`),
        nextUpdateId: () => ++updateId,
        post,
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
    // Kills begun, all processes together: each process asks before its next kill.
    let killsBegun = 0;
    const more = () => {
      if (options.console && supervisors[0]!.starts.some((s) => s.readyAt !== undefined)) startConsole();
      if (options.kills !== undefined) return killsBegun < options.kills ? (killsBegun++, true) : false;
      return Date.now() < end;
    };
    // One process keeps the seed's original plan; the others draw theirs from streams of their own.
    await Promise.all(supervisors.map((supervisor, i) => supervisor.run(killPlan(options.seed, i === 0 ? "kills" : `kills:${i}`), more)));
    winding = true;
    deadline = Date.now() + QUIESCENCE_MS;
    log(`kills done after ${((Date.now() - t0) / 1000).toFixed(1)} s; letting the chats finish their conversations`);
    const logs: ChatLog[] = await Promise.all(chats);
    const consoleLog = options.console ? await startConsole() : undefined;
    // Every process counts the whole database's pending work: one idle means all is done.
    await supervisors[0]!.bot.waitIdle(QUIESCENCE_MS);
    const exits: ExitInfo[] = await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
    const finalExit = exits.find((exit) => exit.code !== 0) ?? exits[0]!;
    const workloadMs = Date.now() - t0;

    const db = postgres ? await readPostgres(postgres.url) : readDatabase(dbPath);
    replies.scan();
    const kills = supervisors.flatMap((supervisor) => supervisor.kills);
    const report = buildReport({
      options,
      durationMs: workloadMs,
      chats: logs,
      replyChecks: logs.map((chat) => checkReplies(chat, replies.replies(chat.chatId), db.textIntents.get(String(chat.chatId)) ?? 0, kills)),
      entryCheck: checkEntries(logs, db.entries.filter((e) => e.chat_id !== String(CONSOLE_CHAT))),
      ...(consoleLog ? { consoleCheck: checkConsole(consoleLog, api, dbPath) } : {}),
      processed: db.done,
      supervisors,
      replies,
      finalExit,
      database: postgres ? `${postgres.where} (PostgreSQL, ${supervisors.length} bot processes)` : dbPath,
      modelCalls: model.requests.length,
    });
    ok = report.ok && !options.keepDatabase;
    if (ok) fs.rmSync(dir, { recursive: true, force: true });
    return report;
  } catch (error) {
    log(`the run failed; the database is kept at ${postgres?.where ?? dbPath}`);
    throw error;
  } finally {
    winding = true;
    deadline = 0;
    for (const supervisor of supervisors) if (supervisor.starts.length > 0 && !supervisor.bot.exitInfo) supervisor.bot.kill("SIGKILL");
    await api.close();
    await model.close();
    if (postgres && ok) await postgres.drop();
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

/** The same facts from the run's PostgreSQL database. */
async function readPostgres(url: string): Promise<DatabaseFacts> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    const entries = (await client.query<{ chat_id: string; kind: string; title: string }>("SELECT chat_id, kind, title FROM entries")).rows;
    const done = new Set((await client.query<{ id: string }>("SELECT id FROM inbox WHERE status = 'done'")).rows.map((r) => r.id));
    const intents = (await client.query<{ chat: string; n: string }>(
      "SELECT agent_key AS chat, COUNT(*) AS n FROM outbox WHERE payload_json::jsonb ->> 'type' = 'text' GROUP BY agent_key",
    )).rows;
    return { entries, done, textIntents: new Map(intents.map((r) => [r.chat, Number(r.n)])) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

// `npm run chaos -- --console`: a console chat (`npm run chat`) beside the bot, on the same database
// and a chat id of its own, typing movie dialogs the whole run while the bot is killed again and
// again. It must get each of its replies printed, in its terminal only (never sent to Telegram),
// save each movie once, and its messages must never be charged by the bot's crashes.
import { spawn } from "node:child_process";
import BetterSqlite3 from "better-sqlite3";
import { REPO_ROOT } from "../../test/support/bot-process.js";
import type { FakeBotApi } from "../../test/support/fake-bot-api.js";

export const CONSOLE_CHAT = 900_001;
const REPLY_TIMEOUT_MS = 30_000;

export interface ConsoleLog {
  chatId: number;
  /** Lines typed, and the replies printed for them (the first line of each). */
  lines: number;
  replies: number;
  /** Movies whose dialog got its "Saved" reply. */
  saved: string[];
  /** Set when a reply did not come, or not the one expected. */
  stuck?: string;
  exitCode: number | null;
}

export interface ConsoleCheck {
  failures: string[];
  summary: string;
}

/** Runs movie dialogs in a console until `keepGoing` turns false, then quits it (Ctrl+D). */
export async function runConsole(dbPath: string, keepGoing: () => boolean): Promise<ConsoleLog> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/chat.ts", "--chat", String(CONSOLE_CHAT), "--database", dbPath], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => void (out += chunk));
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const log: ConsoleLog = { chatId: CONSOLE_CHAT, lines: 0, replies: 0, saved: [], exitCode: null };
  const replies = () => [...out.matchAll(/bot> ([^\n]*)/g)].map((m) => m[1]!);

  /** Types a line and waits for its reply, as a person reads the answer before typing again. */
  const say = async (line: string, expected: RegExp): Promise<boolean> => {
    log.lines += 1;
    child.stdin.write(`${line}\n`);
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (replies().length < log.lines) {
      if (Date.now() > deadline || child.exitCode !== null) {
        log.stuck = `no reply to ${JSON.stringify(line)} within ${REPLY_TIMEOUT_MS / 1000} s`;
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    log.replies = replies().length;
    const reply = replies()[log.lines - 1]!;
    if (!expected.test(reply)) log.stuck = `${JSON.stringify(line)} got ${JSON.stringify(reply)}, not ${String(expected)}`;
    return log.stuck === undefined;
  };

  for (let n = 1; keepGoing() && log.stuck === undefined; n++) {
    const title = `Console movie ${n}`;
    const ok = (await say("/add_movie", /^What's the movie's title\?/))
      && (await say(title, /^What year did it come out\?/))
      && (await say("1999", /^Your rating, 1 to 5 stars\?/))
      && (await say("4", new RegExp(`^Saved the movie: ${title} \\(1999\\)`)));
    if (!ok) break;
    log.saved.push(title);
    if (!(await say("/movies", new RegExp(`^Your movies \\(${n}\\):`)))) break;
  }
  child.stdin.end();
  log.exitCode = await exited;
  return log;
}

/** The console's invariants, from its log, the fake Bot API and the database. */
export function checkConsole(log: ConsoleLog, api: FakeBotApi, dbPath: string): ConsoleCheck {
  const failures: string[] = [];
  if (log.stuck) failures.push(`console chat got stuck: ${log.stuck}`);
  if (log.exitCode !== 0) failures.push(`console chat exited with ${log.exitCode}`);
  const toTelegram = api.calls.filter((c) => String(c.params.chat_id) === String(CONSOLE_CHAT)).length;
  if (toTelegram > 0) failures.push(`console chat: ${toTelegram} Bot API calls for its chat (its replies belong in the terminal)`);
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    const key = String(CONSOLE_CHAT);
    const titles = db.prepare("SELECT title FROM entries WHERE chat_id = ? ORDER BY title").pluck().all(key) as string[];
    if (JSON.stringify(titles) !== JSON.stringify([...log.saved].sort())) {
      failures.push(`console chat: entries ${JSON.stringify(titles)}, expected ${JSON.stringify([...log.saved].sort())}`);
    }
    const charged = db.prepare("SELECT COUNT(*) FROM inbox WHERE agent_key = ? AND (status <> 'done' OR attempts > 0)").pluck().get(key) as number;
    if (charged > 0) failures.push(`console chat: ${charged} of its messages not done at once (charged or handled by the bot)`);
    const unsent = db.prepare("SELECT COUNT(*) FROM outbox WHERE agent_key = ? AND status <> 'sent'").pluck().get(key) as number;
    if (unsent > 0) failures.push(`console chat: ${unsent} replies not printed`);
  } finally {
    db.close();
  }
  return {
    failures,
    summary: `typed ${log.lines} lines, ${log.replies} replies printed, ${log.saved.length} movies saved, sent to Telegram ${toTelegram}`,
  };
}

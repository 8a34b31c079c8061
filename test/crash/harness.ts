// Shared driver for the crash tests: one fake Bot API, one temp database file and one port per test;
// the bot runs as a child process that a crash point may kill at any moment. `send` behaves as
// Telegram does: an update whose POST did not get a 200 is delivered again (to the restarted bot).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { type FakeBotApi, type RecordedCall, startFakeBotApi } from "../support/fake-bot-api.js";
import { type BotProcess, type ExitInfo, freePort, killAllBots, startBot } from "../support/bot-process.js";

export const SECRET = "crash-test-secret_123";

export interface CrashRecord {
  /** What the test was doing when it found the child dead. */
  during: string;
  exit: ExitInfo;
  /** The dead child's output, for failure messages. */
  output: string;
}

export interface HarnessOptions {
  /** More environment variables for every child (e.g. the language model's). */
  env?: Record<string, string>;
  /** What node runs (startBot's nodeArgs), e.g. a prebuilt bundle. */
  nodeArgs?: string[];
  /** Each child appends the crash points it reaches to its own file (MT_CRASH_TRACE); see pointTraces(). */
  tracePoints?: boolean;
}

export class CrashHarness {
  readonly dbPath: string;
  /** One entry per child that died (SIGKILL) and was restarted. */
  readonly crashes: CrashRecord[] = [];
  /** Every child start, with its MT_CRASH_AT. */
  readonly starts: Array<{ crashAt: string | undefined; at: number }> = [];
  private current: BotProcess | undefined;
  private readonly logs: string[] = [];
  /** What the test did and saw, with times, for failure messages. */
  private readonly trace: string[] = [];
  private readonly t0 = Date.now();
  /**
   * MT_CRASH_AT for the child started after a crash (undefined: a clean one). A test that kills the
   * bot again and again sets it; it is asked once per restart.
   */
  rearm: (crash: CrashRecord) => string | undefined = () => undefined;
  /** POSTs of one update before `send` gives up (several concurrent sends may each lose a few to crashes). */
  maxPosts = 4;
  private restarting: Promise<void> | undefined;

  private constructor(
    readonly api: FakeBotApi,
    readonly dir: string,
    readonly port: number,
    private readonly options: HarnessOptions,
  ) {
    this.dbPath = path.join(dir, "bot.db");
  }

  static async create(options: HarnessOptions = {}): Promise<CrashHarness> {
    const api = await startFakeBotApi();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crash-test-"));
    return new CrashHarness(api, dir, await freePort(), options);
  }

  get bot(): BotProcess {
    if (!this.current) throw new Error("no bot started");
    return this.current;
  }

  /** Starts the bot on this harness's database and port (after the previous child has exited). */
  async start(crashAt?: string, waitUntilReady = true): Promise<BotProcess> {
    if (this.current && !this.current.exitInfo) throw new Error("start: the previous bot is still running");
    if (this.current) this.logs.push(this.current.output());
    this.starts.push({ crashAt, at: Date.now() });
    this.note(`start #${this.starts.length}${crashAt ? ` MT_CRASH_AT=${crashAt}` : ""}`);
    this.current = await startBot({
      apiRoot: this.api.apiRoot,
      token: this.api.token,
      dbPath: this.dbPath,
      port: this.port,
      secret: SECRET,
      crashAt,
      waitUntilReady,
      env: {
        ...this.options.env,
        ...(this.options.tracePoints ? { MT_CRASH_TRACE: this.traceFile(this.starts.length) } : {}),
      },
      ...(this.options.nodeArgs ? { nodeArgs: this.options.nodeArgs } : {}),
    });
    this.note(`started pid ${this.current.pid}${waitUntilReady ? " (ready)" : ""}`);
    return this.current;
  }

  /**
   * Waits for the child to die by SIGKILL (a crash point), records it, starts the next one (clean,
   * or as `rearm` says). Safe to call from several concurrent sends: `failed` is the child the
   * caller saw fail; if it was replaced already, or a restart is under way, this just waits for it.
   */
  async restartAfterCrash(during: string, timeoutMs = 10_000, failed: BotProcess = this.bot): Promise<void> {
    if (this.restarting) return this.restarting;
    if (failed !== this.current) return;
    this.restarting = this.replace(failed, during, timeoutMs).finally(() => {
      this.restarting = undefined;
    });
    return this.restarting;
  }

  private async replace(bot: BotProcess, during: string, timeoutMs: number): Promise<void> {
    for (;;) {
      const exit = await Promise.race([bot.exited, sleep(timeoutMs).then(() => undefined)]);
      if (!exit) {
        throw new Error(`${during}: expected the bot to have died, but it is still running after ${timeoutMs} ms.\n${this.describe()}`);
      }
      if (exit.signal !== "SIGKILL") {
        throw new Error(`${during}: the bot exited with ${JSON.stringify(exit)}, not SIGKILL.\n${this.describe()}`);
      }
      const crash = { during, exit, output: bot.output() };
      this.crashes.push(crash);
      this.note(`pid ${bot.pid} died (${exit.signal}): ${during}`);
      const next = await this.start(this.rearm(crash), false);
      try {
        await next.ready;
        this.note(`pid ${next.pid} ready`);
        return;
      } catch (error) {
        // Recovery runs unfinished messages before the bot is ready: a re-armed point may kill it there.
        if (next.exitInfo?.signal !== "SIGKILL") {
          next.kill("SIGKILL");
          throw error;
        }
        bot = next;
        during = "while starting (recovery)";
      }
    }
  }

  /**
   * Delivers one update like Telegram would: POST until a 200 comes back, restarting the bot when
   * the connection dies with it. Then waits for `arrived` (the update's effect at the fake API),
   * restarting the bot again if it dies meanwhile. Returns how many POSTs it took.
   */
  async send(label: string, update: unknown, arrived: (api: FakeBotApi) => boolean, timeoutMs = 10_000): Promise<number> {
    let posts = 0;
    for (;;) {
      posts += 1;
      if (posts > this.maxPosts) throw new Error(`${label}: no 200 after ${posts - 1} POSTs.\n${this.describe()}`);
      const bot = this.bot;
      const res = await bot.post(update);
      this.note(`POST ${label} → ${res === "connection-failed" ? res : res.status}`);
      if (res !== "connection-failed" && res.status === 200) break;
      if (res !== "connection-failed") {
        throw new Error(`${label}: webhook answered ${res.status} ${res.body}.\n${this.describe()}`);
      }
      // No 200: Telegram would deliver it again, to whatever is listening once the bot is back.
      await this.restartAfterCrash(`${label} (POST #${posts} failed)`, undefined, bot);
    }
    await this.waitOrRestart(label, arrived, timeoutMs);
    this.note(`${label}: reply arrived`);
    return posts;
  }

  /**
   * Waits for `predicate`; if the child dies meanwhile, restarts it and keeps waiting. The time
   * allowed counts from the last restart, so a run of crashes does not use it up.
   */
  async waitOrRestart(label: string, predicate: (api: FakeBotApi) => boolean, timeoutMs = 10_000): Promise<void> {
    let deadline = Date.now() + timeoutMs;
    for (;;) {
      if (predicate(this.api)) return;
      const bot = this.bot;
      if (bot.exitInfo || this.restarting) {
        await this.restartAfterCrash(`${label} (while waiting for its reply)`, undefined, bot);
        deadline = Date.now() + timeoutMs;
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${label}: its reply did not arrive within ${timeoutMs} ms.\n${this.describe()}`);
      await sleep(10);
    }
  }

  /** The crash points each child reached, in order, one list per start (with tracePoints). */
  pointTraces(): string[][] {
    return this.starts.map((_, i) => {
      const file = this.traceFile(i + 1);
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    });
  }

  private traceFile(start: number): string {
    return path.join(this.dir, `points-${start}.trace`);
  }

  /** Records a line in the trace shown by describe(). */
  note(line: string): void {
    this.trace.push(`  +${String(Date.now() - this.t0).padStart(5)} ms  ${line}`);
  }

  /** Stops the current child with SIGTERM and checks it exits cleanly. */
  async stop(): Promise<ExitInfo> {
    this.note("SIGTERM");
    const exit = await this.bot.stop();
    this.note(`stopped: ${JSON.stringify(exit)}`);
    if (exit.code !== 0) throw new Error(`The bot did not exit cleanly on SIGTERM: ${JSON.stringify(exit)}.\n${this.describe()}`);
    return exit;
  }

  /** Opens the database file (the bot must have stopped) for the invariant checks. */
  readDb<T>(read: (db: BetterSqlite3.Database) => T): T {
    const db = new BetterSqlite3(this.dbPath, { fileMustExist: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  /** Changes the database beside the running bot (WAL lets a short write in between its commits). */
  writeDb<T>(write: (db: BetterSqlite3.Database) => T): T {
    return this.readDb(write);
  }

  /** Successful calls that reached the chat (sendMessage, edits, callback answers), in order. */
  deliveries(chatId: number): RecordedCall[] {
    return this.api.calls.filter(
      (c) =>
        c.failedWith === undefined &&
        (c.method === "answerCallbackQuery" || (/^(send|edit)/i.test(c.method) && String(c.params.chat_id) === String(chatId))),
    );
  }

  /** The texts of the successful sendMessage calls to a chat, in order. */
  texts(chatId: number): string[] {
    return this.api
      .sent(chatId)
      .filter((c) => c.method === "sendMessage")
      .map((c) => String(c.params.text));
  }

  /** Everything useful for a failure message: starts, crashes, calls at the fake API, child output. */
  describe(): string {
    const calls = this.api.calls
      .filter((c) => !/^(setWebhook|getMe)$/.test(c.method))
      .map((c) => {
        const text = typeof c.params.text === "string" ? JSON.stringify(c.params.text.slice(0, 80)) : "";
        const failed = c.failedWith !== undefined ? ` [failed ${c.failedWith}]` : "";
        return `  ${c.method} chat=${String(c.params.chat_id ?? "-")} ${text}${failed}`;
      });
    return [
      `starts: ${this.starts.map((s) => s.crashAt ?? "(clean)").join(" → ")}`,
      `crashes: ${this.crashes.map((c) => c.during).join("; ") || "(none)"}`,
      "trace:",
      ...this.trace,
      `calls at the fake Bot API (${calls.length}):`,
      ...calls,
      ...this.logs,
      this.current?.output() ?? "",
    ].join("\n");
  }

  async close(): Promise<void> {
    await killAllBots();
    await this.api.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Keeps the real bot running as a child process and kills it as the kill plan says: starts it (with
// MT_CRASH_AT armed, or clean and SIGKILLed after a delay), waits for it to die, restarts it at
// once on the same database and port, as a process supervisor would. Records each start and kill.
import { type BotProcess, type ExitInfo, type PostResult, startBot } from "../../test/support/bot-process.js";
import type { FakeBotApi } from "../../test/support/fake-bot-api.js";
import { describeKill, type PlannedKill } from "./kill-plan.js";

/** One child process of the run. */
export interface StartRecord {
  pid: number;
  /** The tag its calls reach the fake Bot API with (RecordedCall.via): which process sent a reply. */
  via: string;
  /** MT_CRASH_AT of this start, if armed. */
  crashAt: string | undefined;
  spawnAt: number;
  /** When /healthz first answered 200 (unset if it died before). */
  readyAt?: number;
  exitAt?: number;
  exit?: ExitInfo;
}

export interface KillRecord {
  plan: PlannedKill;
  /** crash-point: the armed point fired; external: the runner's SIGKILL; armed-not-reached: the
   *  armed point was not reached in time, so the runner sent SIGKILL instead. */
  outcome: "crash-point" | "external" | "armed-not-reached";
  start: StartRecord;
}

export interface SupervisorOptions {
  /** Names this supervisor's processes (their `via` tags); one per supervisor when several run. Default "bot". */
  name?: string;
  api: FakeBotApi;
  dbPath: string;
  port: number;
  secret: string;
  env?: Record<string, string>;
  log: (line: string) => void;
}

/** How long an armed point may take to fire before the runner kills the bot itself. */
const ARMED_FALLBACK_MS = 20_000;
const READY_TIMEOUT_MS = 60_000;

export class BotSupervisor {
  readonly starts: StartRecord[] = [];
  readonly kills: KillRecord[] = [];
  /** Exits that were not a SIGKILL of ours or of a crash point (a real crash: always a failure). */
  readonly unexpectedExits: string[] = [];
  private current: BotProcess | undefined;

  constructor(private readonly options: SupervisorOptions) {}

  /** POSTs an update to whatever bot is listening now ("connection-failed" while none is). */
  post(update: unknown): Promise<PostResult> {
    return this.current ? this.current.post(update) : Promise.resolve("connection-failed");
  }

  get bot(): BotProcess {
    if (!this.current) throw new Error("no bot started");
    return this.current;
  }

  /** Runs kills from `plan` while `more()` says so, then leaves a clean bot running and ready. */
  async run(plan: Iterator<PlannedKill>, more: () => boolean): Promise<void> {
    while (more()) {
      const kill = plan.next().value as PlannedKill;
      await this.killOnce(kill);
    }
    const bot = await this.spawn(undefined);
    await bot.ready;
  }

  /** SIGTERM for the last bot; its exit code must be 0. */
  async stop(): Promise<ExitInfo> {
    return this.bot.stop(30_000);
  }

  private async killOnce(plan: PlannedKill): Promise<void> {
    const bot = await this.spawn(plan.kind === "armed" ? plan.crashAt : undefined);
    const start = this.starts.at(-1)!;
    const n = this.kills.length + 1;
    let outcome: KillRecord["outcome"];
    if (plan.kind === "armed") {
      const fallback = (async () => {
        await bot.ready.catch(() => undefined);
        await raceExit(bot, ARMED_FALLBACK_MS);
      })();
      await Promise.race([bot.exited, fallback]);
      outcome = bot.exitInfo ? "crash-point" : "armed-not-reached";
      bot.kill("SIGKILL");
    } else {
      if (plan.after === "ready") await bot.ready.catch(() => undefined);
      await raceExit(bot, plan.delayMs);
      outcome = "external";
      bot.kill("SIGKILL");
    }
    const exit = await bot.exited;
    start.exit = exit;
    start.exitAt = Date.now();
    if (exit.signal !== "SIGKILL") {
      this.unexpectedExits.push(`kill #${n} (${describeKill(plan)}): the bot exited with ${JSON.stringify(exit)}\n${bot.output()}`);
    }
    this.kills.push({ plan, outcome, start });
    const ready = start.readyAt ? `ready after ${start.readyAt - start.spawnAt} ms, ` : "before ready, ";
    const who = this.options.name ? `${this.options.name} ` : "";
    this.options.log(`${who}kill #${n}: ${describeKill(plan)} → ${outcome} (${ready}lived ${start.exitAt - start.spawnAt} ms)`);
  }

  private async spawn(crashAt: string | undefined): Promise<BotProcess> {
    const spawnAt = Date.now();
    const via = `${this.options.name ?? "bot"}-${this.starts.length + 1}`;
    const bot = await startBot({
      apiRoot: this.options.api.viaRoot(via),
      token: this.options.api.token,
      dbPath: this.options.dbPath,
      port: this.options.port,
      secret: this.options.secret,
      ...(crashAt ? { crashAt } : {}),
      ...(this.options.env ? { env: this.options.env } : {}),
      waitUntilReady: false,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
    const start: StartRecord = { pid: bot.pid, via, crashAt, spawnAt };
    this.starts.push(start);
    this.current = bot;
    bot.ready.then(
      () => (start.readyAt = Date.now()),
      (error: unknown) => {
        // Dying before ready is expected here (an early kill); not getting ready while alive is not.
        if (!bot.exitInfo) this.unexpectedExits.push(`pid ${bot.pid} never got ready: ${String(error)}`);
      },
    );
    return bot;
  }
}

/** Resolves after `ms`, or earlier if the bot exits. */
async function raceExit(bot: BotProcess, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([bot.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

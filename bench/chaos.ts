// `npm run chaos`: watch the bot recover. Starts a fake Bot API and the real bot (a child process,
// webhook mode, a temporary SQLite file at production durability), drives scripted conversations
// from many chats at once, SIGKILLs the bot at random moments (armed crash points and external
// kills, from a seeded plan) and restarts it each time; then checks that nothing acknowledged was
// lost, nothing saved twice, and replies came in order, and prints the figures.
//
//   npm run chaos                           60 s of kills, 50 chats, a random seed (printed)
//   npm run chaos -- --kills 200            the long run: 200 kills
//   npm run chaos -- --seed 42 --kills 10   replay: the same seed and --kills pick the same kills
//   npm run chaos -- --duration 120 --chats 20 --json
//   npm run chaos -- --console              also a console chat beside the bot, on its own chat id
//   npm run chaos -- --replicas 3           three bot processes on a temporary PostgreSQL database,
//                                           updates spread over them at random, kills of any of them
//                                           (--postgres <url>: the server; default the tests' local one)
//
// Exit code 1 when an invariant fails (the report names it and the command to replay the seed).
import { parseArgs } from "node:util";
import { formatReport } from "./chaos/report.js";
import { type ChaosOptions, runChaos } from "./chaos/run-chaos.js";
import { randomSeed } from "./chaos/rng.js";
import { NoPostgresError } from "./chaos/temp-postgres.js";

const DEFAULT_DURATION_SEC = 60;

function readOptions(): ChaosOptions & { json: boolean } {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      kills: { type: "string" },
      seed: { type: "string" },
      chats: { type: "string", default: "50" },
      json: { type: "boolean", default: false },
      "keep-db": { type: "boolean", default: false },
      console: { type: "boolean", default: false },
      replicas: { type: "string" },
      postgres: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      "usage: npm run chaos -- [--duration <seconds> | --kills <N>] [--seed <n>] [--chats <n>] [--json] [--keep-db] " +
        "[--console | --replicas <n> [--postgres <server url>]]",
    );
    process.exit(0);
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${text}`);
    return n;
  };
  if (values.duration !== undefined && values.kills !== undefined) throw new Error("give --duration or --kills, not both");
  const kills = values.kills !== undefined ? int("kills", values.kills, 1) : undefined;
  return {
    seed: values.seed !== undefined ? int("seed", values.seed, 0) : randomSeed(),
    chats: int("chats", values.chats, 1),
    ...(kills !== undefined ? { kills } : { durationSec: int("duration", values.duration ?? String(DEFAULT_DURATION_SEC), 1) }),
    json: values.json,
    keepDatabase: values["keep-db"],
    console: values.console,
    ...(values.replicas !== undefined ? { replicas: int("replicas", values.replicas, 1) } : {}),
    ...(values.postgres !== undefined ? { postgresServer: values.postgres } : {}),
  };
}

const options = readOptions();
// Progress goes to stderr, so that --json leaves stdout to the report alone.
const log = (line: string) => console.error(line);
log(
  `chaos: seed ${options.seed}, ${options.chats} chats, ${options.kills !== undefined ? `${options.kills} kills` : `${options.durationSec} s`}` +
    (options.replicas !== undefined ? `, ${options.replicas} bot processes on PostgreSQL` : ""),
);
const report = await runChaos({ ...options, log }).catch((error: unknown) => {
  if (!(error instanceof NoPostgresError)) throw error;
  console.error(error.message);
  process.exit(2);
});
console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
if (!report.ok) {
  console.error(`\nFAILED with seed ${report.seed}. Replay: ${report.replay}`);
  process.exit(1);
}

// `npm run bench`: media-tracker side by side with the grammY and Restate peers, and itself on
// PostgreSQL with one and with three processes, one system after the other, against the same fake
// Bot API server and the same load generator, in this process tree. Prints a table with the ratios
// ours/other and the targets, then one JSON line.
//
//   npm run bench                              all systems, all phases (the PostgreSQL ones only
//                                              when BENCH_DATABASE_URL's server answers; default
//                                              postgres://postgres@127.0.0.1:5432/postgres)
//   npm run bench -- --runs 3                  every phase three times, the systems taking turns in
//                                              each (ours, peers, ours, peers, …); medians and ratios
//   npm run bench -- --systems ours,grammy     a subset: ours, grammy, restate, ours-pg, ours-pg3
//   npm run bench -- --phases ingest,dialog    ingest | dialog | limits | recovery
//   npm run bench -- --updates 20000           ingest size
//   npm run bench -- --profile                 CPU-profile our bot's ingest and dialog runs, print the top functions
//   npm run bench -- --json-only               only the JSON line on stdout
//
// Progress and the systems' own warnings go to stderr.
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { startFakeBotApi } from "../test/support/fake-bot-api.js";
import * as phases from "./phases.js";
import { dropBenchDatabases, dropLeftoverBenchDatabases } from "./postgres.js";
import { summarizeProfile } from "./profile.js";
import { type Figures, type SystemFigures, printReport } from "./report.js";
import { LABELS, SYSTEMS, type SystemName, isOurs, killAll, onPostgres, prepare } from "./systems.js";
import { UpdateIds, sleep } from "./workload.js";

const PHASES = ["ingest", "dialog", "limits", "recovery"] as const;
type Phase = (typeof PHASES)[number];

function readOptions() {
  const { values } = parseArgs({
    options: {
      systems: { type: "string", default: SYSTEMS.join(",") },
      phases: { type: "string", default: PHASES.join(",") },
      updates: { type: "string", default: "20000" },
      runs: { type: "string", default: "1" },
      profile: { type: "boolean", default: false },
      "json-only": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log("usage: npm run bench -- [--systems ours,grammy,restate,ours-pg,ours-pg3] [--phases ingest,dialog,limits,recovery] [--updates N] [--runs N] [--profile] [--json-only]");
    process.exit(0);
  }
  const list = <T extends string>(flag: string, text: string, allowed: readonly T[]): T[] => {
    const items = text.split(",").map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((s) => !allowed.includes(s as T));
    if (bad.length || items.length === 0) throw new Error(`--${flag} takes a comma-separated list of ${allowed.join(", ")}; got ${text}`);
    return items as T[];
  };
  const updates = Number(values.updates);
  if (!Number.isInteger(updates) || updates < 100) throw new Error(`--updates must be an integer >= 100, got ${values.updates}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs must be an integer from 1 to 20, got ${values.runs}`);
  return {
    runs,
    systems: list("systems", values.systems, SYSTEMS),
    phases: list("phases", values.phases, PHASES),
    updates,
    profile: values.profile,
    jsonOnly: values["json-only"],
  };
}

async function main(): Promise<number> {
  const options = readOptions();
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const fake = await startFakeBotApi();
  const workDir = phases.makeWorkDir();
  const ctx: phases.Context = { fake, ids: new UpdateIds(10_000_000), workDir, say };
  let interrupting = false;
  const interrupted = () => {
    // Ctrl-C may reach the bench more than once (from the terminal, and relayed by npm): the
    // handler stays, so that a second signal does not end the process before the databases are dropped.
    if (interrupting) return;
    interrupting = true;
    killAll();
    fs.rmSync(workDir, { recursive: true, force: true });
    // The killed bots' databases too; a server that does not answer is not waited for long.
    void Promise.race([dropBenchDatabases(), sleep(5_000)]).finally(() => process.exit(130));
  };
  process.on("SIGINT", interrupted);
  process.on("SIGTERM", interrupted);
  const started = Date.now();
  say(`bench: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}; phases ${options.phases.join(", ")}`);

  const skipped: Partial<Record<SystemName, string>> = {};
  const runnable: SystemName[] = [];
  for (const name of options.systems) {
    const why = await prepare(name, say);
    if (why) {
      skipped[name] = why;
      // The PostgreSQL systems share their reason: said once for both.
      if (!onPostgres(name)) say(`bench: the ${LABELS[name]} cannot run here, going on without it: ${why}`);
    } else {
      runnable.push(name);
    }
  }
  const pgSkipped = options.systems.filter((name) => onPostgres(name) && skipped[name]);
  if (pgSkipped.length) say(`bench: the PostgreSQL systems (${pgSkipped.join(", ")}) were skipped: ${skipped[pgSkipped[0]!]}`);
  if (runnable.some(onPostgres)) {
    const dropped = await dropLeftoverBenchDatabases();
    if (dropped.length) say(`bench: dropped ${dropped.length} database(s) a killed bench left behind: ${dropped.join(", ")}`);
  }
  // Phase by phase, the systems take turns, so that whatever else loads the machine meanwhile
  // weighs on each side of a ratio alike.
  const runs: Figures[] = Array.from({ length: options.runs }, () => ({}));
  let ok = true;
  try {
    for (const [r, run] of runs.entries()) {
      for (const phase of options.phases) {
        for (const name of runnable) {
          if (phase === "limits" && !isOurs(name)) continue; // the peers do not pace at all
          if (phase === "recovery" && onPostgres(name)) continue; // a restart on a cached SQLite file
          const result = (run[name] ??= {});
          if (result.error) continue; // failed earlier in this run
          say(`bench: ${options.runs > 1 ? `run ${r + 1}/${options.runs}: ` : ""}${LABELS[name]}: ${phase}…`);
          try {
            await runPhase(ctx, name, phase, result, { updates: options.updates, profile: options.profile && name === "ours", keepProfile: r === 0 });
          } catch (error) {
            ok = false;
            result.error = `${phase}: ${error instanceof Error ? error.message : String(error)}`;
            say(`bench: ${LABELS[name]} failed: ${result.error}`);
          }
        }
      }
    }
  } finally {
    killAll();
    await dropBenchDatabases();
    await fake.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? "?", node: process.version, seconds };
  printReport({ runs, skipped, machine, profiled: options.profile, jsonOnly: options.jsonOnly });
  return ok ? 0 : 1;
}

/** Runs one phase of one system and puts its figures in `result`; the first run keeps its CPU profile summary. */
async function runPhase(
  ctx: phases.Context, name: SystemName, phase: Phase, result: SystemFigures,
  { updates, profile, keepProfile }: { updates: number; profile: boolean; keepProfile: boolean },
): Promise<void> {
  // The fake Bot API keeps every call it saw; a phase needs only its own (replies are counted as they arrive).
  ctx.fake.clearCalls();
  const profileDir = profile && (phase === "ingest" || phase === "dialog") ? fs.mkdtempSync(`${ctx.workDir}/profile-`) : undefined;
  if (phase === "ingest") {
    const { window, ...ingest } = await phases.ingest(ctx, name, updates, profileDir);
    result.ingest = ingest;
    if (profileDir && keepProfile) {
      result.profile = summarizeProfile(profileDir, 15, window);
      result.ingestThreadProfile = summarizeProfile(profileDir, 15, window, "ingest");
    }
  } else if (phase === "dialog") {
    result.dialog = await phases.dialogs(ctx, name, "off", undefined, profileDir);
    if (profileDir && keepProfile) result.dialogProfile = summarizeProfile(profileDir, 15, undefined);
  } else if (phase === "limits") {
    result.limits = await phases.dialogs(ctx, name, "on");
  } else {
    result.recovery = await phases.recovery(ctx, name);
  }
  // A profile is a few MB per run; the summary is all that is kept.
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killAll();
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

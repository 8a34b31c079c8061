// `npm run bench`: media-tracker side by side with the grammY and Restate peers, one system after
// the other, against the same fake Bot API server and the same load generator, in this process tree.
// Prints a table with the ratios ours/peer and the targets, then one JSON line.
//
//   npm run bench                              all systems, all phases
//   npm run bench -- --systems ours,grammy     a subset
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
import { summarizeProfile } from "./profile.js";
import { printReport, type SystemFigures } from "./report.js";
import { LABELS, SYSTEMS, type SystemName, killAll, preparePeer, unavailable } from "./systems.js";
import { UpdateIds } from "./workload.js";

const PHASES = ["ingest", "dialog", "limits", "recovery"] as const;
type Phase = (typeof PHASES)[number];

function readOptions() {
  const { values } = parseArgs({
    options: {
      systems: { type: "string", default: SYSTEMS.join(",") },
      phases: { type: "string", default: PHASES.join(",") },
      updates: { type: "string", default: "20000" },
      profile: { type: "boolean", default: false },
      "json-only": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log("usage: npm run bench -- [--systems ours,grammy,restate] [--phases ingest,dialog,limits,recovery] [--updates N] [--profile] [--json-only]");
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
  return {
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
  const interrupted = () => {
    killAll();
    fs.rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  const started = Date.now();
  say(`bench: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}; phases ${options.phases.join(", ")}`);

  const figures: Partial<Record<SystemName, SystemFigures>> = {};
  let ok = true;
  try {
    for (const name of options.systems) {
      const missing = unavailable(name);
      const result: SystemFigures = {};
      figures[name] = result;
      if (missing) {
        result.error = missing;
        say(`bench: skipping the ${LABELS[name]}: ${missing}`);
        continue;
      }
      try {
        preparePeer(name, say);
        for (const phase of options.phases as Phase[]) {
          if (phase === "limits" && name !== "ours") continue; // the peers do not pace at all
          say(`bench: ${LABELS[name]}: ${phase}…`);
          if (phase === "ingest") {
            const profileDir = options.profile && name === "ours" ? fs.mkdtempSync(`${workDir}/profile-`) : undefined;
            const { window, ...ingest } = await phases.ingest(ctx, name, options.updates, profileDir);
            result.ingest = ingest;
            if (profileDir) result.profile = summarizeProfile(profileDir, 15, window);
          } else if (phase === "dialog") {
            const profileDir = options.profile && name === "ours" ? fs.mkdtempSync(`${workDir}/profile-`) : undefined;
            result.dialog = await phases.dialogs(ctx, name, "off", undefined, profileDir);
            if (profileDir) result.dialogProfile = summarizeProfile(profileDir, 15, undefined);
          } else if (phase === "limits") {
            result.limits = await phases.dialogs(ctx, name, "on");
          } else {
            result.recovery = await phases.recovery(ctx, name);
          }
        }
      } catch (error) {
        ok = false;
        result.error = error instanceof Error ? error.message : String(error);
        say(`bench: ${LABELS[name]} failed: ${result.error}`);
      }
    }
  } finally {
    killAll();
    await fake.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? "?", node: process.version, seconds };
  printReport(figures, machine, options.jsonOnly);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killAll();
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

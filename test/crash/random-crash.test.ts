// Random crashes: the chaos runner (bench/chaos) with a few kills from a seeded plan, once with a
// fixed seed and once with a seed of the day (printed, so a failure can be replayed with
// `npm run chaos -- --seed <seed> --kills <n> --chats <n>`). Every invariant must hold: nothing
// acknowledged is lost, no entry is saved twice or missing, replies come once and in order (a
// second copy only from a kill inside the send window).
import { describe, expect, it } from "vitest";
import { runChaos } from "../../bench/chaos/run-chaos.js";
import { expectChaosHeld } from "../support/chaos-held.js";

const CHATS = 8;
// Seed 60's first six kills: SIGKILL 2 s after ready, outbox.after-record@10, step.before@6,
// SIGKILL 371 ms after spawn (mid-recovery), message.before-handle@2, step.before@19.
const FIXED_SEED = 60;
const DAY_SEED = Math.floor(Date.now() / 86_400_000);

describe("random SIGKILLs during many conversations", () => {
  it.each([
    // With a console chat beside the bot on the same database: its replies print in its terminal only.
    { name: "fixed seed, a console beside the bot", seed: FIXED_SEED, kills: 6, console: true },
    { name: "seed of the day", seed: DAY_SEED, kills: 4, console: false },
  ])("$name ($seed): nothing lost, nothing done twice", { timeout: 150_000 }, async ({ seed, kills, console: withConsole }) => {
    const report = await runChaos({ seed, kills, chats: CHATS, console: withConsole });
    const text = expectChaosHeld(report, { kills, chats: CHATS });
    if (withConsole) expect(report.console, text).toMatch(/^typed (\d+) lines, \1 replies printed, [1-9]\d* movies saved, sent to Telegram 0$/);
  });
});

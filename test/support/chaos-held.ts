// What every chaos run in the tests must show, one process or several: nothing acknowledged lost,
// no entry saved twice or missing, replies in order and once but for the crash window, and the
// workload did something (every chat was acknowledged updates and has its entries).
import { expect } from "vitest";
import { type ChaosReport, formatReport } from "../../bench/chaos/report.js";

/** Prints the report (the replay command is in it) and checks it; returns its text for further checks. */
export function expectChaosHeld(report: ChaosReport, expected: { kills: number; chats: number }): string {
  const text = formatReport(report);
  console.log(text);
  expect(report.failures, text).toEqual([]);
  expect(report.kills.total).toBe(expected.kills);
  expect(report.updates.lost, text).toBe(0);
  expect(report.entries.duplicated, text).toBe(0);
  expect(report.entries.missing, text).toBe(0);
  expect(report.replies.outOfOrder, text).toBe(0);
  expect(report.replies.duplicatedOutsideCrashWindow, text).toBe(0);
  expect(report.updates.acknowledged, text).toBeGreaterThan(expected.chats);
  expect(report.entries.stored, text).toBe(report.entries.expected);
  return text;
}

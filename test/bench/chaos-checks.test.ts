// The chaos runner's invariant checks catch what they claim to: a lost reply, a reply written or
// delivered twice outside a crash window, replies out of order, an entry saved twice or missing.
import { describe, expect, it } from "vitest";
import type { KillRecord } from "../../bench/chaos/bot-supervisor.js";
import type { ChatLog } from "../../bench/chaos/chat-driver.js";
import { checkEntries, checkReplies } from "../../bench/chaos/checks.js";
import type { Reply } from "../../bench/chaos/reply-index.js";

const CHAT = 1;

function chat(...patterns: RegExp[]): ChatLog {
  return {
    chatId: CHAT,
    conversations: {},
    expectedEntries: [],
    updates: patterns.map((reply, i) => ({ updateId: i + 1, label: `u${i + 1}`, conversation: "test", reply, posts: 1, ackedAt: 1 })),
  };
}

const reply = (text: string, at: number, via?: string): Reply => ({ text, at, via, messageId: undefined, buttons: [] });

/** One bot process that lived from `from` to `to` and was killed from outside. */
const killed = (from: number, to: number, via = "bot-1"): KillRecord => ({
  plan: { kind: "external", after: "ready", delayMs: to - from },
  outcome: "external",
  start: { pid: 1, via, crashAt: undefined, spawnAt: from, exitAt: to },
});

describe("checkReplies", () => {
  const log = chat(/^A/, /^B/, /^C/);

  it("passes replies that came once each, in order", () => {
    const check = checkReplies(log, [reply("A", 10), reply("B", 20), reply("C", 30)], 3, []);
    expect(check).toMatchObject({ duplicated: 0, unexplainedDuplicates: [], outOfOrder: [], unexpected: [], missing: [], extraIntents: [] });
  });

  it("allows a second copy whose first copy's process was killed, and measures the window", () => {
    const check = checkReplies(log, [reply("A", 10), reply("B", 20), reply("B", 60), reply("C", 70)], 3, [killed(0, 25)]);
    expect(check.duplicated).toBe(1);
    expect(check.unexplainedDuplicates).toEqual([]);
    expect(check.windows.map((w) => w.ms)).toEqual([5]);
  });

  it("flags a second copy from a process that was never killed", () => {
    const check = checkReplies(log, [reply("A", 10), reply("B", 20), reply("B", 60), reply("C", 70)], 3, [killed(0, 15)]);
    expect(check.unexplainedDuplicates).toHaveLength(1);
  });

  it("with processes running side by side, tells by its tag which one sent the first copy", () => {
    const replies = (firstVia: string) => [reply("A", 10, "p0-1"), reply("B", 20, firstVia), reply("B", 60, "p1-1"), reply("C", 70, "p1-1")];
    // p0-1 was killed after sending B; p1-1, alive at the same time, never was.
    expect(checkReplies(log, replies("p0-1"), 3, [killed(0, 25, "p0-1")]).windows.map((w) => w.ms)).toEqual([5]);
    expect(checkReplies(log, replies("p1-1"), 3, [killed(0, 25, "p0-1")]).unexplainedDuplicates).toHaveLength(1);
  });

  it("flags a missing reply, replies out of order, a stranger reply and extra outbox intents", () => {
    expect(checkReplies(log, [reply("A", 10), reply("C", 30)], 3, []).missing).toEqual([1]);
    expect(checkReplies(log, [reply("A", 10), reply("C", 20), reply("B", 30)], 3, []).outOfOrder).toHaveLength(1);
    expect(checkReplies(log, [reply("A", 10), reply("Z", 15), reply("B", 20), reply("C", 30)], 3, []).unexpected).toHaveLength(1);
    expect(checkReplies(log, [reply("A", 10), reply("B", 20), reply("C", 30)], 4, []).extraIntents).toHaveLength(1);
  });
});

describe("checkEntries", () => {
  it("finds entries saved twice, missing and not in the script", () => {
    const log: ChatLog = { ...chat(), expectedEntries: [{ kind: "book", title: "One" }, { kind: "movie", title: "Two" }] };
    const check = checkEntries([log], [
      { chat_id: "1", kind: "book", title: "One" },
      { chat_id: "1", kind: "book", title: "One" },
      { chat_id: "1", kind: "show", title: "Three" },
    ]);
    expect(check).toMatchObject({ expected: 2, stored: 3, duplicated: ["1|book|One ×2"], missing: ["1|movie|Two"], unexpected: ["1|show|Three"] });
  });
});

// Sends claimed at birth and pipelined records under kill -9: /export writes its two files (and a
// note) in one commit, all already claimed; the worker sends the CSV and goes on to the JSON without waiting for
// the CSV's record to commit. The bot is killed just before the JSON goes out: the CSV reached
// Telegram but its row is still 'sending', so after the restart it goes out again (the at-least-once
// window: sent, not recorded), then the JSON, once, in order; every row ends 'sent'.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMediaStore } from "../../src/store/media.js";
import { makeTextUpdate } from "../support/fake-bot-api.js";
import { CrashHarness } from "./harness.js";

const CHAT = 5151;

describe("a crash between two pipelined sends of one chat", () => {
  let h: CrashHarness;
  beforeEach(async () => {
    h = await CrashHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it("re-sends the file whose record was not committed, then the next one once, in order", async () => {
    const files = () => h.api.sent(CHAT).filter((c) => c.method === "sendDocument").map((c) => String(c.params.caption));
    const rows = () => h.readDb((db) => db.prepare(`SELECT status, attempts FROM outbox WHERE agent_key = ? ORDER BY id`).all(String(CHAT)));

    await h.start("outbox.before-send@2");
    h.writeDb((db) => createMediaStore(db).add(String(CHAT), { id: "b1", kind: "book", title: "Piranesi", author: "Susanna Clarke", rating: 5, addedAtMs: 1 }));
    const res = await h.bot.post(makeTextUpdate(1, CHAT, "/export"));
    expect(res === "connection-failed" ? res : res.status).toBe(200);
    await h.bot.exited;

    // Killed with the CSV sent and both rows still claimed: neither record was committed.
    expect(files().map((c) => c.slice(-5))).toEqual(["(CSV)"]);
    expect(rows()).toEqual(Array(3).fill({ status: "sending", attempts: 1 }));

    await h.restartAfterCrash("before the JSON file's send");
    await h.waitOrRestart("both files", () => files().length === 3);
    await h.bot.waitIdle();
    await h.stop();

    expect(files().map((c) => c.slice(-6))).toEqual([" (CSV)", " (CSV)", "(JSON)"]);
    // Every row claimed twice (at birth, and again after the restart); only the CSV went out twice.
    expect(rows()).toEqual(Array(3).fill({ status: "sent", attempts: 2 }));
    expect(h.deliveries(CHAT).map((c) => c.method)).toEqual(["sendDocument", "sendDocument", "sendDocument", "sendMessage"]);
    expect(h.crashes.length).toBe(1);
  });
});

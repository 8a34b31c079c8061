// Sends claimed at birth under kill -9: /export writes its two files (and a note) in one commit, all
// already claimed ('sending'); the worker sends the CSV, commits its record, and only then sends the
// JSON. The bot is killed just before the JSON goes out: the CSV is recorded, so after the restart
// it is not sent again; the JSON and the note go out once, in order, and every row ends 'sent'.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addEntries, withSqliteFile } from "../support/entries.js";
import { makeTextUpdate } from "../support/fake-bot-api.js";
import { CrashHarness } from "./harness.js";

const CHAT = 5151;

describe("a crash between two sends of one chat, claimed at birth", () => {
  let h: CrashHarness;
  beforeEach(async () => {
    h = await CrashHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it("sends each file once, in order: the first one's record committed before the second's send", async () => {
    const files = () => h.api.sent(CHAT).filter((c) => c.method === "sendDocument").map((c) => String(c.params.caption));
    const rows = () => h.readDb((db) => db.prepare(`SELECT status, attempts FROM outbox WHERE agent_key = ? ORDER BY id`).all(String(CHAT)));

    await h.start("outbox.before-send@2");
    await withSqliteFile(h.dbPath, (store) => addEntries(store, CHAT, [{ id: "b1", kind: "book", title: "Piranesi", author: "Susanna Clarke", rating: 5, addedAtMs: 1 }]));
    const res = await h.bot.post(makeTextUpdate(1, CHAT, "/export"));
    expect(res === "connection-failed" ? res : res.status).toBe(200);
    await h.bot.exited;

    // Killed with the CSV sent and recorded, the JSON and the note still claimed at birth.
    expect(files().map((c) => c.slice(-5))).toEqual(["(CSV)"]);
    expect(rows()).toEqual([{ status: "sent", attempts: 1 }, { status: "sending", attempts: 1 }, { status: "sending", attempts: 1 }]);

    await h.restartAfterCrash("before the JSON file's send");
    await h.waitOrRestart("both files", () => files().length === 2);
    await h.bot.waitIdle();
    await h.stop();

    expect(files().map((c) => c.slice(-6))).toEqual([" (CSV)", "(JSON)"]);
    // The two rows the crash left claimed were claimed again after the restart; nothing went out twice.
    expect(rows()).toEqual([{ status: "sent", attempts: 1 }, { status: "sent", attempts: 2 }, { status: "sent", attempts: 2 }]);
    expect(h.deliveries(CHAT).map((c) => c.method)).toEqual(["sendDocument", "sendDocument", "sendMessage"]);
    expect(h.crashes.length).toBe(1);
  });
});

// /export weekly under kill -9: the bot dies around the weekly timer's firing (before it fires,
// while its message is handled, after the commit, before the files are sent) and starts again.
// Each week's export still reaches the chat exactly once, and exactly one next week is armed.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addEntries, withSqliteFile } from "../support/entries.js";
import { makeTextUpdate } from "../support/fake-bot-api.js";
import { CrashHarness, sleep } from "./harness.js";

const CHAT = 7373;
const WEEK = 7 * 24 * 3600_000;
const POINTS = ["timer.before-fire@1", "message.before-handle@1", "message.before-commit@1", "message.after-commit@1", "outbox.before-send@1"];

interface ArmedTimer {
  id: string;
  fire_at_ms: number;
}

describe("a weekly export and a crash around its firing", () => {
  let h: CrashHarness;
  beforeEach(async () => {
    h = await CrashHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it("sends each week's files once and arms one next week, whatever the kill point", { timeout: 120_000 }, async () => {
    const documents = () => h.api.sent(CHAT).filter((c) => c.method === "sendDocument").length;
    const armed = () =>
      h.readDb((db) =>
        db.prepare(`SELECT id, fire_at_ms FROM timers WHERE kind = 'weekly-export' AND fired_at_ms IS NULL AND canceled_at_ms IS NULL`).all() as ArmedTimer[],
      );

    await h.start();
    await withSqliteFile(h.dbPath, (store) => addEntries(store, CHAT, [{ id: "b1", kind: "book", title: "Piranesi", author: "Susanna Clarke", rating: 5, addedAtMs: 1 }]));
    await h.send("/export weekly", makeTextUpdate(1, CHAT, "/export weekly"), () => h.texts(CHAT).some((t) => t.startsWith("Done: every week")));
    await h.stop();

    for (const [i, point] of POINTS.entries()) {
      // Make this week's export due now, as if the week had passed while the bot was down.
      const [timer] = armed();
      expect(timer, `${point}: one export armed\n${h.describe()}`).toBeDefined();
      const dueAt = Date.now() - 1000;
      h.writeDb((db) => {
        db.prepare(`UPDATE timers SET fire_at_ms = ? WHERE id = ?`).run(dueAt, timer!.id);
        db.prepare(`UPDATE agent_state SET state_json = json_set(state_json, '$.exportSchedule.nextAtMs', ?) WHERE agent_key = ?`).run(dueAt, String(CHAT));
      });

      await h.start(point, false);
      const exit = await Promise.race([h.bot.exited, sleep(15_000).then(() => undefined)]);
      expect(exit, `${point}: the bot should have died there\n${h.describe()}`).toEqual({ code: null, signal: "SIGKILL" });

      await h.start();
      await h.waitOrRestart(`${point}: the export`, () => documents() >= 2 * (i + 1), 10_000);
      await h.bot.waitIdle();
      await h.stop();

      expect(documents(), `${point}: each file once\n${h.describe()}`).toBe(2 * (i + 1));
      expect(armed(), `${point}: one next week armed\n${h.describe()}`).toEqual([{ id: expect.any(String), fire_at_ms: dueAt + WEEK }]);
      const fired = h.readDb((db) => db.prepare(`SELECT status FROM inbox WHERE id = ?`).pluck().get(`timer:${timer!.id}`));
      expect(fired, point).toBe("done");
    }
    expect(h.crashes).toEqual([]);
  });
});

// An upgrade from a release that stored each Telegram update bare (the inbox payload was the update
// itself, not a chat event beside it). Its rows still pending are handled after the upgrade, and
// one in progress when the process died (its movie already written, the message not finished)
// replays as it ran: the same event is read from the same row, so one movie, one confirmation.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { updateFingerprint } from "../../src/telegram/update-key.js";
import { makeCallbackUpdate, makeTextUpdate, updateInboxId } from "../support/fake-bot-api.js";
import { CrashHarness } from "./harness.js";

const CHAT = 4343;
const RATING_PROMPT = /^Your rating, 1 to 5 stars\?/;
const SAVED = /^Saved the movie: Dune \(2021\), ★★★★☆ 4\/5\.$/;
const LIST = /^Your movies \(1\):\n1\. Dune \(2021\)/;

describe("rows stored as bare updates by an earlier release", () => {
  let h: CrashHarness;
  beforeEach(async () => {
    h = await CrashHarness.create();
  });
  afterEach(async () => {
    await h.close();
  });

  it("are handled after the upgrade, and one cut short by a crash replays its journal", async () => {
    const said = (pattern: RegExp) => () => h.texts(CHAT).some((t) => pattern.test(t));
    await h.start();
    await h.send("u1 /add_movie", makeTextUpdate(1, CHAT, "/add_movie"), said(/^What's the movie's title\?/));
    await h.send("u2 Dune", makeTextUpdate(2, CHAT, "Dune"), said(/^What year did it come out\?/));
    await h.send("u3 2021", makeTextUpdate(3, CHAT, "2021"), said(RATING_PROMPT));
    await h.bot.waitIdle();
    await h.stop();

    // What the earlier release left in the inbox: the rating button pressed and /movies, as bare updates.
    const prompt = h.api.sent(CHAT).filter((c) => RATING_PROMPT.test(String(c.params.text))).at(-1);
    const promptId = (prompt?.result as { message_id?: number } | undefined)?.message_id ?? 1;
    const bare = [
      { n: 4, kind: "callback_query", update: makeCallbackUpdate(4, CHAT, "answer:4", promptId) },
      { n: 5, kind: "message", update: makeTextUpdate(5, CHAT, "/movies") },
    ];
    h.writeDb((db) => {
      const insert = db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, fingerprint, received_at_ms) VALUES (?, ?, ?, ?, ?, ?)`);
      for (const { n, kind, update } of bare) {
        insert.run(updateInboxId(n), String(CHAT), kind, JSON.stringify(update), updateFingerprint(update), Date.now());
      }
    });

    // The upgraded bot dies right after the movie's write step commits, while recovering u4.
    await h.start("step.after-commit@1", false);
    await h.restartAfterCrash("u4 (bare update): movie written, message not finished");
    await h.waitOrRestart("u4 and u5", () => said(SAVED)() && said(LIST)());
    await h.bot.waitIdle();
    await h.stop();

    const context = () => `\n${h.describe()}`;
    expect(h.crashes.length, `crashes${context()}`).toBe(1);
    const db = h.readDb((d) => ({
      entries: d.prepare(`SELECT kind, title, year, rating FROM entries WHERE chat_id = ?`).all(String(CHAT)),
      inbox: d.prepare(`SELECT id, status, payload_json AS payload FROM inbox WHERE agent_key = ? ORDER BY seq`).all(String(CHAT)) as Array<{
        id: string; status: string; payload: string;
      }>,
    }));
    expect(db.entries, `entries${context()}`).toEqual([{ kind: "movie", title: "Dune", year: 2021, rating: 4 }]);
    expect(db.inbox.map((r) => [r.id, r.status]), `inbox${context()}`).toEqual([1, 2, 3, 4, 5].map((n) => [updateInboxId(n), "done"]));
    // The old rows were read as they were stored (nothing rewrote them); the new ones carry their event.
    expect(db.inbox.slice(3).map((r) => JSON.parse(r.payload) as unknown)).toEqual(bare.map((b) => b.update));
    expect(JSON.parse(db.inbox[0]!.payload)).toMatchObject({ event: { type: "text", text: "/add_movie" }, update: { update_id: 1 } });
    // The confirmation once (the crash came before the message's sends were even recorded), the list once.
    expect(h.texts(CHAT).filter((t) => SAVED.test(t)), `confirmations${context()}`).toHaveLength(1);
    expect(h.texts(CHAT).filter((t) => LIST.test(t)), `lists${context()}`).toHaveLength(1);
  });
});

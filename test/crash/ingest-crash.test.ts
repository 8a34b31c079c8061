// The webhook's ingest thread commits an update, then the process dies before the main thread heard
// of it (and before the 200 went out): the update is in the inbox, pending. Restarted, the bot
// handles it once, whether Telegram delivers it again (a duplicate, acknowledged) or not at all.
import { afterEach, beforeEach, expect, it } from "vitest";
import { makeTextUpdate, updateInboxId } from "../support/fake-bot-api.js";
import { CrashHarness, sleep } from "./harness.js";

const CHAT = 5151;
let h: CrashHarness;

beforeEach(async () => {
  h = await CrashHarness.create();
});
afterEach(async () => {
  await h.close();
});

function inboxRow(updateId: number) {
  return h.readDb((db) => db.prepare("SELECT status FROM inbox WHERE id = ?").get(updateInboxId(updateId)) as { status: string } | undefined);
}

it("handles an update committed by the ingest thread once, when Telegram delivers it again", { timeout: 60_000 }, async () => {
  await h.start("ingest.after-commit@1");
  const update = makeTextUpdate(1, CHAT, "/help");
  // The first POST dies with the process; the harness restarts the bot and posts it again (a duplicate).
  const posts = await h.send("u1", update, () => h.texts(CHAT).length >= 1);
  expect(posts).toBe(2);
  expect(h.crashes).toHaveLength(1);
  await sleep(300);
  await h.stop();
  expect(h.texts(CHAT)).toHaveLength(1);
  expect(inboxRow(1)).toEqual({ status: "done" });
});

it("handles an update committed by the ingest thread once at the next start, without a redelivery", { timeout: 60_000 }, async () => {
  await h.start("ingest.after-commit@1");
  const res = await h.bot.post(makeTextUpdate(1, CHAT, "/help"));
  expect(res).toBe("connection-failed");
  await h.bot.exited;
  // Killed after the commit: the row is there, pending, and no reply went out.
  expect(inboxRow(1)).toEqual({ status: "pending" });
  expect(h.texts(CHAT)).toHaveLength(0);

  await h.start();
  await h.waitOrRestart("recovered u1", () => h.texts(CHAT).length >= 1);
  await sleep(300);
  await h.stop();
  expect(h.texts(CHAT)).toHaveLength(1);
  expect(inboxRow(1)).toEqual({ status: "done" });
});

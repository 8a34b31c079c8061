// Polling mode with replicas: of two bot processes on one PostgreSQL database, one polls Telegram and
// the other stands by; killed, the poller is replaced by the other, and no update is lost. Telegram's
// 409 during such a takeover is waited out in this mode, and stays fatal for a lone poller.
import { afterEach, describe, expect, it } from "vitest";
import { Api } from "grammy";
import { type BotProcess, freePort, killAllBots, startBot } from "../support/bot-process.js";
import { type FakeBotApi, makeTextUpdate, startFakeBotApi } from "../support/fake-bot-api.js";
import { withTestDatabase } from "../support/postgres.js";
import { startPolling } from "../../src/telegram/polling.js";
import { createLogger } from "../../src/log.js";

const database = await withTestDatabase();

describe("Telegram's 409 to getUpdates", () => {
  let api: FakeBotApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  const conflict = { status: 409, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" };

  async function poll(conflictIsTransient: boolean) {
    api = await startFakeBotApi();
    api.failNext("getUpdates", 2, conflict);
    api.pushUpdate(makeTextUpdate(1, 77, "hello"));
    const accepted: number[] = [];
    const poller = startPolling({
      api: new Api(api.token, { apiRoot: api.apiRoot }),
      acceptBatch: async (batch) => {
        accepted.push(...batch.map((b) => b.update.update_id as number));
      },
      rejected: () => undefined,
      log: createLogger("silent", []),
      timeoutSeconds: 1,
      conflictIsTransient,
    });
    return { poller, accepted };
  }

  it("is waited out while replicas take turns at polling", async () => {
    const { poller, accepted } = await poll(true);
    await api!.waitFor(() => accepted.length === 1, 10_000);
    expect(accepted).toEqual([1]);
    poller.stop();
    await poller.done;
  });

  it("stops a lone poller, with a message saying what to do", async () => {
    const { poller, accepted } = await poll(false);
    await expect(poller.done).rejects.toThrow(/Another process is polling with this token/);
    expect(accepted).toEqual([]);
  });
});

database.describe("two bot processes polling one bot", () => {
  let api: FakeBotApi | undefined;
  afterEach(async () => {
    await killAllBots();
    await api?.close();
    api = undefined;
  });

  /** Which processes (by via tag) called getUpdates after `since`. */
  const pollers = (since: number) => new Set(api!.calls.filter((c) => c.method === "getUpdates" && c.at >= since).map((c) => c.via));

  it("one polls, the other stands by; killed, the poller is replaced and no update is lost", { timeout: 90_000 }, async () => {
    api = await startFakeBotApi();
    const fake = api;
    const bots: BotProcess[] = [];
    for (const tag of ["a", "b"]) {
      bots.push(await startBot({
        apiRoot: fake.viaRoot(tag),
        token: fake.token,
        dbPath: "unused-with-database-url.db",
        port: await freePort(),
        secret: "polling-test-secret_1",
        readyTimeoutMs: 30_000,
        // No WEBHOOK_URL: polling mode.
        env: { DATABASE_URL: database.url, WEBHOOK_URL: "" },
      }));
    }
    const replied = (chat: number, n: number) => () => fake.sent(chat).filter((c) => c.method === "sendMessage").length >= n;

    fake.pushUpdate(makeTextUpdate(1, 601, "/help"));
    await fake.waitFor(replied(601, 1), 15_000);
    // A few of the standby's tries at the lock later, still one process has ever polled.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const polling = [...pollers(0)];
    expect(polling).toHaveLength(1);

    const poller = bots[["a", "b"].indexOf(polling[0]!)]!;
    const standby = bots.find((bot) => bot !== poller)!;
    poller.kill("SIGKILL");
    const killedAt = Date.now();
    for (let i = 0; i < 3; i++) fake.pushUpdate(makeTextUpdate(2 + i, 602 + i, "/help"));
    for (let i = 0; i < 3; i++) await fake.waitFor(replied(602 + i, 1), 20_000);
    // The standby took over well within the lock's retry period and a poll.
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(pollers(killedAt)).toEqual(new Set([standby === bots[0] ? "a" : "b"]));
    expect((await standby.stop()).code).toBe(0);
  });
});

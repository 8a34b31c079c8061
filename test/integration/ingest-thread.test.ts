// The webhook's ingest thread: updates it commits reach their agents on the main thread, and a
// thread that dies of a bug is started again on the same port, so the bot never silently stops
// acknowledging updates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTextUpdate, postUpdate } from "../support/fake-bot-api.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("ingest thread", () => {
  it("is started again when it dies, on the same port, and goes on acknowledging and handing over updates", async () => {
    expect((await t.say(31, "/help")).status).toBe(200);
    await t.api.waitFor(() => t.replies(31).length === 1);

    await t.app.ingest!.kill();
    // The new thread listens on the same port: poll until it answers (Telegram would retry likewise).
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await postUpdate(t.webhookUrl, makeTextUpdate(500, 32, "/help"), SECRET).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    await t.api.waitFor(() => t.replies(32).length === 1);
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    expect(t.logs.some((line) => line.includes("the ingest thread died: starting it again"))).toBe(true);
  });

  it("relays its refusals to the main thread's metrics and logs", async () => {
    const res = await fetch(t.webhookUrl, { method: "POST", body: "{}", headers: { "X-Telegram-Bot-Api-Secret-Token": "wrong-secret" } });
    expect(res.status).toBe(401);
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/reason="secret"\} [1-9]/);
    expect(t.logs.some((line) => line.includes('"thread":"ingest"') && line.includes("webhook request refused"))).toBe(true);
  });
});

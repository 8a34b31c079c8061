// After crashes, the restarted bot serves first: /healthz answers and every chat is handled while
// the one repeat crash suspect (a message that was running at two crashes) runs apart in the
// background, however long it takes (here a model call held open). Chats whose messages were
// merely waiting at the crash are not charged and not isolated.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import type { Database } from "../support/temp-database.js";
import { openAppDatabase } from "../../src/app.js";
import { makeTextUpdate, startFakeBotApi, updateInboxId } from "../support/fake-bot-api.js";
import { startFakeOpenAi } from "../support/fake-openai.js";
import { freePort, killAllBots, startBot } from "../support/bot-process.js";

const SUSPECT = 7001;
const WAITING = [7002, 7003, 7004, 7005, 7006];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-isolation-"));
afterEach(async () => {
  await killAllBots();
  fs.rmSync(dir, { recursive: true, force: true });
});

function pending(db: Database, updateId: number, chat: number, text: string, attempts: number): void {
  db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, attempts, received_at_ms) VALUES (?, ?, 'message', ?, ?, ?)`)
    .run(`tg:${updateId}`, String(chat), JSON.stringify(makeTextUpdate(updateId, chat, text)), attempts, Date.now());
}

it("serves every chat before and while a crash suspect runs apart, and charges no chat that only waited", { timeout: 60_000 }, async () => {
  const api = await startFakeBotApi();
  const model = await startFakeOpenAi();
  let answerModel!: () => void;
  const held = new Promise<void>((resolve) => (answerModel = resolve));
  model.respond(async () => {
    await held;
    return { content: "You watched Dune last week." };
  });
  try {
    // What two crashes left: the suspect was running at both (its mark is still there), the other
    // chats' messages were charged by the first crash and then waited (a retry, a free place).
    const file = path.join(dir, "bot.db");
    const db = await openAppDatabase(file);
    pending(db, 1, SUSPECT, "what did I watch last week?", 1);
    db.prepare("INSERT INTO runtime_meta (key, value) VALUES (?, ?)").run("running:tg:1", String(SUSPECT));
    WAITING.forEach((chat, i) => pending(db, 2 + i, chat, "/movies", 1));
    db.close();

    // startBot resolves once /healthz answers 200, while the suspect's model call is still held.
    const bot = await startBot({
      apiRoot: api.apiRoot, token: api.token, dbPath: file, port: await freePort(), secret: "isolation-secret",
      env: { OPENAI_API_KEY: "sk-isolation", OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: "m", OPENAI_TIMEOUT_SECONDS: "30" },
    });
    await model.waitFor((m) => m.requests.length === 1);
    await api.waitFor(() => WAITING.every((chat) => api.sent(chat).length === 1), 15_000, "the waiting chats answered");
    expect(api.sent(SUSPECT)).toEqual([]);
    // A new update for another chat is handled meanwhile, too.
    expect(await bot.post(makeTextUpdate(20, 7010, "/movies"))).toMatchObject({ status: 200 });
    await api.waitFor(() => api.sent(7010).length === 1, 15_000, "a new chat answered");

    answerModel();
    await api.waitFor(() => api.sent(SUSPECT).length > 0, 15_000, "the suspect answered");
    await bot.waitIdle();
    await bot.stop();

    const after = await openAppDatabase(file);
    const rows = after.prepare("SELECT id, status, attempts FROM inbox ORDER BY seq").all();
    const marks = after.prepare("SELECT COUNT(*) FROM runtime_meta WHERE key LIKE 'running:%'").pluck().get();
    after.close();
    expect(rows).toEqual([
      { id: "tg:1", status: "done", attempts: 2 },
      ...WAITING.map((_, i) => ({ id: `tg:${2 + i}`, status: "done", attempts: 1 })),
      { id: updateInboxId(20), status: "done", attempts: 0 },
    ]);
    expect(marks).toBe(0);
  } finally {
    answerModel();
    await model.close();
    await api.close();
  }
});

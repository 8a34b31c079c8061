// Two processes on one database: the bot's runtime serves every chat, a console's serves one chat
// alone (`onlyAgentKey`). Neither takes over the other's messages, sends, timers or crash accounting,
// and a row one of them claimed is never sent by the other.
import { describe, expect, it } from "vitest";
import { AgentBusyError, type AgentContext, defineAgent } from "../../runtime/index.js";
import type { Database } from "../support/temp-database.js";
import { freshKey, inboxRow, inboxStatus, outboxRows, recordingDeliver, useRuntimeFixture } from "./harness.js";

const fixture = useRuntimeFixture();

/** Replies "re: <payload>" to every message; a timer message replies "timer". */
const echo = defineAgent<object>({
  name: "echo",
  stateVersion: 1,
  initialState: () => ({}),
  async handle(ctx: AgentContext<object>) {
    ctx.send({ text: ctx.message.kind === "timer" ? "timer" : `re: ${String(ctx.message.payload)}` });
  },
});

function insertPending(db: Database, id: string, agentKey: string): void {
  db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES (?, ?, 'text', '"left"', 0)`).run(id, agentKey);
}

function insertSend(db: Database, agentKey: string, status: "pending" | "sending"): void {
  db.prepare(
    `INSERT INTO outbox (agent_key, message_id, payload_json, status, attempts, next_attempt_at_ms, created_at_ms)
     VALUES (?, 'earlier', '{"text":"earlier"}', ?, ?, 0, ?)`,
  ).run(agentKey, status, status === "sending" ? 1 : 0, Date.now());
}

function insertDueTimer(db: Database, id: string, agentKey: string): void {
  db.prepare(`INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms) VALUES (?, ?, 'remind', 'null', 0)`).run(id, agentKey);
}

const meta = (db: Database, key: string) => db.prepare("SELECT value FROM runtime_meta WHERE key = ?").pluck().get(key) as string | undefined;

describe("a runtime serving one agent beside the bot", () => {
  it("handles only its agent: other agents' messages, sends in flight and timers stay as they were", async () => {
    const temp = await fixture.temp();
    const [mine, other] = [freshKey("console"), freshKey("bot-chat")];
    // As a crashed bot leaves things: another chat's message never handled, a send in flight, a due timer.
    insertPending(temp.db, `${other}-1`, other);
    insertSend(temp.db, other, "sending");
    insertSend(temp.db, other, "pending");
    insertDueTimer(temp.db, `${other}-timer`, other);
    const delivery = recordingDeliver();

    const { runtime, report } = await fixture.start({ store: temp.store, agent: echo, deliver: delivery.deliver, onlyAgentKey: mine });
    await runtime.accept([{ id: `${mine}-1`, agentKey: mine, kind: "text", payload: "hi" }]);
    await fixture.waitFor(() => delivery.calls.length === 1);
    await runtime.fireDueTimers();
    await fixture.pass(50);

    expect(report).toMatchObject({ agentsWithMessages: [], agentsWithSends: [], interruptedSends: 0 });
    expect(delivery.calls).toEqual([{ agentKey: mine, payload: { text: "re: hi" }, atMs: expect.any(Number) }]);
    expect(inboxRow(temp.db, `${other}-1`)).toMatchObject({ status: "pending", attempts: 0 });
    expect(outboxRows(temp.db, other).map((r) => r.status)).toEqual(["sending", "pending"]);
    expect(temp.db.prepare("SELECT fired_at_ms FROM timers WHERE id = ?").pluck().get(`${other}-timer`)).toBeNull();
    expect(await runtime.stats.pendingCount()).toBe(0);
    expect(await runtime.stats.unsentCount()).toBe(0);
    await runtime.stop();
    // The bot's own fact: its next start must still charge its crash to the chat's message.
    expect(meta(temp.db, "clean_stop")).toBeUndefined();
  });

  it("refuses to start while another live runtime serves the agent, and takes over the lease of one that died", async () => {
    const temp = await fixture.temp();
    const key = freshKey("console");
    const first = await fixture.start({ store: temp.store, agent: echo, deliver: recordingDeliver().deliver, onlyAgentKey: key });
    await expect(fixture.start({ store: temp.store, agent: echo, deliver: recordingDeliver().deliver, onlyAgentKey: key })).rejects.toBeInstanceOf(AgentBusyError);
    await first.runtime.stop();
    expect(meta(temp.db, `serving:${key}`)).toBeUndefined();

    // A holder that died (its pid is gone) left its lease and a message it was running.
    temp.db.prepare("INSERT INTO runtime_meta (key, value) VALUES (?, ?)").run(
      `serving:${key}`, JSON.stringify({ holder: "gone", pid: 2 ** 22 + 1, untilMs: Date.now() + 60_000 }),
    );
    insertPending(temp.db, `${key}-left`, key);
    const delivery = recordingDeliver();
    const second = await fixture.start({ store: temp.store, agent: echo, deliver: delivery.deliver, onlyAgentKey: key });
    await fixture.waitFor(() => inboxStatus(temp.db, `${key}-left`) === "done");
    expect(second.report.agentsWithMessages).toEqual([key]);
    expect(inboxRow(temp.db, `${key}-left`)!.attempts).toBe(1);
  });

  it("is left alone by the full runtime while it runs, and handed back when it stops", async () => {
    const temp = await fixture.temp();
    const [console_, chat] = [freshKey("console"), freshKey("bot-chat")];
    const consoleDelivery = recordingDeliver();
    const one = await fixture.start({ store: temp.store, agent: echo, deliver: consoleDelivery.deliver, onlyAgentKey: console_ });
    // The console's message waits in the table, as it would when the bot restarts at that moment.
    insertPending(temp.db, `${console_}-1`, console_);
    const botDelivery = recordingDeliver();
    const bot = await fixture.start({ store: temp.store, agent: echo, deliver: botDelivery.deliver });
    await bot.runtime.accept([
      { id: `${chat}-1`, agentKey: chat, kind: "text", payload: "for the bot" },
      { id: `${console_}-2`, agentKey: console_, kind: "text", payload: "also the console's" },
    ]);
    await fixture.waitFor(() => botDelivery.calls.length === 1);
    await fixture.pass(50);

    expect(bot.report.agentsWithMessages).toEqual([]);
    expect(botDelivery.calls.map((c) => c.agentKey)).toEqual([chat]);
    expect(inboxRow(temp.db, `${console_}-1`)).toMatchObject({ status: "pending", attempts: 0 });
    expect(inboxStatus(temp.db, `${console_}-2`)).toBe("pending");

    // Once the console quits, the bot takes the chat back at its next look at the leases (every 5 s).
    await one.runtime.stop();
    await fixture.waitFor(() => botDelivery.calls.length === 3, 8000, "the bot handles the chat the console left");
    expect(botDelivery.calls.slice(1).map((c) => c.payload)).toEqual([{ text: "re: left" }, { text: "re: also the console's" }]);
    expect(consoleDelivery.calls).toEqual([]);
  });

  it("takes back the chat of a console that stopped renewing its lease, and sends what it left in flight", async () => {
    const temp = await fixture.temp();
    const key = freshKey("console");
    // A console that has stopped renewing (it hangs, or died) left a message and a reply being printed.
    temp.db.prepare("INSERT INTO runtime_meta (key, value) VALUES (?, ?)").run(
      `serving:${key}`, JSON.stringify({ holder: "stalled", pid: process.pid, untilMs: fixture.time.now() + 1000 }),
    );
    insertPending(temp.db, `${key}-1`, key);
    insertSend(temp.db, key, "sending");
    const delivery = recordingDeliver();
    const bot = await fixture.start({ store: temp.store, agent: echo, deliver: delivery.deliver });
    await fixture.pass(50);
    expect(bot.report).toMatchObject({ agentsWithMessages: [], agentsWithSends: [], interruptedSends: 0 });
    expect(delivery.calls).toEqual([]);

    await fixture.pass(20_000);
    await fixture.waitFor(() => delivery.calls.length === 2, 8000, "the bot takes the chat back at its next look at the leases");
    expect(delivery.calls.map((c) => c.payload)).toEqual([{ text: "earlier" }, { text: "re: left" }]);
    expect(inboxRow(temp.db, `${key}-1`)).toMatchObject({ status: "done" });
  });

  it("never sends a row another process has claimed: the claim is a compare-and-set", async () => {
    const temp = await fixture.temp();
    const key = freshKey();
    const delivery = recordingDeliver();
    const { runtime } = await fixture.start({ store: temp.store, agent: echo, deliver: delivery.deliver });
    // Another process on the database claimed the chat's earlier reply and is sending it right now.
    insertSend(temp.db, key, "sending");
    await runtime.accept([{ id: `${key}-1`, agentKey: key, kind: "text", payload: "hi" }]);
    await fixture.waitFor(() => inboxStatus(temp.db, `${key}-1`) === "done");
    await fixture.pass(100);

    expect(delivery.calls).toEqual([]);
    expect(outboxRows(temp.db, key).map((r) => [r.status, r.attempts])).toEqual([["sending", 1], ["pending", 0]]);
  });
});

// The operator's tools on both databases, with one SQL: what Introspection reads (agents, parked
// messages, sends, timers, a chat's messages with their journal steps), the operator actions'
// compare-and-set (one of two operators wins, a row in another state is refused and left alone),
// and the watcher that wakes a running runtime. Rows are written as the runtime writes them.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Introspection, OperatorActions } from "../../runtime/index.js";
import { OperatorWatch } from "../../runtime/operator-actions.js";
import type { Store } from "../../runtime/store.js";
import { type Storage, openStorage } from "../../src/storage.js";
import { withTestDatabase } from "../support/postgres.js";
import { captureLogger, freshKey } from "./harness.js";

const database = await withTestDatabase();

/** The suite on one database: `open` gives the storage as the bot opens it, migrated. */
function operatorTools(name: string, open: () => Promise<Storage>) {
  let storage: Storage | undefined;
  beforeAll(async () => {
    storage = await open();
  });
  afterAll(async () => {
    await storage?.close();
  });
  const store = (): Store => storage!.store;

  /** A chat with a parked message, a pending one with two journal steps, a failed send, an armed timer and a state. */
  async function chatWithWork() {
    const key = freshKey();
    const [parked, pending] = [freshKey("parked"), freshKey("pending")];
    const sendId = await store().submit(async (tx) => {
      const insert = `INSERT INTO inbox (id, agent_key, kind, payload_json, status, attempts, last_error, received_at_ms, completed_at_ms)
                      VALUES (?, ?, 'message', ?, ?, ?, ?, ?, ?)`;
      await tx.run(insert, [parked, key, JSON.stringify({ event: { type: "text", text: "/add_movie" } }), "parked", 5, "Error: boom", 1000, 1500]);
      await tx.run(insert, [pending, key, "not json, edited by hand", "pending", 1, null, 2000, null]);
      await tx.run(`INSERT INTO journal (message_id, seq, step_name, output_json, error_json, completed_at_ms) VALUES (?, 1, 'lookup', '"found"', NULL, 2100)`, [pending]);
      await tx.run(`INSERT INTO journal (message_id, seq, step_name, output_json, error_json, completed_at_ms) VALUES (?, 2, 'save', NULL, '{"name":"Error"}', 2200)`, [pending]);
      await tx.run(`INSERT INTO agent_state (agent_key, version, state_json, updated_at_ms) VALUES (?, 3, '{"dialog":null}', 2300)`, [key]);
      await tx.run(
        `INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms, armed_at_ms) VALUES (?, ?, 'dialog-expiry', '{"n":1}', 9000, 100)`,
        [freshKey("timer"), key],
      );
      const row = await tx.get<{ id: number }>(
        `INSERT INTO outbox (agent_key, message_id, payload_json, status, attempts, next_attempt_at_ms, created_at_ms, last_error)
         VALUES (?, ?, '{"type":"text","text":"hi"}', 'failed', 4, 0, 1200, '400: chat not found') RETURNING id`,
        [key, parked],
      );
      return row!.id;
    });
    return { key, parked, pending, sendId };
  }

  describe(name, () => {
    it("reads agents, parked messages, sends, timers and a chat's messages with their steps", async () => {
      const { key, parked, pending, sendId } = await chatWithWork();
      const introspection = new Introspection(store().read);

      expect((await introspection.agents()).find((a) => a.agentKey === key)).toEqual({ agentKey: key, pending: 1, parked: 1, lastReceivedAtMs: 2000 });
      expect((await introspection.parked()).filter((m) => m.agentKey === key)).toEqual([{
        id: parked, agentKey: key, kind: "message", attempts: 5, error: "Error: boom", receivedAtMs: 1000, parkedAtMs: 1500,
        payload: { event: { type: "text", text: "/add_movie" } },
      }]);
      expect((await introspection.unsentAndFailed()).filter((s) => s.agentKey === key)).toEqual([expect.objectContaining({
        id: sendId, messageId: parked, status: "failed", attempts: 4, createdAtMs: 1200, sentAtMs: null, error: "400: chat not found",
        payload: { type: "text", text: "hi" },
      })]);
      expect(await introspection.sendsOf(key, 10)).toHaveLength(1);
      expect((await introspection.armedTimers()).filter((t) => t.agentKey === key)).toEqual([
        expect.objectContaining({ kind: "dialog-expiry", fireAtMs: 9000, payload: { n: 1 } }),
      ]);
      expect(await introspection.state(key)).toEqual({ version: 3, json: '{"dialog":null}', updatedAtMs: 2300 });
      expect((await introspection.states()).filter((s) => s.agentKey === key)).toEqual([{ agentKey: key, version: 3, json: '{"dialog":null}', updatedAtMs: 2300 }]);

      const messages = await introspection.recentMessages(key, 10);
      expect(messages.map((m) => [m.id, m.status])).toEqual([[pending, "pending"], [parked, "parked"]]);
      // A payload that is not JSON is shown as the text it is.
      expect(messages[0]!.payload).toBe("not json, edited by hand");
      expect(messages[0]!.steps).toEqual([
        { seq: 1, name: "lookup", outputJson: '"found"', errorJson: null, completedAtMs: 2100 },
        { seq: 2, name: "save", outputJson: null, errorJson: '{"name":"Error"}', completedAtMs: 2200 },
      ]);
      expect(messages[1]!.steps).toEqual([]);
      expect(await introspection.recentMessages(key, 1)).toHaveLength(1);
      expect(await introspection.parkedCount()).toBeGreaterThanOrEqual(1);
      expect(await introspection.failedSendCount()).toBeGreaterThanOrEqual(1);
    });

    it("retries, drops and resends by compare-and-set, each recorded once with the error it had", async () => {
      const { key, parked, pending, sendId } = await chatWithWork();
      const actions = new OperatorActions(store().read);

      // Two operators at once: one wins, the other is told what the row is now.
      const [first, second] = await Promise.all([
        store().submit((tx) => actions.retry(tx, parked, "alice", 5000)),
        store().submit((tx) => actions.drop(tx, parked, "bob", 5001)),
      ]);
      expect(first).toEqual({ status: "done", action: "retry", targetId: parked, agentKey: key, actor: "alice", atMs: 5000, previousError: "Error: boom" });
      expect(second).toEqual({ status: "refused", current: "pending" });
      expect(await store().read.get(`SELECT status, attempts, completed_at_ms FROM inbox WHERE id = ?`, [parked])).toEqual({
        status: "pending", attempts: 0, completed_at_ms: null,
      });

      expect(await store().submit((tx) => actions.drop(tx, pending, "bob", 5002))).toEqual({ status: "refused", current: "pending" });
      expect(await store().submit((tx) => actions.retry(tx, freshKey("missing"), "bob", 5003))).toEqual({ status: "not-found" });
      expect(await store().submit((tx) => actions.resend(tx, sendId, "carol", 5004))).toMatchObject({
        status: "done", targetId: String(sendId), agentKey: key, previousError: "400: chat not found",
      });
      expect(await store().submit((tx) => actions.resend(tx, sendId, "carol", 5005))).toEqual({ status: "refused", current: "pending" });
      expect(await store().submit((tx) => actions.resend(tx, 987_654_321, "carol", 5006))).toEqual({ status: "not-found" });

      expect(await new Introspection(store().read).operatorActionsOf(key)).toEqual([
        expect.objectContaining({ action: "retry", targetId: parked, agentKey: key, actor: "alice", atMs: 5000, previousError: "Error: boom" }),
        expect.objectContaining({ action: "resend", targetId: String(sendId), actor: "carol", previousError: "400: chat not found" }),
      ]);
    });

    it("drops a parked message as done, and a failed unit records nothing", async () => {
      const { key, parked } = await chatWithWork();
      const actions = new OperatorActions(store().read);
      // The action's unit fails after it acted: its update and its record go with it.
      await expect(store().submit(async (tx) => {
        await actions.drop(tx, parked, "alice", 6000);
        throw new Error("the operator's process failed");
      })).rejects.toThrow("the operator's process failed");
      expect(await store().read.get(`SELECT status FROM inbox WHERE id = ?`, [parked])).toEqual({ status: "parked" });
      expect(await new Introspection(store().read).operatorActionsOf(key)).toEqual([]);

      expect(await store().submit((tx) => actions.drop(tx, parked, "alice", 6001))).toMatchObject({ status: "done", action: "drop" });
      expect(await store().read.get(`SELECT status, completed_at_ms FROM inbox WHERE id = ?`, [parked])).toEqual({ status: "done", completed_at_ms: 6001 });
    });

    it("wakes a running runtime for what operators did after its mark, once", async () => {
      const { key: retriedKey, parked, sendId } = await chatWithWork();
      const actions = new OperatorActions(store().read);
      // Done before the mark: recovery finds it in the tables, the watcher leaves it.
      await store().submit((tx) => actions.resend(tx, sendId, "alice", 7000));
      const woken: string[] = [];
      const { logger } = captureLogger();
      const watch = new OperatorWatch(actions, { retried: (k) => woken.push(`retried ${k}`), resent: (k) => woken.push(`resent ${k}`) }, logger);
      await watch.mark();
      await watch.check();
      expect(woken).toEqual([]);

      await store().submit((tx) => actions.retry(tx, parked, "alice", 7001));
      // Two checks at once read once more after the first, never twice the same lines.
      await Promise.all([watch.check(), watch.check()]);
      await watch.check();
      expect(woken).toEqual([`retried ${retriedKey}`]);
    });
  });
}

function temporaryFile(): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "introspect-"));
  return { file: path.join(dir, "bot.db"), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const sqliteFile = temporaryFile();
afterAll(() => sqliteFile.remove());

operatorTools("SQLite", () => openStorage({ DATABASE_PATH: sqliteFile.file, DATABASE_URL: undefined }));
database.describe("PostgreSQL", () => {
  operatorTools("PostgreSQL", () => openStorage({ DATABASE_PATH: "unused", DATABASE_URL: database.url }, { postgres: { poolSize: 3 } }));
});

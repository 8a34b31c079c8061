// Three runtimes on one PostgreSQL database, in this process (each with its own store, as separate
// processes would have): messages accepted by any of them are handled once, in order, by the holder
// of their chat; a runtime that stops hands its chats over at once; timers fire once; the send limit
// holds across the three. The bot as three child processes is replica-bot.test.ts.
import { afterEach, beforeAll, expect, it } from "vitest";
import { type Runtime, createRuntime, defineAgent, migrateRuntimeSchema } from "../../runtime/index.js";
import { type PostgresStore, openPostgresStore } from "../../runtime/postgres/postgres-store.js";
import { withTestDatabase } from "../support/postgres.js";
import { waitFor } from "../support/wait-for.js";

const database = await withTestDatabase();

interface Sent {
  runtime: number;
  agentKey: string;
  text: string;
  at: number;
}

interface ChatState {
  handled: string[];
}

/** Records each text in its chat's state and replies with the count so far; "timer:<ms>" arms a timer. */
const agent = defineAgent<ChatState>({
  name: "replica-test",
  stateVersion: 1,
  initialState: () => ({ handled: [] }),
  async handle(ctx) {
    if (ctx.message.kind === "timer") {
      ctx.send({ text: `fired ${(ctx.message.payload as { timerId: string }).timerId}` });
      return;
    }
    const text = (ctx.message.payload as { text: string }).text;
    const delay = /^timer:(\d+)$/.exec(text);
    if (delay) ctx.setTimer("ping", ctx.now() + Number(delay[1]), null);
    // A step that commits on its own, so that a message spans more than one unit.
    const seen = await ctx.run("count", async () => ctx.state.handled.length);
    ctx.state.handled.push(text);
    ctx.send({ text: `${seen + 1}:${text}` });
  },
});

interface Replica {
  store: PostgresStore;
  runtime: Runtime;
}

database.describe("runtimes sharing one PostgreSQL database", () => {
  const replicas: Replica[] = [];
  let sent: Sent[] = [];

  beforeAll(async () => {
    const store = await openPostgresStore(database.url, { poolSize: 2 });
    await migrateRuntimeSchema(store);
    await store.close();
  });

  afterEach(async () => {
    for (const { runtime, store } of replicas.splice(0)) {
      await runtime.stop();
      await store.close();
    }
    const store = await openPostgresStore(database.url, { poolSize: 1 });
    await store.read.exec(`TRUNCATE inbox, journal, agent_state, outbox, timers, runtime_meta, chat_leases, send_rate RESTART IDENTITY`);
    await store.close();
    sent = [];
  });

  async function startReplicas(n: number, options: { pacing?: boolean } = {}): Promise<Replica[]> {
    for (let i = 0; i < n; i++) {
      const store = await openPostgresStore(database.url, { poolSize: 4, applicationName: `replica-${i}` });
      const index = i;
      const runtime = createRuntime({
        store,
        agent,
        deliver: async (agentKey, payload) => {
          sent.push({ runtime: index, agentKey, text: (payload as { text: string }).text, at: performance.now() });
          return { status: "sent" };
        },
        ...(options.pacing ? { pacing: { globalPerSecond: 30, minIntervalMs: () => 0 } } : {}),
        replicas: { heartbeatMs: 500, ttlMs: 1500 },
      });
      await runtime.start();
      replicas.push({ store, runtime });
    }
    return replicas;
  }

  const textsOf = (agentKey: string) => sent.filter((s) => s.agentKey === agentKey).map((s) => s.text);

  it("messages accepted by any replica are handled once and in order, each chat by one replica at a time", async () => {
    const running = await startReplicas(3);
    const chats = Array.from({ length: 10 }, (_, i) => `chat-${i}`);
    const perChat = 12;
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let m = 0; m < perChat; m++) {
      await Promise.all(chats.map((key) => running[Math.floor(random() * 3)]!.runtime.accept([
        { id: `${key}-${m}`, agentKey: key, kind: "text", payload: { text: `m${m}` } },
      ])));
    }
    await waitFor(() => sent.length >= chats.length * perChat, 20_000, "every reply");
    for (const key of chats) {
      expect(textsOf(key)).toEqual(Array.from({ length: perChat }, (_, m) => `${m + 1}:m${m}`));
    }
  });

  it("a replica that stops hands its chats to the others at once, and they go on where it left off", async () => {
    const running = await startReplicas(2);
    await running[0]!.runtime.accept([{ id: "a-0", agentKey: "chat-a", kind: "text", payload: { text: "first" } }]);
    await waitFor(() => textsOf("chat-a").length === 1, 5000, "the first reply");
    expect(sent[0]!.runtime).toBe(0);
    await running[0]!.runtime.stop();
    const stoppedAt = performance.now();
    await running[1]!.runtime.accept([{ id: "a-1", agentKey: "chat-a", kind: "text", payload: { text: "second" } }]);
    await waitFor(() => textsOf("chat-a").length === 2, 5000, "the second reply");
    expect(sent[1]).toMatchObject({ runtime: 1, text: "2:second" });
    expect(sent[1]!.at - stoppedAt).toBeLessThan(1000);
  });

  it("a message accepted by a replica that does not serve its chat wakes the one that does", async () => {
    const running = await startReplicas(3);
    await running[2]!.runtime.accept([{ id: "b-0", agentKey: "chat-b", kind: "text", payload: { text: "hello" } }]);
    await waitFor(() => textsOf("chat-b").length === 1, 5000, "the first reply");
    for (let m = 1; m <= 5; m++) {
      await running[m % 2]!.runtime.accept([{ id: `b-${m}`, agentKey: "chat-b", kind: "text", payload: { text: `m${m}` } }]);
      await waitFor(() => textsOf("chat-b").length === m + 1, 5000, `reply ${m}`);
    }
    // Served by the replica that took it first, all along.
    expect(new Set(sent.map((s) => s.runtime))).toEqual(new Set([2]));
  });

  it("timers fire once, whichever replicas are running", async () => {
    const running = await startReplicas(3);
    const chats = Array.from({ length: 6 }, (_, i) => `chat-t${i}`);
    for (const [i, key] of chats.entries()) {
      await running[i % 3]!.runtime.accept([{ id: `${key}-arm`, agentKey: key, kind: "text", payload: { text: "timer:300" } }]);
    }
    await waitFor(() => sent.filter((s) => s.text.startsWith("fired")).length >= chats.length, 10_000, "every timer");
    // Every replica fires due timers on its own schedule: give them the time to fire any twice.
    await Promise.all(running.map((r) => r.runtime.fireDueTimers()));
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const key of chats) expect(textsOf(key).filter((t) => t.startsWith("fired"))).toHaveLength(1);
  });

  it("keeps Telegram's 30 sends a second across three replicas", { timeout: 30_000 }, async () => {
    const running = await startReplicas(3, { pacing: true });
    const chats = Array.from({ length: 30 }, (_, i) => `chat-r${i}`);
    const perChat = 4;
    for (let m = 0; m < perChat; m++) {
      await Promise.all(chats.map((key, i) => running[(i + m) % 3]!.runtime.accept([
        { id: `${key}-${m}`, agentKey: key, kind: "text", payload: { text: `m${m}` } },
      ])));
    }
    await waitFor(() => sent.length >= chats.length * perChat, 20_000, "every reply");
    const times = sent.map((s) => s.at).sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! - times[i]! < 1000) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(30);
    expect(new Set(sent.map((s) => s.runtime)).size).toBeGreaterThan(1);
  });
});

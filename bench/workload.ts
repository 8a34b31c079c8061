// What the bench sends and how it sees the answers: webhook updates built like Telegram's, a pool of
// keep-alive connections shared by many chats (Telegram posts over at most max_connections at once),
// replies observed as they reach the fake Bot API, and a driver that plays a dialog in many chats at
// once, each chat sending its next message only after the bot's reply to the previous one arrived.
import { performance } from "node:perf_hooks";
import { type FakeBotApi, makeTextUpdate } from "../test/support/fake-bot-api.js";
import { Connection, type Target, encodeRequest, processFor } from "./load.js";

/** Update ids never repeat within a bench run: every system dedups (or may dedup) by update_id. */
export class UpdateIds {
  constructor(private next: number) {}
  take(): number {
    return this.next++;
  }
}

export function textRequest(target: Target, updateId: number, chatId: number, text: string): Buffer {
  return encodeRequest(target, Buffer.from(JSON.stringify(makeTextUpdate(updateId, chatId, text))));
}

/** sendMessage calls as they arrive at the fake Bot API, per chat. */
export class Replies {
  private readonly waiters = new Map<number, Array<(at: number) => void>>();
  private readonly unsubscribe: () => void;
  /** Arrival times (Date.now()) per chat, for the chats in [lo, hi). */
  readonly byChat = new Map<number, number[]>();
  count = 0;

  constructor(fake: FakeBotApi, private readonly lo: number, private readonly hi: number) {
    this.unsubscribe = fake.onCall((call) => {
      if (call.method !== "sendMessage") return;
      const chatId = Number(call.params.chat_id);
      if (!(chatId >= this.lo && chatId < this.hi)) return;
      this.count += 1;
      let times = this.byChat.get(chatId);
      if (!times) this.byChat.set(chatId, (times = []));
      times.push(call.at);
      this.waiters.get(chatId)?.shift()?.(call.at);
    });
  }

  /** Resolves with the arrival time of the chat's next reply (registered before the update is sent). */
  next(chatId: number): Promise<number> {
    return new Promise((resolve) => {
      let list = this.waiters.get(chatId);
      if (!list) this.waiters.set(chatId, (list = []));
      list.push(resolve);
    });
  }

  /** Waits until `expected` replies arrived in total; false on timeout. */
  async waitForCount(expected: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.count < expected) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  close(): void {
    this.unsubscribe();
  }
}

/**
 * At most `size` requests in flight over keep-alive connections, first come, first served; with
 * several ports (replicas of one bot) each request names the one it goes to, and the limit is
 * shared, as Telegram's max_connections is.
 */
export class ConnectionPool {
  /** Idle connections per port; one is opened when none is idle (at most `size` per port). */
  private readonly idle: Connection[][];
  private free: number;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly ports: readonly number[], size: number) {
    this.idle = ports.map(() => []);
    this.free = size;
  }

  async post(request: Buffer, to = 0): Promise<number> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    const idle = this.idle[to]!;
    const connection = idle.pop() ?? new Connection(this.ports[to]!);
    try {
      return await connection.send(request);
    } finally {
      idle.push(connection);
      const waiter = this.queue.shift();
      if (waiter) waiter();
      else this.free++;
    }
  }

  close(): void {
    for (const c of this.idle.flat()) c.close();
  }
}

export interface DialogRun {
  steps: number;
  /** Steps whose POST was not answered 200 (sent again until it was, as Telegram does). */
  retries: number;
  wallMs: number;
  /** Per step: from the moment the chat sent the message to its reply's arrival, ms. */
  latencies: number[];
  /** Chats whose replies did not all arrive before the timeout. */
  incomplete: number;
  /** Replies beyond one per step, seen by the end: a message answered twice. */
  extraReplies: number;
}

/**
 * Plays `script(chatIndex)` in `chats` chats at once (chat ids chatBase … chatBase+chats-1), at most
 * `parallel` chats at a time; each message waits for the previous one's reply.
 */
export async function playDialogs(options: {
  fake: FakeBotApi;
  target: Target;
  /** Replicas of one bot: the POSTs go round-robin over them (processFor). Default: target.port alone. */
  ports?: readonly number[];
  ids: UpdateIds;
  chatBase: number;
  chats: number;
  parallel: number;
  connections: number;
  script: (chat: number) => string[];
  stepTimeoutMs: number;
}): Promise<DialogRun> {
  const { fake, target, ids, chatBase, chats } = options;
  const replies = new Replies(fake, chatBase, chatBase + chats);
  const ports = options.ports ?? [target.port];
  const pool = new ConnectionPool(ports, options.connections);
  let posts = 0;
  const latencies: number[] = [];
  let retries = 0;
  let incomplete = 0;
  let nextChat = 0;
  const t0 = performance.now();

  const playChat = async (chatId: number, lines: string[]) => {
    for (const text of lines) {
      const reply = replies.next(chatId);
      const request = textRequest(target, ids.take(), chatId, text);
      const sentAt = Date.now();
      while ((await pool.post(request, processFor(posts++, ports.length))) !== 200) {
        retries++;
        await new Promise((r) => setTimeout(r, 50));
      }
      const arrived = await Promise.race([reply, sleep(options.stepTimeoutMs).then(() => undefined)]);
      if (arrived === undefined) {
        incomplete++;
        return;
      }
      latencies.push(arrived - sentAt);
    }
  };
  const lane = async () => {
    for (;;) {
      const i = nextChat++;
      if (i >= chats) return;
      await playChat(chatBase + i, options.script(i));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.parallel, chats) }, lane));
  } finally {
    pool.close();
    replies.close();
  }
  const extraReplies = Math.max(0, replies.count - latencies.length - incomplete);
  return { steps: latencies.length, retries, wallMs: performance.now() - t0, latencies, incomplete, extraReplies };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function percentile(values: number[] | Float64Array, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

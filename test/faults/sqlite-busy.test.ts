// Another process holds the database's write lock for longer than the bot's busy_timeout, while a
// model answer and a Telegram send are in flight and three chats keep posting. Webhook POSTs are
// refused with 500 (never acknowledged), the message in flight is retried without being charged
// or parked, the delivered send is recorded once (not sent again), and after the lock is released
// the redelivered updates and everything held back go through, each once and in order.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { makeTextUpdate, postUpdate, updateInboxId } from "../support/fake-bot-api.js";
import { type FakeOpenAi, startFakeOpenAi } from "../support/fake-openai.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";
import { waitFor } from "../support/wait-for.js";
import { bookDialog, bookTitles, expectBookReplies, inboxCounts, outboxRows } from "./book-dialog.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HOLDER = fileURLToPath(new URL("./hold-write-lock.ts", import.meta.url));

let t: TestApp | undefined;
let model: FakeOpenAi | undefined;
let holder: LockHolder | undefined;
afterEach(async () => {
  await holder?.stop();
  await t?.close();
  await model?.close();
  holder = t = model = undefined;
});

interface LockHolder {
  lock(): Promise<void>;
  release(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts hold-write-lock.ts on `file` and waits until it has the database open. */
async function startLockHolder(file: string): Promise<LockHolder> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", HOLDER, file], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const said: string[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", (line) => said.push(line));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const command = async (line: string, answer: string) => {
    const before = said.filter((l) => l === answer).length;
    child.stdin!.write(`${line}\n`);
    await waitFor(() => said.filter((l) => l === answer).length > before, 15_000, `lock holder: ${answer}`);
  };
  await waitFor(() => said.includes("ready"), 15_000, "lock holder ready");
  return {
    lock: () => command("lock", "locked"),
    release: () => command("release", "released"),
    async stop() {
      child.stdin!.end();
      await exited;
    },
  };
}

function deferred(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const logged = (app: TestApp, msg: string) => app.logs.filter((l) => l.includes(`"msg":"${msg}`)).length;

describe("the database locked by another process", () => {
  it("refuses webhooks with 500, retries the message in flight uncharged, records a delivered send once, and catches up after the lock", async () => {
    model = await startFakeOpenAi();
    const modelGate = deferred();
    model.respond(async (body: { messages: Array<{ role: string }> }) => {
      await modelGate.promise;
      return body.messages.at(-1)?.role === "tool" ? { content: "Added Dune." } : { toolCalls: [{ name: "add_book", arguments: { title: "Dune" } }] };
    });
    t = await startTestApp({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: "test-model" });
    const app = t;
    // The bot waits busy_timeout (5 s by default) for another process's lock; shortened so the lock outlasts it quickly.
    app.app.db.pragma("busy_timeout = 250");
    holder = await startLockHolder(path.join(app.dir, "bot.db"));
    const post = (update: ReturnType<typeof makeTextUpdate>) => postUpdate(app.webhookUrl, update, SECRET);

    // In flight when the lock is taken: a model answer (chat 404) and a Telegram send (chat 405).
    const [talkers, thinking, sending] = [[401, 402, 403], 404, 405];
    const sendGate = deferred();
    const endHold = app.api.failWhile((m, p) => m === "sendMessage" && String(p.chat_id) === String(sending), { until: sendGate.promise });
    expect((await post(makeTextUpdate(1001, sending, "/help"))).status).toBe(200);
    expect((await post(makeTextUpdate(1002, thinking, "add Dune"))).status).toBe(200);
    await waitFor(() => model!.requests.length === 1 && app.api.calls.some((c) => c.method === "sendMessage"), 15_000, "both calls in flight");
    await holder.lock();

    // Every update posted while the lock is held is refused: 500, so Telegram delivers it again.
    let nextId = 2000;
    const refused = new Map(talkers.map((chat) => [chat, bookDialog(chat, 1).map((text) => makeTextUpdate(nextId++, chat, text))]));
    await Promise.all(talkers.map(async (chat) => {
      for (const update of refused.get(chat)!) expect((await post(update)).status).toBe(500);
    }));
    modelGate.open();
    sendGate.open();
    endHold();
    // The model's answer cannot be journaled and the send cannot be recorded: both are retried, the
    // message without being charged a failure, however often it is tried.
    const sendAnswered = () => app.api.calls.some((c) => c.method === "sendMessage" && c.result !== undefined);
    await waitFor(() => model!.requests.length >= 3 && sendAnswered(), 20_000, "retries under the lock");
    const inFlight = app.app.db.prepare("SELECT status, attempts FROM inbox WHERE id = ?").get(updateInboxId(1002));
    expect(inFlight).toEqual({ status: "pending", attempts: 0 });
    expect(inboxCounts(app).parked).toBe(0);
    expect(bookTitles(app, thinking)).toEqual([]);
    expect(logged(app, "could not store an update")).toBe(12);

    await holder.release();
    for (const chat of talkers) for (const update of refused.get(chat)!) expect((await post(update)).status).toBe(200);
    await waitFor(
      () => inboxCounts(app).pending === 0 && [...talkers, thinking, sending].every((chat) => outboxRows(app, chat).every((r) => r.status === "sent")),
      30_000,
      "everything caught up",
    );
    for (const chat of talkers) {
      expectBookReplies(app, chat, [1]);
      expect(bookTitles(app, chat)).toEqual([`Book ${chat}-1`]);
    }
    expect(app.replies(thinking)).toEqual(["✅ Added book: Dune"]);
    expect(bookTitles(app, thinking)).toEqual(["Dune"]);
    expect(app.app.db.prepare("SELECT status, attempts FROM inbox WHERE id = ?").get(updateInboxId(1002))).toEqual({ status: "done", attempts: 0 });
    // The send that reached Telegram during the lock went out once.
    expect(app.replies(sending)).toHaveLength(1);
    expect(outboxRows(app, sending)).toMatchObject([{ status: "sent", attempts: 1 }]);
    expect(inboxCounts(app)).toEqual({ pending: 0, done: 14, parked: 0 });
    expect(app.app.db.pragma("integrity_check", { simple: true })).toBe("ok");
  }, 90_000);
});

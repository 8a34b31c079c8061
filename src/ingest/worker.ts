// The ingest thread (node:worker_threads): the HTTP server in webhook mode. It checks each update,
// stores it in the inbox through its own SQLite store (its own group commit), answers 200 once
// that commit is durable, then tells the main thread which agents have new messages. It never runs
// an agent and never writes anything but inbox rows. With replicas (PostgreSQL) the storing unit
// also tells the chat's holder when that is another process, and the main thread leaves it alone.
import { parentPort, workerData } from "node:worker_threads";
import { type AcceptOutcome, type CommittedMessage, Inbox, type Store, crashPoint, openSqliteStore } from "../../runtime/index.js";
import { startHttpServer } from "../http/server.js";
import { createLogger } from "../log.js";
import { updateMessage } from "../telegram/update-key.js";
import { createWebhookHandler, reply } from "../telegram/webhook.js";
import type { FromIngest, IngestSettings, ToIngest } from "./protocol.js";
import { INGEST_THREAD, SharedWriteLock } from "./write-lock.js";
import { secretsOf } from "../storage.js";
import { notifyHolder } from "../../runtime/replicas/wake-ups.js";

const port = parentPort!;
const settings = workerData as IngestSettings;
const post = (message: FromIngest) => port.postMessage(message);

const log = createLogger(settings.logLevel, [settings.secret, ...secretsOf(settings.databaseUrl)], { write: (line: string) => post({ type: "log", line }) });
const store: Store = await openStore();
const inbox = new Inbox(store.read);

let ready = false;
let accepting = false;
let nextMetricsId = 1;
const metricsWaiting = new Map<number, (answer: { contentType: string; body: string }) => void>();

// Notices of one commit go in one postMessage: a commit settles all its units in one turn.
let notices: CommittedMessage[] = [];
const sendNotices = () => {
  const messages = notices;
  notices = [];
  if (messages.length > 0) post({ type: "stored", messages });
};

async function accept(...[update, route, json]: Parameters<Parameters<typeof createWebhookHandler>[0]["accept"]>): Promise<AcceptOutcome> {
  // The single call that decides what is stored for an update (kept one call: see update-key.ts).
  const message = updateMessage(settings.botId, update, route, json);
  const receivedAtMs = Date.now();
  const holder = settings.replicaHolder;
  const { outcome, holderNotified } = await store.submit(async (tx) => {
    const outcome = await inbox.accept(tx, message, receivedAtMs);
    const holderNotified = holder !== undefined && outcome.status === "stored" && (await notifyHolder(tx, message.agentKey, holder));
    return { outcome, holderNotified };
  });
  // Committed, the main thread not told yet: recovery at the next start finds the row pending.
  crashPoint("ingest.after-commit");
  if (notices.length === 0) setImmediate(sendNotices);
  // The stored payload (the chat event beside the update), so the agent reads the event as translated here.
  notices.push({ message: { agentKey: message.agentKey, kind: message.kind, payload: message.payload }, outcome, receivedAtMs, holderNotified });
  return outcome.status === "stored" ? { status: "stored", seq: outcome.seq } : outcome;
}

const handler = createWebhookHandler({
  secret: settings.secret,
  accept,
  rejected: (reason) => post({ type: "rejected", reason }),
  log,
  maxBodyBytes: settings.maxBodyBytes,
});

const server = await startHttpServer(settings.host, settings.port, {
  webhookPath: settings.webhookPath,
  // Until the main thread has recovered the stored work, Telegram is asked to come back (it retries a 503).
  webhook: async (req, res) => (accepting ? handler(req, res) : reply(res, 503, { ok: false, error: "starting" })),
  isReady: () => ready,
  metrics: () =>
    new Promise((resolve) => {
      const id = nextMetricsId++;
      metricsWaiting.set(id, resolve);
      post({ type: "metrics", id });
    }),
}, log).catch((error: NodeJS.ErrnoException & { port?: number; address?: string }) => {
  post({ type: "listen-failed", error: { message: error.message, code: error.code, port: error.port, address: error.address, syscall: error.syscall } });
  void store.close();
  return undefined;
});

if (server) {
  port.on("message", (message: ToIngest) => {
    if (message.type === "state") {
      ready = message.ready;
      accepting = message.accepting;
    } else if (message.type === "metrics") {
      metricsWaiting.get(message.id)?.({ contentType: message.contentType, body: message.body });
      metricsWaiting.delete(message.id);
    } else if (message.type === "close") {
      void close();
    }
  });
  post({ type: "listening", port: server.port });
}

/** Stops accepting, lets the requests in progress commit and answer, then closes the database. */
async function close(): Promise<void> {
  ready = false;
  await server!.close();
  await store.close();
  sendNotices();
  post({ type: "closed" });
  port.close();
}

/** SQLite: its own connection under the shared write lock; PostgreSQL: a small pool of its own (loaded only then). */
async function openStore(): Promise<Store> {
  if (settings.databaseUrl) {
    const { openPostgresStore } = await import("../../runtime/postgres/postgres-store.js");
    return openPostgresStore(settings.databaseUrl, { poolSize: 4, applicationName: "media-tracker ingest" });
  }
  return openSqliteStore(settings.databasePath, settings.lockMemory ? { writeLock: new SharedWriteLock(settings.lockMemory, INGEST_THREAD) } : {});
}

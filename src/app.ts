// Wiring only: config → store → runtime with the media-tracker agent → front door (webhook or
// polling) → HTTP server. Returns a handle that stops everything in order.
import type BetterSqlite3 from "better-sqlite3";
import { type Api, GrammyError, HttpError } from "grammy";
import {
  type Clock, Introspection, type Runtime, type SqliteStore, type Store, type WriteLock, createRuntime,
} from "../runtime/index.js";
import { openSqliteFile } from "../runtime/sqlite/sqlite-file.js";
import { COMMAND_MENU, createMediaTrackerAgent } from "../agents/media-tracker/agent.js";
import { EPISODE_CHECK_KEY, EPISODE_CHECK_START } from "../agents/media-tracker/alerts/check.js";
import { createAgentDeps } from "./agent-deps.js";
import { type ScheduledBackups, startScheduledBackups } from "./backup/scheduled-backups.js";
import { type Config, requireToken } from "./config.js";
import { type HttpServer, startHttpServer } from "./http/server.js";
import { type IngestThread, startIngestThread } from "./ingest/ingest-thread.js";
import { MAIN_THREAD, SharedWriteLock, newLockMemory } from "./ingest/write-lock.js";
import type { AppLogger } from "./log.js";
import { createMetrics } from "./metrics.js";
import { DatabaseOpenError } from "./start-errors.js";
import { type Storage, openStorage } from "./storage.js";
import { createTelegramApi } from "./telegram/api.js";
import { createDeliver } from "./telegram/deliver.js";
import { createFileSource } from "./telegram/files.js";
import { createChatMembers } from "./telegram/members.js";
import { type Poller, startPolling } from "./telegram/polling.js";
import type { UpdateRoute } from "./telegram/update.js";
import { botIdOf, updateMessage } from "./telegram/update-key.js";

export interface App {
  runtime: Runtime;
  /** Set when BACKUP_EVERY_HOURS is. */
  backups?: ScheduledBackups;
  /** Where everything is kept; closed by `stop`. */
  store: Store;
  storage: Storage;
  /** SQLite only: the file's own connection (the store's writer), for SQLite tools and tests that read the file. */
  readonly db: BetterSqlite3.Database;
  /** Where HTTP is served: by the ingest thread in webhook mode, on this thread in polling mode. */
  http: Pick<HttpServer, "port" | "close">;
  api: Api;
  /** Resolves if polling stops on its own with a fatal error (rejects with it). */
  polling?: Poller;
  /** Webhook mode: rejects if the ingest thread died for good (as `polling.done` does). */
  ingest?: Pick<IngestThread, "done" | "kill">;
  stop(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  /** Test aid: see RuntimeOptions.verifyReplay. */
  verifyReplay?: boolean;
  /** Test aid: a shorter limit for one title-provider call than the 5 s default. */
  metadataTimeoutMs?: number;
}

/**
 * Opens the SQLite file (creating it and its folder) as the store the bot runs on, with both schemas
 * brought up to this release. Throws a DatabaseOpenError or a DatabaseTooNewError, each with a
 * one-line message naming what to do.
 */
export async function openAppStore(file: string, options: { writeLock?: WriteLock } = {}): Promise<SqliteStore> {
  const storage = await openStorage({ DATABASE_PATH: file, DATABASE_URL: undefined }, { sqlite: options });
  return (storage as Extract<Storage, { dialect: "sqlite" }>).store;
}

/**
 * The same file as one plain connection, schemas migrated, for SQLite tools and tests that read or
 * edit the file directly (the bot runs on `openAppStore`). Throws as `openAppStore` does.
 */
export async function openAppDatabase(file: string): Promise<BetterSqlite3.Database> {
  await (await openAppStore(file)).close();
  try {
    return openSqliteFile(file);
  } catch (error) {
    throw new DatabaseOpenError(file, error);
  }
}

/** The SQLite writer connection; with DATABASE_URL there is no file, and asking for one is a mistake. */
function sqliteFileOf(storage: Storage): BetterSqlite3.Database {
  if (storage.dialect !== "sqlite") throw new Error("app.db is the SQLite file's connection; this bot runs on PostgreSQL (DATABASE_URL).");
  return storage.store.database;
}

export async function startApp(config: Config, log: AppLogger, options: AppOptions = {}): Promise<App> {
  const token = requireToken(config);
  // Webhook mode: the ingest thread writes inbox rows through its own store; both stores take this
  // lock around their transactions (see WriteLock in runtime/sqlite/sqlite-store.ts).
  // (PostgreSQL needs no such lock: the server orders the transactions of every connection.)
  const lockMemory = config.WEBHOOK_URL && !config.DATABASE_URL ? newLockMemory() : undefined;
  const storage = await openStorage(config, lockMemory ? { sqlite: { writeLock: new SharedWriteLock(lockMemory, MAIN_THREAD) } } : {});
  const store = storage.store;
  const api = createTelegramApi(token, config.TELEGRAM_API_ROOT);
  const files = createFileSource(api, token, config.TELEGRAM_API_ROOT, { timeoutMs: config.TELEGRAM_FILE_TIMEOUT_SECONDS * 1000 });
  // The bot's username tells its own "/cmd@name" commands in a group from other bots'.
  const me = await api.getMe();
  let runtime: Runtime | undefined;
  const episodeCheckMs = Math.round(config.EPISODE_CHECK_HOURS * 3_600_000);
  const agent = createMediaTrackerAgent({
    ...createAgentDeps(store, config, files, log, {
      ...(options.metadataTimeoutMs !== undefined ? { metadataTimeoutMs: options.metadataTimeoutMs } : {}),
    }),
    botUsername: me.username,
    members: createChatMembers(api),
    episodeCheck: {
      intervalMs: episodeCheckMs,
      post: async (messages) => {
        await runtime!.accept(messages);
      },
    },
  });

  const introspection = new Introspection(store.read);
  const metrics = createMetrics({
    outboxPending: async () => (await runtime?.stats.unsentCount()) ?? 0,
    inboxPending: async () => (await runtime?.stats.pendingCount()) ?? 0,
    agentsResident: () => runtime?.stats.residentAgents() ?? 0,
    inboxParked: () => introspection.parkedCount(),
    outboxFailed: () => introspection.failedSendCount(),
    commits: () => runtime?.stats.commits() ?? { commits: 0, units: 0 },
  });
  runtime = createRuntime({
    store,
    agent,
    deliver: createDeliver(api),
    // Telegram: about 30 messages/s overall, 1/s per private chat, 20/min per group (negative ids).
    pacing: config.TELEGRAM_RATE_LIMIT === "on"
      ? { globalPerSecond: 30, minIntervalMs: (chat) => (chat.startsWith("-") ? 3000 : 1000) }
      : undefined,
    clock: options.clock,
    logger: log,
    events: metrics.events,
    verifyReplay: options.verifyReplay,
    // `npm run admin retry/resend` from another process: picked up within a second, no restart.
    operatorPollMs: 1000,
    // An idle agent kept in memory is about 1.5 KB of heap (its mailbox and its state's JSON) and saves
    // one keyed read when it gets its next message: 1,000 of them cover the chats in a conversation
    // right now, and 10,000 chats touched no longer leave 13 MB resident.
    maxResidentAgents: 1_000,
  });
  const rt = runtime;

  const botId = botIdOf(token);
  const toMessage = (update: Record<string, unknown>, route: Extract<UpdateRoute, { status: "routed" }>, json?: string) =>
    updateMessage(botId, update, route, json);

  let ready = false;
  let accepting = false;
  const webhookPath = config.WEBHOOK_URL ? new URL(config.WEBHOOK_URL).pathname : undefined;
  const readMetrics = async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() });

  let http: Pick<HttpServer, "port" | "close"> | undefined;
  let ingest: IngestThread | undefined;
  let polling: Poller | undefined;
  // The ingest thread answers /healthz and the webhook's 503 from what it was last told.
  const setState = (next: { ready?: boolean; accepting?: boolean }) => {
    ready = next.ready ?? ready;
    accepting = next.accepting ?? accepting;
    ingest?.setState({ ready, accepting });
  };
  try {
    // Listening first: a port in use stops the start before anything ran, and /healthz answers
    // (503, then 200 once ready) while the stored work is recovered. In webhook mode the ingest
    // thread serves HTTP: it stores updates, answers 503 until `accepting` (Telegram retries), and
    // tells this thread what it committed.
    if (webhookPath) {
      ingest = await startIngestThread({
        settings: {
          databasePath: config.DATABASE_PATH, host: config.HOST, port: config.PORT, webhookPath, secret: config.WEBHOOK_SECRET!,
          botId, logLevel: config.LOG_LEVEL,
          ...(lockMemory ? { lockMemory } : {}),
          ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}),
          ...(rt.replicaHolder !== undefined ? { replicaHolder: rt.replicaHolder } : {}),
        },
        log,
        stored: (messages) => rt.committedElsewhere(messages),
        rejected: (reason) => metrics.rejected.inc({ reason }),
        metrics: readMetrics,
      });
      http = ingest;
    } else {
      http = await startHttpServer(config.HOST, config.PORT, { isReady: () => ready, metrics: readMetrics }, log);
    }

    // The first call to Telegram also checks the token and the network, before any stored work runs
    // (a refused token then stops the start with one line). Any other failure to set the command
    // menu is logged, never fatal: the menu is a nicety.
    await api.setMyCommands(COMMAND_MENU).catch((error: unknown) => {
      if (error instanceof HttpError || (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404))) throw error;
      log.warn({ err: error }, "could not set the command menu");
    });

    const report = await rt.start();
    setState({ accepting: true });
    log.info(
      { pending: report.agentsWithMessages.length, unsent: report.agentsWithSends.length, resent: report.interruptedSends, parked: report.parked, isolated: report.isolated },
      "recovered stored work",
    );
    if (config.METADATA === "on") {
      // The new-episode check's durable timer: armed unless one fitting the interval is (a no-op on most starts).
      await rt.accept([{ id: `episodes:start:${Date.now()}`, agentKey: EPISODE_CHECK_KEY, kind: EPISODE_CHECK_START, payload: null }]);
    }

    if (config.WEBHOOK_URL) {
      await api.setWebhook(config.WEBHOOK_URL, { secret_token: config.WEBHOOK_SECRET, drop_pending_updates: false });
      log.info({ path: webhookPath, port: http.port }, "webhook mode: Telegram posts updates to WEBHOOK_URL");
    } else {
      await api.deleteWebhook({ drop_pending_updates: false });
      polling = startPolling({
        api,
        acceptBatch: async (batch) => {
          await rt.accept(batch.map((b) => toMessage(b.update, b.route)));
        },
        rejected: (reason) => metrics.rejected.inc({ reason }),
        log,
      });
      log.info({ host: config.HOST, port: http.port }, "polling mode: fetching updates with getUpdates");
    }
  } catch (error) {
    // Nothing half-started is left behind: the caller reports the error and exits (or a test goes on).
    polling?.stop();
    await http?.close();
    await rt.stop();
    await storage.close();
    throw error;
  }
  setState({ ready: true });
  const server = http;

  // Scheduled backups copy the SQLite file; with DATABASE_URL the config refuses BACKUP_EVERY_HOURS (pg_dump's job).
  const backups: ScheduledBackups | undefined = config.BACKUP_EVERY_HOURS === undefined || storage.dialect !== "sqlite" ? undefined : startScheduledBackups({
    db: storage.store.database, dir: config.BACKUP_DIR, everyMs: config.BACKUP_EVERY_HOURS * 3600_000, keep: config.BACKUP_KEEP, log,
    done: (outcome) => metrics.backups.inc({ outcome }),
  });

  let stopping: Promise<void> | undefined;
  return {
    runtime: rt, store, storage, get db() { return sqliteFileOf(storage); }, http: server, api, polling, backups, ingest,
    stop() {
      stopping ??= (async () => {
        setState({ ready: false });
        polling?.stop();
        await server.close();
        await polling?.done.catch(() => undefined);
        // A download in progress would hold its message, and so the stop, until it timed out.
        files.stop();
        await rt.stop();
        await backups?.stop();
        await storage.close();
      })();
      return stopping;
    },
  };
}

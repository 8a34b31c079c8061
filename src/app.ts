// Wiring only: config → database → runtime with the media-tracker agent → front door (webhook or
// polling) → HTTP server. Returns a handle that stops everything in order.
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Api } from "grammy";
import {
  type Clock, type Database, type Runtime, createRuntime, migrate, openDatabase, readMigrations,
} from "../runtime/index.js";
import { COMMAND_MENU, createMediaTrackerAgent } from "../agents/media-tracker/agent.js";
import { createAgentDeps } from "./agent-deps.js";
import { type Config, requireToken } from "./config.js";
import { type HttpServer, startHttpServer } from "./http/server.js";
import type { AppLogger } from "./log.js";
import { createMetrics } from "./metrics.js";
import { createTelegramApi } from "./telegram/api.js";
import { createDeliver } from "./telegram/deliver.js";
import { createFileSource } from "./telegram/files.js";
import { createChatMembers } from "./telegram/members.js";
import { type Poller, startPolling } from "./telegram/polling.js";
import { type UpdateRoute, inboxId } from "./telegram/update.js";
import { createWebhookHandler } from "./telegram/webhook.js";

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "migrations");

export interface App {
  runtime: Runtime;
  db: Database;
  http: HttpServer;
  api: Api;
  /** Resolves if polling stops on its own with a fatal error (rejects with it). */
  polling?: Poller;
  stop(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  /** Test aid: see RuntimeOptions.verifyReplay. */
  verifyReplay?: boolean;
}

/** Opens the database file with its migrations applied. */
export function openAppDatabase(file: string): Database {
  const db = openDatabase(file);
  migrate(db, readMigrations(MIGRATIONS_DIR));
  return db;
}

export async function startApp(config: Config, log: AppLogger, options: AppOptions = {}): Promise<App> {
  const token = requireToken(config);
  const db = openAppDatabase(config.DATABASE_PATH);
  const api = createTelegramApi(token, config.TELEGRAM_API_ROOT);
  const files = createFileSource(api, token, config.TELEGRAM_API_ROOT, { timeoutMs: config.TELEGRAM_FILE_TIMEOUT_SECONDS * 1000 });
  // The bot's username tells its own "/cmd@name" commands in a group from other bots'.
  const me = await api.getMe();
  const agent = createMediaTrackerAgent({
    ...createAgentDeps(db, config, files, log),
    botUsername: me.username,
    members: createChatMembers(api),
  });

  let runtime: Runtime | undefined;
  const metrics = createMetrics({
    outboxPending: () => runtime?.stats.unsentCount() ?? 0,
    inboxPending: () => runtime?.stats.pendingCount() ?? 0,
    agentsResident: () => runtime?.stats.residentAgents() ?? 0,
  });
  runtime = createRuntime({
    db,
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
  });
  const rt = runtime;

  const report = await rt.start();
  log.info(
    { pending: report.agentsWithMessages.length, unsent: report.agentsWithSends.length, resent: report.interruptedSends, parked: report.parked, isolated: report.isolated },
    "recovered stored work",
  );

  const toMessage = (update: Record<string, unknown>, route: Extract<UpdateRoute, { status: "routed" }>, json?: string) => ({
    id: inboxId(route.updateId), agentKey: route.chatId, kind: route.kind, payload: update, payloadJson: json,
  });

  let ready = false;
  let webhookPath: string | undefined;
  let webhook;
  if (config.WEBHOOK_URL) {
    webhookPath = new URL(config.WEBHOOK_URL).pathname;
    webhook = createWebhookHandler({
      secret: config.WEBHOOK_SECRET!,
      accept: async (update, route, json) => (await rt.accept([toMessage(update, route, json)]))[0]!,
      rejected: (reason) => metrics.rejected.inc({ reason }),
      log,
    });
  }
  const http = await startHttpServer(config.HOST, config.PORT, {
    webhookPath,
    webhook,
    isReady: () => ready,
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
  }, log);

  // The command menu is a nicety: a failure to set it is logged, never fatal.
  await api.setMyCommands(COMMAND_MENU).catch((error: unknown) => log.warn({ err: error }, "could not set the command menu"));

  let polling: Poller | undefined;
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
    log.info({ port: http.port }, "polling mode: fetching updates with getUpdates");
  }
  ready = true;

  let stopping: Promise<void> | undefined;
  return {
    runtime: rt, db, http, api, polling,
    stop() {
      stopping ??= (async () => {
        ready = false;
        polling?.stop();
        await http.close();
        await polling?.done.catch(() => undefined);
        // A download in progress would hold its message, and so the stop, until it timed out.
        files.stop();
        await rt.stop();
        db.close();
      })();
      return stopping;
    },
  };
}

// Entry point of the grammY benchmark peer: reads the environment, opens the SQLite file, serves
// the webhook (POST WEBHOOK_PATH) and GET /healthz on node:http, and stops cleanly on SIGTERM.
// It never calls setWebhook or getMe: the bench posts updates to it directly.
//
//   TELEGRAM_BOT_TOKEN=… PORT=8081 DATA_DIR=./data node --import tsx bot.ts
import http from "node:http";
import { webhookCallback } from "grammy";
import { createMovieBot } from "./movie-bot.js";
import { openDatabase, type Synchronous } from "./movies.js";

const SHUTDOWN_GRACE_MS = 10_000;

interface Config {
  token: string;
  apiRoot: string | undefined;
  host: string;
  port: number;
  secret: string | undefined;
  webhookPath: string;
  dataDir: string;
  synchronous: Synchronous;
}

function readConfig(env: NodeJS.ProcessEnv): Config {
  const token = env.TELEGRAM_BOT_TOKEN;
  if (!token) throw new Error("TELEGRAM_BOT_TOKEN is required");
  const port = Number(env.PORT ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${env.PORT}`);
  // NORMAL is the usual choice with WAL; FULL (fsync on every commit) is there to compare like with like.
  const synchronous = (env.SQLITE_SYNCHRONOUS ?? "NORMAL").toUpperCase();
  if (synchronous !== "NORMAL" && synchronous !== "FULL") throw new Error(`SQLITE_SYNCHRONOUS must be NORMAL or FULL, got ${synchronous}`);
  return {
    token,
    apiRoot: env.TELEGRAM_API_ROOT || undefined,
    host: env.HOST || "127.0.0.1",
    port,
    secret: env.WEBHOOK_SECRET || undefined,
    webhookPath: env.WEBHOOK_PATH || "/telegram",
    dataDir: env.DATA_DIR || "data",
    synchronous,
  };
}

function main(): void {
  const config = readConfig(process.env);
  const db = openDatabase(config.dataDir, config.synchronous);
  const botId = Number(config.token.split(":")[0]);
  const bot = createMovieBot({
    token: config.token,
    apiRoot: config.apiRoot,
    db,
    // A fixed identity instead of getMe, so start-up makes no network call.
    botInfo: {
      id: Number.isSafeInteger(botId) ? botId : 1,
      is_bot: true,
      first_name: "Media Tracker (grammY peer)",
      username: "test_bot",
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    },
  });
  // Answers only after the update has been handled (its replies sent, its state written): the
  // acknowledgement rate is the processing rate. A wrong secret gets 401 from grammY.
  const handleWebhook = webhookCallback(bot, "http", { secretToken: config.secret });

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === config.webhookPath && req.method === "POST") {
      handleWebhook(req, res).catch((error: unknown) => {
        // A failed update: 500 makes Telegram send it again later.
        console.error("update failed:", error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    } else if (path === "/healthz" && req.method === "GET") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else {
      res.writeHead(path === config.webhookPath ? 405 : 404).end();
    }
  });
  server.on("error", (error) => {
    console.error("server error:", error);
    process.exit(1);
  });
  server.listen(config.port, config.host);

  process.once("SIGTERM", () => {
    // Stop taking requests, let the ones in flight finish (bounded), then close the database.
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      db.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  });
}

main();

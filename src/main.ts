// Process entry: read config, start the app, stop it cleanly on SIGTERM/SIGINT.
import "dotenv/config";
import { ConfigError, parseConfig, requireToken } from "./config.js";
import { startApp } from "./app.js";
import { createLogger } from "./log.js";
import { describeStartError } from "./start-errors.js";

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
    requireToken(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.LOG_LEVEL, [config.TELEGRAM_BOT_TOKEN, config.WEBHOOK_SECRET, config.OPENAI_API_KEY]);
  let app;
  try {
    app = await startApp(config, log);
  } catch (error) {
    // One line a person can act on (a refused token, a port in use, a database that cannot be
    // opened, no network), never a stack; a supervisor sees the exit code and restarts.
    console.error(describeStartError(error, { apiRoot: config.TELEGRAM_API_ROOT }));
    process.exitCode = 1;
    log.flush(() => process.exit(1));
    return;
  }
  log.info({ database: config.DATABASE_PATH }, "media tracker is running");

  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      log.warn("second signal: exiting now");
      // What is queued is committed first, unless the database does not answer within a second.
      setTimeout(() => process.exit(1), 1000).unref();
      void app.runtime.flush().finally(() => process.exit(1));
      return;
    }
    log.info({ signal }, "stopping: finishing the work in progress");
    app.stop().then(
      () => {
        log.info("stopped cleanly");
        log.flush();
      },
      (error: unknown) => {
        log.error({ err: error }, "error while stopping");
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  app.polling?.done.catch((error: unknown) => {
    log.fatal({ err: error }, "polling stopped");
    process.exitCode = 1;
    void app.stop();
  });
  // The webhook's ingest thread died for good (it is restarted a few times first): a bot that no
  // longer acknowledges updates must not look alive to its supervisor.
  app.ingest?.done.catch(() => {
    process.exitCode = 1;
    void app.stop().finally(() => log.flush(() => process.exit(1)));
  });
}

void main();

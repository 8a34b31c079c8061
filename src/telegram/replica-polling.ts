// Polling mode with replicas (DATABASE_URL): Telegram hands updates to one getUpdates caller at a
// time, so the processes take turns: the one holding the poller lock (runtime/replicas/poller-lock.ts)
// polls, the others stand by and take over when its database session ends (it died, or lost the
// database). Nothing is lost in a takeover: a poller moves Telegram's offset only past updates it
// stored, so the next one receives the rest again and the inbox drops repeats.
import type pg from "pg";
import { PollerLock } from "../../runtime/replicas/poller-lock.js";
import type { AppLogger } from "../log.js";
import { type Poller, type PollingOptions, startPolling } from "./polling.js";

export interface ReplicaPollingOptions extends PollingOptions {
  /** Where the lock is held: a connection of its own to the bot's database. */
  connection: pg.ClientConfig;
  log: AppLogger;
  /** How often a standby tries the lock (and the holder checks its session). Default 3 s. */
  retryMs?: number;
}

/** Polls while this process holds the lock; `done` rejects only with a fatal polling error (a refused token). */
export function startReplicaPolling(options: ReplicaPollingOptions): Poller {
  const { log } = options;
  let current: Poller | undefined;
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let stopped = false;

  const stopCurrent = () => {
    current?.stop();
    current = undefined;
  };
  const lock = new PollerLock({
    connection: options.connection,
    ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
    onAcquired() {
      if (stopped) return;
      log.info({}, "this process polls Telegram now (it holds the poller lock)");
      const poller = startPolling({ ...options, conflictIsTransient: true });
      current = poller;
      poller.done.catch((error: unknown) => {
        // A fatal error (the token refused) is every process's: stop, as one process would.
        if (stopped) return;
        stopped = true;
        void lock.stop();
        settle.reject(error);
      });
    },
    onLost() {
      log.warn({}, "lost the poller lock's database session; stopping polling so that another process takes over");
      stopCurrent();
    },
    onConnectionError(error) {
      log.warn({ err: error }, "the poller lock's connection failed; trying again");
    },
  });
  lock.start();
  log.info({}, "polling mode with replicas: polling while this process holds the poller lock, standing by otherwise");

  return {
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      const last = current;
      stopCurrent();
      // The lock goes with its session, once the last poll has stopped.
      void (async () => {
        await last?.done.catch(() => undefined);
        await lock.stop();
        settle.resolve();
      })();
    },
  };
}

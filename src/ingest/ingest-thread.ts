// The main thread's side of the ingest thread (worker.ts): starts it, hands the updates it committed
// to the runtime, forwards its logs and counters, answers its /metrics, and stops it first at shutdown.
// A thread that dies of a bug is started again; one that keeps dying stops the process loudly
// (`done` rejects), so that the bot never silently stops acknowledging updates.
import { Worker } from "node:worker_threads";
import type { CommittedMessage } from "../../runtime/index.js";
import type { AppLogger } from "../log.js";
import type { FromIngest, IngestSettings, ToIngest } from "./protocol.js";
import { ingestWorkerUrl } from "./worker-file.js";
import { INGEST_THREAD, releaseDeadOwner } from "./write-lock.js";

/** More deaths than this within RESTART_WINDOW_MS is a bug a restart will not cure. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

export interface IngestThreadOptions {
  settings: IngestSettings;
  log: AppLogger;
  /** Updates the thread stored and committed: hand them to their agents. */
  stored(messages: CommittedMessage[]): void;
  rejected(reason: string): void;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface IngestThread {
  /** The port the thread's server listens on (useful with PORT=0). */
  port: number;
  setState(state: { ready: boolean; accepting: boolean }): void;
  /** Stops accepting, lets the requests in progress commit and answer, and ends the thread. */
  close(): Promise<void>;
  /** Rejects if the thread died and could not be brought back: the process should exit. */
  done: Promise<void>;
  /** Test aid: ends the thread the way a bug would (it is then started again, or `done` rejects). */
  kill(): Promise<void>;
}

export async function startIngestThread(options: IngestThreadOptions): Promise<IngestThread> {
  const url = await ingestWorkerUrl();
  const { log } = options;
  let state: { ready: boolean; accepting: boolean } = { ready: false, accepting: false };
  let closing: Promise<void> | undefined;
  const deaths: number[] = [];
  let fail!: (error: Error) => void;
  let finish!: () => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // Nobody may be listening (a test that stops the app): a rejection is reported through `done` only.
  done.catch(() => undefined);

  /** Starts a thread and resolves once it listens; rejects with the listen error (EADDRINUSE…). */
  const spawn = (port: number) =>
    new Promise<{ worker: Worker; port: number }>((resolve, reject) => {
      // The thread keeps nothing between requests, so its young generation is bounded (V8's default
      // lets it grow to 3 × 16 MB; 4 MB measured no lower peak than 12). The old one stays unbounded,
      // so a flood of 1 MB bodies slows the thread down instead of killing it.
      const worker = new Worker(url, { workerData: { ...options.settings, port }, resourceLimits: { maxYoungGenerationSizeMb: 12 } });
      const send = (message: ToIngest) => worker.postMessage(message);
      let listening = false;
      worker.on("message", (message: FromIngest) => {
        switch (message.type) {
          case "listening":
            listening = true;
            send({ type: "state", ...state });
            resolve({ worker, port: message.port });
            return;
          case "listen-failed":
            reject(Object.assign(new Error(message.error.message), message.error));
            void worker.terminate();
            return;
          case "stored":
            options.stored(message.messages);
            return;
          case "rejected":
            options.rejected(message.reason);
            return;
          case "log":
            relayLog(log, message.line);
            return;
          case "metrics":
            options.metrics().then(
              (answer) => send({ type: "metrics", id: message.id, ...answer }),
              (error: unknown) => send({ type: "metrics", id: message.id, contentType: "text/plain", body: `# metrics failed: ${String(error)}\n` }),
            );
            return;
          case "closed":
            return;
        }
      });
      worker.on("error", (error) => {
        log.error({ err: error }, "the ingest thread failed");
        if (!listening) reject(error);
      });
      worker.once("exit", (code) => {
        // A thread killed inside a transaction would otherwise hold the main thread's writes forever.
        if (options.settings.lockMemory) releaseDeadOwner(options.settings.lockMemory, INGEST_THREAD);
        if (listening && closing === undefined) void died(code);
      });
    });

  let current = await spawn(options.settings.port);
  const port = current.port;

  async function died(code: number): Promise<void> {
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0]! < now - RESTART_WINDOW_MS) deaths.shift();
    if (deaths.length > MAX_RESTARTS) {
      log.fatal({ exitCode: code, deaths: deaths.length }, "the ingest thread keeps dying: stopping, so that a supervisor restarts the bot");
      fail(new Error(`the ingest thread died ${deaths.length} times within a minute`));
      return;
    }
    log.error({ exitCode: code }, "the ingest thread died: starting it again");
    try {
      current = await spawn(port);
    } catch (error) {
      log.fatal({ err: error }, "could not start the ingest thread again: stopping");
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  return {
    port,
    setState(next) {
      state = next;
      current.worker.postMessage({ type: "state", ...state } satisfies ToIngest);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const { worker } = current;
        worker.once("exit", () => {
          finish();
          resolve();
        });
        worker.postMessage({ type: "close" } satisfies ToIngest);
      });
      return closing;
    },
    done,
    async kill() {
      await current.worker.terminate();
    },
  };
}

const LEVELS: Record<number, "trace" | "debug" | "info" | "warn" | "error" | "fatal"> = {
  10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal",
};

/** Logs a line of the ingest thread's pino again on the main thread's logger (already scrubbed there). */
function relayLog(log: AppLogger, line: string): void {
  try {
    const { level, msg, time: _time, ...fields } = JSON.parse(line) as { level: number; msg?: string; time?: unknown };
    log[LEVELS[level] ?? "info"]({ ...fields, thread: "ingest" }, msg ?? "");
  } catch {
    log.info({ thread: "ingest" }, line.trim());
  }
}

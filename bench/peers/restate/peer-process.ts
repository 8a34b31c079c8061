// For smoke.ts and load.ts: the peer as the bench runs it, a child process
// (`node --import tsx start.ts`, cwd = this folder), ready once GET /healthz answers 200.
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const PEER_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface PeerProcess {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:40123 */
  baseUrl: string;
  webhookUrl: string;
  /** Milliseconds from spawn to the first 200 from /healthz. */
  startupMs: number;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPeer(options: { apiRoot: string; token: string; secret: string; dataDir: string; timeoutMs?: number }): Promise<PeerProcess> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "start.ts"], {
    cwd: PEER_DIR,
    env: {
      ...process.env,
      TELEGRAM_BOT_TOKEN: options.token,
      TELEGRAM_API_ROOT: options.apiRoot,
      HOST: "127.0.0.1",
      PORT: String(port),
      WEBHOOK_SECRET: options.secret,
      WEBHOOK_PATH: "/telegram",
      DATA_DIR: options.dataDir,
      RESTATE_INGRESS_PORT: String(await freePort()),
      RESTATE_ADMIN_PORT: String(await freePort()),
      RESTATE_NODE_PORT: String(await freePort()),
      SERVICE_PORT: String(await freePort()),
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`peer exited during start-up (code ${child.exitCode})`);
    const healthy = await fetch(`${baseUrl}/healthz`)
      .then(async (res) => {
        await res.body?.cancel();
        return res.status === 200;
      })
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("peer did not answer /healthz in time");
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const startupMs = performance.now() - began;
  return {
    child,
    baseUrl,
    webhookUrl: `${baseUrl}/telegram`,
    startupMs,
    stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

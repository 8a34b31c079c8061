// Starts the peer (`node --import tsx bot.ts`) as a child process against a fake Bot API and waits
// for GET /healthz; shared by smoke.ts and load.ts. Never used by the peer itself.
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PEER_DIR = path.dirname(fileURLToPath(import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface PeerProcess {
  child: ChildProcess;
  port: number;
  webhookUrl: string;
  /** Everything the child wrote to stdout and stderr. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startPeer(options: {
  token: string;
  apiRoot: string;
  dataDir: string;
  secret: string;
  extraEnv?: Record<string, string>;
  /** Extra node flags before `--import tsx`, e.g. --cpu-prof. */
  nodeArgs?: string[];
}): Promise<PeerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", "bot.ts"], {
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
      ...options.extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const peer: PeerProcess = {
    child,
    port,
    webhookUrl: `http://127.0.0.1:${port}/telegram`,
    output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };

  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (gone) throw new Error(`the peer exited during start-up:\n${output.join("")}`);
    if ((await getStatus(`http://127.0.0.1:${port}/healthz`)) === 200) return peer;
    if (Date.now() > deadline) {
      await peer.stop();
      throw new Error(`the peer was not ready within ${READY_TIMEOUT_MS} ms:\n${output.join("")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function getStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// A rough load figure for the Restate peer (the real comparison is the project's bench): N text
// updates ("hello", answered with the hint) over many chats from C keep-alive connections.
//   node --import tsx load.ts [updates=5000] [connections=64]
// Prints: start-up time to /healthz, webhook acknowledgements per second (a 200 = accepted by
// Restate's ingress), replies per second (until the last reply reached the fake Bot API), and the
// RSS of the peer's process tree (node + restate-server) at the end.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { makeTextUpdate, startFakeBotApi } from "../../../test/support/fake-bot-api.js";
import { startPeer } from "./peer-process.js";

const SECRET = "load-secret_0123456789";
const CHATS = 5_000;
const CHAT_BASE = 1_000_000;
const WARMUP = 300;

const updates = Number(process.argv[2] ?? 5_000);
const connections = Number(process.argv[3] ?? 64);

function postAll(url: URL, bodies: string[], concurrency: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const began = performance.now();
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          url,
          {
            method: "POST",
            agent,
            headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-telegram-bot-api-secret-token": SECRET },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
      if (status !== 200) throw new Error(`webhook answered ${status}`);
      latencies.push(performance.now() - began);
    }
  };
  return Promise.all(Array.from({ length: concurrency }, worker)).then(() => {
    agent.destroy();
    return latencies;
  });
}

/** Resident memory of a process and all its descendants, in MiB (Linux /proc). */
function treeRssMiB(pid: number): number {
  const out = execFileSync("ps", ["-e", "-o", "pid=,ppid=,rss="], { encoding: "utf8" });
  const rows = out.trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const inTree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of rows) if (!inTree.has(p) && inTree.has(pp)) (inTree.add(p), (grew = true));
  }
  return rows.filter(([p]) => inTree.has(p)).reduce((sum, [, , rss]) => sum + rss, 0) / 1024;
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main(): Promise<void> {
  const fake = await startFakeBotApi();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "restate-peer-load-"));
  const peer = await startPeer({ apiRoot: fake.apiRoot, token: fake.token, secret: SECRET, dataDir });
  try {
    const url = new URL(peer.webhookUrl);
    const warmup = Array.from({ length: WARMUP }, (_, i) => JSON.stringify(makeTextUpdate(i + 1, 9_000_000 + i, "hello")));
    await postAll(url, warmup, connections);
    await fake.waitFor((api) => api.sent().length >= WARMUP, 120_000, "warm-up replies");
    fake.clearCalls();

    const bodies = Array.from({ length: updates }, (_, i) => JSON.stringify(makeTextUpdate(100_000 + i, CHAT_BASE + (i % CHATS) + 1, "hello")));
    const began = performance.now();
    const latencies = await postAll(url, bodies, connections);
    const ackSeconds = (performance.now() - began) / 1000;
    await fake.waitFor((api) => api.sent().length >= updates, 600_000, "all replies");
    const lastReplyAt = Math.max(...fake.sent().map((c) => c.at));
    const replySeconds = (lastReplyAt - (performance.timeOrigin + began)) / 1000;
    const sorted = latencies.sort((a, b) => a - b);
    const rss = treeRssMiB(peer.child.pid!);

    console.log(`start-up to /healthz: ${Math.round(peer.startupMs)} ms (fresh DATA_DIR)`);
    console.log(`${updates} updates over ${connections} keep-alive connections, ${CHATS} chats`);
    console.log(`acknowledged: ${(updates / ackSeconds).toFixed(0)} updates/s (${ackSeconds.toFixed(2)} s; ack latency p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms)`);
    console.log(`replied: ${(updates / replySeconds).toFixed(0)} replies/s (last reply ${replySeconds.toFixed(2)} s after the first post)`);
    console.log(`RSS of the peer's process tree at the end: ${rss.toFixed(0)} MiB`);
  } finally {
    await peer.stop();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

// Rough throughput check of the peer: how many webhook updates per second it acknowledges from
// `concurrency` keep-alive connections (each answered only after its reply reached the fake Bot API).
// The bench proper lives in bench/; this only gives a quick figure. Workloads:
//   hint    non-command texts ("hello") over 5,000 chats: one hint each, no database write;
//   dialog  whole /add_movie dialogs (/add_movie, title, year, typed rating), one chat per worker at a
//           time and its updates in order, as Telegram delivers a chat's updates: every step writes.
//
//   npx tsx load.ts [--workload hint|dialog] [--updates 20000] [--concurrency 64] [--synchronous NORMAL|FULL]
//                   [--cpu-prof-dir DIR]   (the peer writes a V8 CPU profile there when it stops)
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { makeTextUpdate, startFakeBotApi } from "../../../test/support/fake-bot-api.js";
import { startPeer } from "./peer-process.js";

const SECRET = "load-secret_0123456789";
const CHATS = 5_000;
const WARMUP = 500;

function post(agent: http.Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/telegram",
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": body.length, "X-Telegram-Bot-Api-Secret-Token": SECRET },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Sends every batch from `concurrency` workers; a worker sends one batch's bodies one after another
 * (a batch is one chat's updates, in order). Returns the count of 200s, latencies and wall time.
 */
async function run(port: number, batches: Buffer[][], concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let ok = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < batches.length; i = next++) {
        for (const body of batches[i]!) {
          const start = performance.now();
          const status = await post(agent, port, body).catch(() => 0);
          latencies.push(performance.now() - start);
          if (status === 200) ok += 1;
        }
      }
    }),
  );
  const wallMs = performance.now() - t0;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
  return { ok, sent: latencies.length, wallMs, p50: pct(50), p99: pct(99) };
}

/** `count` updates (rounded up to whole dialogs) from update id `first` on, chats from `chatBase` + 1. */
function workload(kind: string, first: number, count: number, chatBase: number): Buffer[][] {
  const body = (i: number, chat: number, text: string) => Buffer.from(JSON.stringify(makeTextUpdate(first + i, chat, text)));
  if (kind === "hint") return Array.from({ length: count }, (_, i) => [body(i, chatBase + 1 + (i % CHATS), "hello")]);
  if (kind !== "dialog") throw new Error(`--workload must be hint or dialog, got ${kind}`);
  const steps = ["/add_movie", "Some Movie", "1999", "4"];
  return Array.from({ length: Math.ceil(count / steps.length) }, (_, d) =>
    steps.map((text, s) => body(d * steps.length + s, chatBase + 1 + (d % CHATS), text)),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      updates: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "64" },
      synchronous: { type: "string", default: "NORMAL" },
      workload: { type: "string", default: "hint" },
      "cpu-prof-dir": { type: "string" },
    },
  });
  const updates = Number(values.updates);
  const concurrency = Number(values.concurrency);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "peer-grammy-load-"));
  const fake = await startFakeBotApi();
  const peer = await startPeer({
    token: fake.token,
    apiRoot: fake.apiRoot,
    dataDir,
    secret: SECRET,
    extraEnv: { SQLITE_SYNCHRONOUS: values.synchronous },
    ...(values["cpu-prof-dir"] ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values["cpu-prof-dir"])}`] } : {}),
  });
  try {
    const warm = await run(peer.port, workload(values.workload, 1, WARMUP, 9_000_000), concurrency);
    if (warm.ok !== warm.sent) throw new Error(`warm-up: ${warm.ok}/${warm.sent} acknowledged`);
    const sentBefore = fake.sent().length;
    const result = await run(peer.port, workload(values.workload, WARMUP + 1, updates, 1_000_000), concurrency);
    const replies = fake.sent().slice(sentBefore);
    const saved = replies.filter((r) => String(r.params.text).startsWith("Saved: ")).length;
    console.log(
      `peer-grammy (${values.workload}, synchronous=${values.synchronous}): ${result.ok}/${result.sent} acknowledged in ${Math.round(result.wallMs)} ms = ` +
        `${Math.round(result.ok / (result.wallMs / 1000))} updates/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ` +
        `${concurrency} connections; ${replies.length} replies reached the fake Bot API` +
        (values.workload === "dialog" ? `, ${saved} of them "Saved: …"` : ""),
    );
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

// The peer's one process, as the bench starts it: `node --import tsx start.ts` (cwd = this folder).
// 1. spawns restate-server (its data in DATA_DIR/restate), waits until it serves;
// 2. serves the SDK endpoint with the MovieChat virtual object (HTTP/2 on 127.0.0.1);
// 3. registers that endpoint with the admin API;
// 4. opens the webhook receiver; from then on GET /healthz answers 200.
// SIGTERM/SIGINT stop everything (restate-server included, after the accepted updates are handled,
// for at most 10 s) and exit 0; if restate-server dies on its own, the peer exits non-zero.
import "./sdk-prelude.js";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import * as restate from "@restatedev/restate-sdk";
import { HANDLER_NAME, movieChat, OBJECT_NAME } from "./movie-chat.js";
import { countActiveInvocations, registerDeployment, type RestateServer, spawnRestateServer, waitUntilServing } from "./restate-server.js";
import { createWebhookServer } from "./webhook.js";

const START_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 10_000;

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

function required(name: string): string {
  const value = env(name);
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

function port(name: string): number | undefined {
  const value = env(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`${name} must be a TCP port, got ${value}`);
  return n;
}

/** A port the OS says is free now (closed again before it is used: fine on a quiet loopback). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function log(message: string): void {
  process.stderr.write(`[restate-peer] ${message}\n`);
}

// Lifecycle: what is running, so any path (signal, crash, failed start-up) stops it all.
let stopping = false;
let ready = false;
let restateServer: RestateServer | undefined;
const servers: net.Server[] = [];

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  ready = false;
  const child = restateServer?.child;
  const running = child !== undefined && child.exitCode === null && child.signalCode === null;
  // Webhooks first: nothing new comes in.
  const webhook = servers.find((s) => s instanceof http.Server);
  webhook?.close();
  if (webhook instanceof http.Server) webhook.closeAllConnections();
  // Then let the accepted updates finish (bounded): restate-server aborts the invocations still
  // running when it stops, and a Bot API call whose result was not yet journaled would be made
  // again after the restart. Restate itself stays correct without this; it only avoids repeats.
  if (running && restateServer && exitCode === 0) await drain(restateServer.adminUrl);
  // Then the server (it stops invoking), and the endpoint last.
  if (child && running) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }
  for (const server of servers) if (server !== webhook) server.close();
  process.exit(exitCode);
}

async function drain(adminUrl: string): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const active = await countActiveInvocations(adminUrl).catch(() => 0);
    if (active === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  log(`stopping with invocations still active after ${DRAIN_TIMEOUT_MS} ms; they resume on the next start`);
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

async function main(): Promise<void> {
  const began = performance.now();
  const host = env("HOST") ?? "127.0.0.1";
  const webhookPort = port("PORT") ?? 8080;
  const dataDir = path.resolve(required("DATA_DIR"));
  const botApi = { apiRoot: (env("TELEGRAM_API_ROOT") ?? "https://api.telegram.org").replace(/\/+$/, ""), token: required("TELEGRAM_BOT_TOKEN") };
  const ports = {
    ingress: port("RESTATE_INGRESS_PORT") ?? (await freePort(host)),
    admin: port("RESTATE_ADMIN_PORT") ?? (await freePort(host)),
    node: port("RESTATE_NODE_PORT") ?? (await freePort(host)),
  };
  const servicePort = port("SERVICE_PORT") ?? (await freePort(host));

  // 1. restate-server
  restateServer = spawnRestateServer({ host, baseDir: path.join(dataDir, "restate"), ports, logFilter: env("RESTATE_LOG_FILTER") ?? "warn" });
  restateServer.child.on("exit", (code, signal) => {
    if (stopping) return;
    log(`restate-server exited unexpectedly (code ${code}, signal ${signal})`);
    void stop(1);
  });
  restateServer.child.on("error", (error) => {
    if (stopping) return;
    log(`restate-server could not run: ${error.message}`);
    void stop(1);
  });
  await waitUntilServing(restateServer, START_TIMEOUT_MS);

  // 2. the SDK endpoint (HTTP/2, bidirectional streaming, as restate.serve would do, but bound to host)
  const endpoint = http2.createServer(restate.createEndpointHandler({ services: [movieChat(botApi)] }));
  await listen(endpoint, servicePort, host);
  servers.push(endpoint);

  // 3. registration
  await registerDeployment(restateServer.adminUrl, `http://${host}:${servicePort}`, OBJECT_NAME);

  // 4. the webhook receiver
  const webhook = createWebhookServer({
    path: env("WEBHOOK_PATH") ?? "/telegram",
    secret: env("WEBHOOK_SECRET"),
    objectUrl: `${restateServer.ingressUrl}/${OBJECT_NAME}`,
    handler: HANDLER_NAME,
    isReady: () => ready,
  });
  // Benchmarks hold many keep-alive connections open between bursts.
  webhook.keepAliveTimeout = 60_000;
  await listen(webhook, webhookPort, host);
  servers.push(webhook);
  ready = true;
  log(
    `ready in ${Math.round(performance.now() - began)} ms: webhook http://${host}:${webhookPort}, ` +
      `ingress ${ports.ingress}, admin ${ports.admin}, node ${ports.node}, endpoint ${servicePort}`,
  );
}

main().catch((error: unknown) => {
  log(`start-up failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  void stop(1);
});

// The HTTP server (node:http): the webhook path, GET /healthz (ready), GET /livez (alive) and
// GET /metrics; 404 elsewhere.
// Routing and status codes only; what each route does is given to it.
import http from "node:http";
import type { AppLogger } from "../log.js";
import { reply } from "../telegram/webhook.js";

export interface HttpRoutes {
  webhookPath?: string;
  webhook?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  isReady(): boolean;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface HttpServer {
  server: http.Server;
  /** The port actually bound (useful with PORT=0). */
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(host: string, port: number, routes: HttpRoutes, log: AppLogger): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log.error({ err: error, path: pathOf(req) }, "request failed");
      reply(res, 500, { ok: false, error: "internal error" });
    });
  });
  // Telegram keeps connections open; bound how long an idle or slow client may hold one.
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (routes.webhook && path === routes.webhookPath) return routes.webhook(req, res);
    if (path === "/healthz" && isRead(req)) {
      return routes.isReady() ? reply(res, 200, { ok: true }) : reply(res, 503, { ok: false, error: "starting" });
    }
    // Liveness: the process answers (also while starting or stopping, when /healthz says 503).
    if (path === "/livez" && isRead(req)) return reply(res, 200, { ok: true });
    if (path === "/metrics" && isRead(req)) {
      const { contentType, body } = await routes.metrics();
      res.writeHead(200, { "Content-Type": contentType });
      res.end(body);
      return;
    }
    reply(res, 404, { ok: false, error: "not found" });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    server,
    port: typeof address === "object" && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function pathOf(req: http.IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

function isRead(req: http.IncomingMessage): boolean {
  return req.method === "GET" || req.method === "HEAD";
}

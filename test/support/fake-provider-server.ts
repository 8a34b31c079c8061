// The HTTP part shared by the local fakes of the title providers (fake-tmdb.ts, fake-openlibrary.ts,
// fake-tvmaze.ts): node:http on 127.0.0.1 with a random port, a log of every request, and hooks
// that override the routes for the next requests or for all of them: hang (answer only when the
// server closes), an error status, a raw body (malformed JSON), or a reset connection.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ProviderRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The fake's clock at arrival (injectable, for virtual-time tests). */
  at: number;
}

/** What a route answers: JSON with a status (and headers). */
export interface RouteAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A scripted answer that replaces the route's. */
export type Override =
  | { hang: true }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { raw: string; status?: number; contentType?: string }
  | "reset";

export interface FakeProvider {
  /** The root to configure, e.g. "http://127.0.0.1:PORT" (TMDB's includes "/3"). */
  readonly root: string;
  /** Every request, in arrival order (also those answered by an override). */
  readonly requests: ProviderRequest[];
  /** Requests received whose answer has not been written yet (hanging ones included). */
  readonly inFlight: number;
  /** The next requests get these, in order, instead of their route's answer. */
  queue(...overrides: Override[]): void;
  /** Every request gets this until cleared with undefined (e.g. { status: 500 } or { hang: true }). */
  always(override: Override | undefined): void;
  /** The requests to one path (e.g. "/search/shows"). */
  requestsTo(path: string): ProviderRequest[];
  close(): Promise<void>;
}

export interface FakeServerOptions {
  /** Path prefix of the root (TMDB: "/3"). */
  prefix?: string;
  now?: () => number;
  /** Answers one request (its path without the prefix) when no override does. */
  route(request: ProviderRequest): RouteAnswer;
}

export async function startFakeProviderServer(options: FakeServerOptions): Promise<FakeProvider> {
  const server = new FakeProviderServer(options);
  await server.listen();
  return server;
}

class FakeProviderServer implements FakeProvider {
  readonly requests: ProviderRequest[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly pending: Override[] = [];
  private standing: Override | undefined;
  private open = 0;
  private port = 0;
  private closed: Promise<void> | undefined;

  constructor(private readonly options: FakeServerOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  get root(): string {
    return `http://127.0.0.1:${this.port}${this.options.prefix ?? ""}`;
  }

  get inFlight(): number {
    return this.open;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  queue(...overrides: Override[]): void {
    this.pending.push(...overrides);
  }

  always(override: Override | undefined): void {
    this.standing = override;
  }

  requestsTo(path: string): ProviderRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
    return this.closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const prefix = this.options.prefix ?? "";
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) || "/" : url.pathname;
    const request: ProviderRequest = {
      method: req.method ?? "GET",
      path,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      at: (this.options.now ?? Date.now)(),
    };
    this.requests.push(request);
    this.open += 1;
    res.once("close", () => {
      this.open -= 1;
    });
    req.resume();
    const override = this.pending.length > 0 ? this.pending.shift() : this.standing;
    if (override === "reset") {
      req.socket.destroy();
      return;
    }
    if (override && "hang" in override) return; // answered never; the socket goes when the client gives up or we close
    if (override && "raw" in override) {
      send(res, override.status ?? 200, override.raw, { "content-type": override.contentType ?? "application/json" });
      return;
    }
    if (override) {
      sendJson(res, override.status, override.body ?? { error: `HTTP ${override.status}` }, override.headers);
      return;
    }
    let answer: RouteAnswer;
    try {
      answer = this.options.route(request);
    } catch (error) {
      answer = { status: 500, body: { error: `fake provider: ${String(error)}` } };
    }
    sendJson(res, answer.status, answer.body, answer.headers);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), { "content-type": "application/json; charset=utf-8", ...headers });
}

function send(res: http.ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Case- and accent-insensitive "contains", as the providers' own searches roughly do. */
export function looselyContains(haystack: string, needle: string): boolean {
  const fold = (s: string) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  return fold(haystack).includes(fold(needle).trim());
}

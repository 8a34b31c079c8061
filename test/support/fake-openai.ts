// A local fake of an OpenAI-compatible chat completions server for tests: node:http on 127.0.0.1
// with a random port. Point the official SDK at it with `new OpenAI({ apiKey, baseURL: fake.baseURL })`
// (or createLanguageModel({ baseURL: fake.baseURL, … })). It records every POST /v1/chat/completions,
// answers from a queue of scripted responses, then from a default handler (content "OK"), and can
// fail: an HTTP error with OpenAI's error JSON (and Retry-After), a late answer, a reset socket, or
// a malformed 200. Streaming is not supported.
import http from "node:http";
import type { Socket } from "node:net";
import type { AddressInfo } from "node:net";

// ---------------------------------------------------------------------------------------------
// Public types

export type FakeResponse =
  /** A normal completion; finish_reason "tool_calls" when toolCalls is non-empty, else "stop". */
  | { content?: string | null; toolCalls?: Array<{ id?: string; name: string; arguments: string | object }> }
  /**
   * An HTTP error with OpenAI's error JSON {error:{message,type,code}}; Retry-After (seconds) when given.
   * `code`/`type` override the defaults for the status (e.g. 429 with code "insufficient_quota").
   */
  | { status: number; retryAfter?: number; message?: string; code?: string | null; type?: string }
  /** Answer late (for client timeouts); then `then` (default: the normal default answer). */
  | { delayMs: number; then?: FakeResponse }
  /** Destroy the socket without answering. */
  | "reset"
  /** A 200 with this raw body (malformed output). */
  | { raw: string };

export interface FakeOpenAiRequest {
  /** The parsed JSON body (or the raw text if it was not JSON). */
  body: any;
  /** Date.now() at arrival. */
  at: number;
  headers: Record<string, string | string[] | undefined>;
}

export interface FakeOpenAi {
  /** "http://127.0.0.1:PORT/v1" */
  readonly baseURL: string;
  /** Every POST /v1/chat/completions, in arrival order (including ones refused or failed). */
  readonly requests: FakeOpenAiRequest[];
  /** Default answer for every request not served by the queue. Default: { content: "OK" }. */
  respond(handler: (body: any, index: number) => FakeResponse | Promise<FakeResponse>): void;
  /** The next requests get these, in order, before `respond`'s handler. */
  queue(...responses: FakeResponse[]): void;
  /** Polls (every 10 ms) until predicate(api) is true; otherwise rejects after timeoutMs (default 10 s). */
  waitFor(predicate: (api: FakeOpenAi) => boolean, timeoutMs?: number): Promise<void>;
  /** Closes the server and destroys every socket (also pending delayed answers). Idempotent. */
  close(): Promise<void>;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const fake = new FakeOpenAiServer();
  await fake.listen();
  return fake;
}

// ---------------------------------------------------------------------------------------------
// Server

const ERROR_TYPES: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: "invalid_request_error", code: null, message: "Invalid request." },
  401: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided." },
  403: { type: "invalid_request_error", code: "unsupported_country_region_territory", message: "Forbidden." },
  404: { type: "invalid_request_error", code: "model_not_found", message: "The model does not exist or you do not have access to it." },
  429: { type: "requests", code: "rate_limit_exceeded", message: "Rate limit reached. Please try again later." },
  500: { type: "server_error", code: null, message: "The server had an error while processing your request." },
  502: { type: "server_error", code: null, message: "Bad gateway." },
  503: { type: "server_error", code: null, message: "The engine is currently overloaded, please try again later." },
};

class FakeOpenAiServer implements FakeOpenAi {
  readonly requests: FakeOpenAiRequest[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending: FakeResponse[] = [];
  private handler: (body: any, index: number) => FakeResponse | Promise<FakeResponse> = () => ({ content: "OK" });
  private port = 0;
  private closed: Promise<void> | undefined;
  private completionCount = 0;

  constructor() {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          sendJson(res, 500, { error: { message: `fake-openai: ${String(error)}`, type: "server_error", code: null } });
        }
      });
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
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

  respond(handler: (body: any, index: number) => FakeResponse | Promise<FakeResponse>): void {
    this.handler = handler;
  }

  queue(...responses: FakeResponse[]): void {
    this.pending.push(...responses);
  }

  async waitFor(predicate: (api: FakeOpenAi) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (predicate(this)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `fake-openai: waitFor timed out after ${timeoutMs} ms; ${this.requests.length} request(s) so far: ` +
            JSON.stringify(this.requests.map((r) => summarize(r.body))),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): Promise<void> {
    if (this.closed) return this.closed;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.closed = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
    return this.closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const text = await readBody(req);
    const auth = req.headers.authorization;
    const authorized = typeof auth === "string" && /^Bearer\s+\S+/.test(auth);

    if (req.method === "POST" && url.pathname === "/v1/chat/completions") {
      let body: any = text;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        // keep the raw text
      }
      this.requests.push({ body, at: Date.now(), headers: { ...req.headers } });
      const index = this.completionCount++;
      if (!authorized) {
        sendJson(res, 401, {
          error: {
            message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
            type: "invalid_request_error",
            code: null,
          },
        });
        return;
      }
      if (typeof body !== "object" || body === null || !Array.isArray(body.messages)) {
        sendJson(res, 400, { error: { message: "'messages' is a required property", type: "invalid_request_error", code: null } });
        return;
      }
      const response = this.pending.length > 0 ? this.pending.shift()! : await this.handler(body, index);
      await this.answer(req, res, body, response);
      return;
    }

    if (req.method === "GET" && url.pathname === "/v1/models") {
      if (!authorized) {
        sendJson(res, 401, { error: { message: "You didn't provide an API key.", type: "invalid_request_error", code: null } });
        return;
      }
      sendJson(res, 200, {
        object: "list",
        data: [{ id: "fake-model", object: "model", created: 1_700_000_000, owned_by: "fake-openai" }],
      });
      return;
    }

    sendJson(res, 404, { error: { message: `Unknown request URL: ${req.method} ${url.pathname}`, type: "invalid_request_error", code: "unknown_url" } });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, body: any, response: FakeResponse): Promise<void> {
    if (this.closed || res.destroyed) return;
    if (response === "reset") {
      req.socket.destroy();
      return;
    }
    if ("delayMs" in response) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, response.delayMs);
        this.timers.add(timer);
        res.once("close", () => {
          clearTimeout(timer);
          this.timers.delete(timer);
          resolve();
        });
      });
      if (this.closed || res.destroyed || res.writableEnded) return;
      await this.answer(req, res, body, response.then ?? { content: "OK" });
      return;
    }
    if ("raw" in response) {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(response.raw) });
      res.end(response.raw);
      return;
    }
    if ("status" in response) {
      const known = ERROR_TYPES[response.status] ?? {
        type: response.status >= 500 ? "server_error" : "invalid_request_error",
        code: null,
        message: `HTTP ${response.status}`,
      };
      const headers: Record<string, string> = {};
      if (response.retryAfter !== undefined) headers["retry-after"] = String(response.retryAfter);
      sendJson(
        res,
        response.status,
        {
          error: {
            message: response.message ?? known.message,
            type: response.type ?? known.type,
            param: null,
            code: response.code !== undefined ? response.code : known.code,
          },
        },
        headers,
      );
      return;
    }
    sendJson(res, 200, completion(body, response));
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

let idCounter = 0;

function completion(
  body: any,
  response: { content?: string | null; toolCalls?: Array<{ id?: string; name: string; arguments: string | object }> },
): Record<string, unknown> {
  const toolCalls = (response.toolCalls ?? []).map((call) => ({
    id: call.id ?? `call_${++idCounter}`,
    type: "function" as const,
    function: {
      name: call.name,
      arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
  const content = response.content === undefined ? (toolCalls.length > 0 ? null : "OK") : response.content;
  const message: Record<string, unknown> = { role: "assistant", content, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const promptTokens = JSON.stringify(body.messages ?? []).length >> 2;
  const completionTokens = (JSON.stringify(content ?? "").length + JSON.stringify(toolCalls).length) >> 2;
  return {
    id: `chatcmpl-fake${++idCounter}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === "string" ? body.model : "fake-model",
    choices: [{ index: 0, message, logprobs: null, finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    system_fingerprint: "fp_fake",
  };
}

function sendJson(res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function summarize(body: any): unknown {
  if (typeof body !== "object" || body === null) return body;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages[messages.length - 1];
  return { model: body.model, messages: messages.length, last: last?.role, tools: Array.isArray(body.tools) ? body.tools.length : 0 };
}

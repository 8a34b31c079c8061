// The Telegram webhook receiver (node:http). It checks the secret header, parses the update, and
// hands it to Restate as a one-way send to the chat's virtual object:
//   POST {ingress}/MovieChat/{chatId}/onUpdate/send   with header idempotency-key: {update_id}
// Telegram gets its 200 only after the ingress accepted the send, when the update is durable in
// Restate; a redelivered update (same update_id) is deduplicated by Restate's idempotency key.
import http from "node:http";

export interface WebhookOptions {
  path: string;
  secret: string | undefined;
  /** e.g. http://127.0.0.1:8080/MovieChat — the chat id, handler and /send are appended. */
  objectUrl: string;
  handler: string;
  /** False until everything behind the receiver is up: /healthz answers 503 until then. */
  isReady: () => boolean;
}

const MAX_BODY_BYTES = 1 << 20;

export function createWebhookServer(options: WebhookOptions): http.Server {
  // Keep-alive connections to the ingress, enough for a benchmark's concurrent webhook calls.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  return http.createServer((req, res) => {
    const url = req.url ?? "/";
    const path = url.split("?", 1)[0];
    if (req.method === "GET" && path === "/healthz") {
      reply(res, options.isReady() ? 200 : 503, options.isReady() ? "ok" : "starting");
      return;
    }
    if (path !== options.path) return void reply(res, 404, "not found");
    if (req.method !== "POST") return void reply(res, 405, "method not allowed");
    if (options.secret !== undefined && req.headers["x-telegram-bot-api-secret-token"] !== options.secret) {
      return void reply(res, 401, "unauthorized");
    }
    readBody(req, (body) => {
      if (body === "too large") return void reply(res, 413, "too large");
      if (body === "failed") return void res.destroy();
      let update: unknown;
      try {
        update = JSON.parse(body.toString("utf8"));
      } catch {
        return void reply(res, 400, "bad json");
      }
      const updateId = (update as { update_id?: unknown } | null)?.update_id;
      if (typeof updateId !== "number" || !Number.isSafeInteger(updateId)) return void reply(res, 400, "no update_id");
      const chatId = chatIdOf(update);
      // Updates that belong to no chat (polls, member changes, …) are acknowledged and dropped.
      if (chatId === undefined) return void reply(res, 200, "ignored");
      forward(agent, `${options.objectUrl}/${encodeURIComponent(String(chatId))}/${options.handler}/send`, String(updateId), body, (status) => {
        // 5xx tells Telegram to deliver the update again later.
        if (status >= 200 && status < 300) reply(res, 200, "ok");
        else reply(res, 502, `ingress answered ${status}`);
      });
    });
  });
}

function chatIdOf(update: unknown): number | undefined {
  const u = update as {
    message?: { chat?: { id?: unknown } };
    callback_query?: { message?: { chat?: { id?: unknown } } };
  };
  const id = u.message?.chat?.id ?? u.callback_query?.message?.chat?.id;
  return typeof id === "number" && Number.isSafeInteger(id) ? id : undefined;
}

/** POSTs the update to the ingress; calls done with its status, or 0 when the request failed. */
function forward(agent: http.Agent, url: string, idempotencyKey: string, body: Buffer, done: (status: number) => void): void {
  const req = http.request(
    url,
    {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": body.length, "idempotency-key": idempotencyKey },
    },
    (res) => {
      res.resume();
      res.on("end", () => done(res.statusCode ?? 0));
      res.on("error", () => done(0));
    },
  );
  req.on("error", () => done(0));
  req.end(body);
}

function readBody(req: http.IncomingMessage, done: (body: Buffer | "too large" | "failed") => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  });
  req.on("end", () => done(tooLarge ? "too large" : Buffer.concat(chunks)));
  req.on("error", () => done("failed"));
}

function reply(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

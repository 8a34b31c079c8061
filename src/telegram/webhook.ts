// The webhook front door: checks the secret, bounds and parses the body, stores the update in the
// inbox and answers 200 only after the commit. Every refusal has its own status and never reaches
// the inbox: 401 bad secret, 413 too large, 400 not JSON or not an update.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AcceptOutcome } from "../../runtime/index.js";
import type { AppLogger } from "../log.js";
import { type UpdateRoute, parseUpdate } from "./update.js";

export const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookOptions {
  secret: string;
  /** Stores a routed update; resolves after the commit. */
  accept(update: Record<string, unknown>, route: Extract<UpdateRoute, { status: "routed" }>, json: string): Promise<AcceptOutcome>;
  rejected(reason: string): void;
  log: AppLogger;
  maxBodyBytes?: number;
}

export function createWebhookHandler(options: WebhookOptions) {
  const expected = digest(options.secret);
  const maxBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  return async function handleWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") return refuse(res, 405, "use POST", "method", { Allow: "POST" });
    const given = req.headers["x-telegram-bot-api-secret-token"];
    // Compare digests: equal length, constant time, whatever the caller sent.
    if (typeof given !== "string" || !timingSafeEqual(digest(given), expected)) {
      // The body of a stranger's request is never read: closing the connection spares draining it
      // (up to whatever length it declared) and lets a shutdown finish without waiting for it.
      lingerAfterClose(req);
      return refuse(res, 401, "wrong or missing secret token", "secret", { Connection: "close" });
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    // Refused before (or while) reading: the rest of the body is never buffered, and the connection closes.
    const tooLarge = () => {
      lingerAfterClose(req);
      refuse(res, 413, `body over ${maxBytes} bytes`, "too-large", { Connection: "close" });
    };
    if (declared > maxBytes) return tooLarge();

    const body = await readBody(req, maxBytes);
    if (body === "too-large") return tooLarge();
    if (body === "aborted") return;

    const text = body.toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return refuse(res, 400, "malformed JSON", "malformed-json");
    }
    const parsed = parseUpdate(json);
    if (!parsed.ok) return refuse(res, 400, parsed.error, "not-an-update");
    if (parsed.route.status === "unroutable") {
      options.rejected("unroutable");
      return reply(res, 200, { ok: true, ignored: parsed.route.kind });
    }

    try {
      const outcome = await options.accept(parsed.update, parsed.route, text);
      reply(res, 200, { ok: true, status: outcome.status });
    } catch (error) {
      // Not stored, so not acknowledged: Telegram delivers it again later.
      options.log.error({ err: error, updateId: parsed.route.updateId }, "could not store an update");
      reply(res, 500, { ok: false, error: "could not store the update; retry later" });
    }
  };

  function refuse(res: ServerResponse, status: number, error: string, reason: string, headers: Record<string, string> = {}): void {
    options.rejected(reason);
    options.log.debug({ status, reason }, "webhook request refused");
    reply(res, status, { ok: false, error }, headers);
  }
}

export function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** How long a refused connection still takes (and drops) what its client sends, at most. */
const LINGER_MS = 500;

/**
 * A refusal answers before the body has arrived and closes the connection. Closed at once, bytes the
 * client is still sending make the kernel reset the connection, and a reset can destroy the answer
 * before the client read it. So the connection is half-closed after the answer and what still
 * arrives is dropped, until the client closes or LINGER_MS pass (as web servers' lingering close).
 * Node's server ends such a socket with destroySoon(): that is the call given this delay.
 */
function lingerAfterClose(req: IncomingMessage): void {
  const socket = req.socket as IncomingMessage["socket"] & { destroySoon?: () => void };
  if (typeof socket.destroySoon !== "function") return;
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };
  // Whatever of the body arrives is read and dropped (the 413 path had paused it).
  req.removeAllListeners("data");
  req.on("data", () => undefined);
  req.resume();
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Reads the body up to `maxBytes`; past that it stops reading and drops the connection after answering. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | "too-large" | "aborted"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (value: Buffer | "too-large" | "aborted") => {
      if (done) return;
      done = true;
      resolve(value);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners("data");
        req.pause();
        finish("too-large");
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => finish(Buffer.concat(chunks, size)));
    req.on("error", () => finish("aborted"));
    req.on("aborted", () => finish("aborted"));
  });
}

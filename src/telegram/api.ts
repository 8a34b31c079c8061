// The one Telegram Bot API client of the process: grammY's Api, pointed at TELEGRAM_API_ROOT, over a
// lean fetch on node:http with keep-alive. grammY still builds every request and turns every answer
// into a result, a GrammyError (ok: false) or an HttpError (anything this fetch rejects with).
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { Api, type ApiClientOptions } from "grammy";

export function createTelegramApi(token: string, apiRoot: string): Api {
  // sensitiveLogs stays off: grammY then keeps the token-bearing URL out of its error messages.
  return new Api(token, { apiRoot: apiRoot.replace(/\/+$/, ""), timeoutSeconds: 60, fetch: leanFetch });
}

/** What grammY passes to fetch: createJsonPayload's string body or createFormDataPayload's stream. */
interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Readable;
  signal?: AbortSignal;
}

/** What grammY reads of the answer: only its JSON body, whatever the status (Telegram's errors are JSON too). */
interface LeanResponse {
  status: number;
  ok: boolean;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

// One pool per protocol, sockets kept between sends: the same as grammY's own agents, without
// node-fetch's Request, Headers and body-stream objects around each call (16% of a dialog profile).
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/**
 * A fetch for grammY's client: POSTs the body, buffers the answer. Rejects on a network error, an
 * abort (grammY's timeout) or a body that is not JSON (a proxy's error page): grammY makes each of
 * these an HttpError, which delivery treats as transient.
 */
function leanFetchImpl(url: string, init: FetchInit = {}): Promise<LeanResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === "https:" ? https : http;
    const agent = target.protocol === "https:" ? agents["https:"] : agents["http:"];
    const headers: Record<string, string | number> = { ...init.headers };
    if (typeof init.body === "string") headers["content-length"] = Buffer.byteLength(init.body);
    const request = transport.request(target, { method: init.method ?? "GET", headers, agent, signal: init.signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      // Settles nothing once "end" has resolved; otherwise the answer was cut off.
      response.on("close", () => {
        if (!response.complete) reject(new Error("The connection closed before the Bot API's answer ended."));
      });
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = response.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: async () => text, json: async () => JSON.parse(text) as unknown });
      });
    });
    request.on("error", reject);
    if (init.body instanceof Readable) {
      // A multipart upload: grammY reports the stream's own errors through its abort signal.
      init.body.on("error", (error) => request.destroy(error));
      init.body.pipe(request);
    } else {
      request.end(init.body);
    }
  });
}

export const leanFetch = leanFetchImpl as unknown as NonNullable<ApiClientOptions["fetch"]>;

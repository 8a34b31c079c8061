// The Bot API client used inside ctx.run: one POST with a JSON body to `${root}/bot${token}/${method}`,
// through an undici pool of at most 64 keep-alive connections. (Global fetch opens a connection per
// concurrent call: with hundreds of invocations in flight that overflows the server's accept
// backlog and the resets come back as failed runs, each then retried by Restate.)
// What a failure means decides what Restate does with it:
// - network errors and 5xx throw a plain Error: Restate retries the run with its retry policy;
// - 429 throws a RetryableError carrying Telegram's retry_after, so the retry waits as asked;
// - any other 4xx is a permanent refusal (blocked bot, bad chat): it is returned as a value, so it is
//   journaled once and the dialog goes on instead of retrying a request that can never succeed.
import { RetryableError } from "@restatedev/restate-sdk";
import { Agent, request } from "undici";

const MAX_CONNECTIONS = 64;
const TIMEOUT_MS = 30_000;

const pool = new Agent({ connections: MAX_CONNECTIONS, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });

export interface BotApiConfig {
  apiRoot: string;
  token: string;
}

export type BotApiResult = { ok: true } | { ok: false; status: number; description: string };

interface TelegramReply {
  ok?: boolean;
  description?: string;
  parameters?: { retry_after?: number };
}

export async function callBotApi(config: BotApiConfig, method: string, params: Record<string, unknown>): Promise<BotApiResult> {
  const res = await request(`${config.apiRoot}/bot${config.token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(params),
    dispatcher: pool,
  });
  const reply = (await res.body.json().catch(() => ({}))) as TelegramReply;
  const status = res.statusCode;
  if (status >= 200 && status < 300 && reply.ok !== false) return { ok: true };
  const description = reply.description ?? `HTTP ${status}`;
  if (status === 429) {
    const seconds = reply.parameters?.retry_after ?? 1;
    throw new RetryableError(`${method}: ${description}`, { retryAfter: { seconds } });
  }
  if (status >= 500) throw new Error(`${method}: ${description}`);
  return { ok: false, status, description };
}

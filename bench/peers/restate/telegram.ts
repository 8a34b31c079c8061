// The Bot API client used inside ctx.run: one POST with a JSON body to `${root}/bot${token}/${method}`.
// What a failure means decides what Restate does with it:
// - network errors and 5xx throw a plain Error: Restate retries the run with its retry policy;
// - 429 throws a RetryableError carrying Telegram's retry_after, so the retry waits as asked;
// - any other 4xx is a permanent refusal (blocked bot, bad chat): it is returned as a value, so it is
//   journaled once and the dialog goes on instead of retrying a request that can never succeed.
import { RetryableError } from "@restatedev/restate-sdk";

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
  const res = await fetch(`${config.apiRoot}/bot${config.token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(params),
    signal: AbortSignal.timeout(30_000),
  });
  const reply = (await res.json().catch(() => ({}))) as TelegramReply;
  if (res.ok && reply.ok !== false) return { ok: true };
  const description = reply.description ?? `HTTP ${res.status}`;
  if (res.status === 429) {
    const seconds = reply.parameters?.retry_after ?? 1;
    throw new RetryableError(`${method}: ${description}`, { retryAfter: { seconds } });
  }
  if (res.status >= 500) throw new Error(`${method}: ${description}`);
  return { ok: false, status: res.status, description };
}

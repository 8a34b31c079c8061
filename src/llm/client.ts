// The LanguageModel port (agents/media-tracker/llm/model.ts) on the official openai SDK, for OpenAI
// or any OpenAI-compatible server (llama.cpp, Ollama, vLLM, …) at OPENAI_BASE_URL.
//
// The SDK's own retries are off (maxRetries: 0) so the policy is here and explicit:
// - transient failures (429, 408, 409, 5xx, timeouts, refused or reset connections) are retried
//   with exponential backoff and jitter; a Retry-After / retry-after-ms header is obeyed;
// - all attempts and waits fit in a time budget (default 60 s); past it, or when the server asks
//   for a longer wait than is left, a RetryableError hands the call back to the runtime (with the
//   server's Retry-After when there was one);
// - a request that can never work (400, 401, 403, 404, other 4xx, 429 insufficient_quota) is a
//   PermanentError whose message names the setting to fix;
// - a 200 whose body is not a completion is retried once, then is a PermanentError.
// The API key is never logged or put in an error message.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { z } from "zod";
import type { ChatMessage, LanguageModel, ModelReply, ToolCall, ToolSpec } from "../../agents/media-tracker/llm/model.js";
import { PermanentError, RetryableError } from "../../runtime/index.js";
import type { AppLogger } from "../log.js";

export interface LanguageModelOptions {
  /** OPENAI_API_KEY; any non-empty text for local servers that ignore it. */
  apiKey: string;
  /** OPENAI_BASE_URL, e.g. http://localhost:11434/v1 for Ollama; default OpenAI's. */
  baseURL?: string;
  /** OPENAI_MODEL */
  model: string;
  /** How long one attempt may take (OPENAI_TIMEOUT_SECONDS × 1000). */
  timeoutMs: number;
  /** How long one complete() may take over all its attempts and waits. Default 60 s. */
  budgetMs?: number;
  log: AppLogger;
  /** First backoff delay; doubles per attempt up to retryMaxMs. Default 500 ms. */
  retryBaseMs?: number;
  /** Largest backoff delay. Default 8 s. */
  retryMaxMs?: number;
  /** Test aid: the jitter's random source (0 ≤ r < 1). */
  random?: () => number;
}

export const DEFAULT_BUDGET_MS = 60_000;

/** No attempt is started with less time than this left in the budget. */
const MIN_ATTEMPT_MS = 100;

export function createLanguageModel(options: LanguageModelOptions): LanguageModel {
  const { apiKey, model, timeoutMs, log } = options;
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 8_000;
  const random = options.random ?? Math.random;
  const scrub = (text: string) => (apiKey.length > 0 ? text.split(apiKey).join("[redacted]") : text);

  const client = new OpenAI({
    apiKey,
    baseURL: options.baseURL,
    timeout: timeoutMs,
    maxRetries: 0,
    logLevel: "warn",
    logger: {
      error: (message: string) => log.error({ llm: true }, scrub(`openai: ${message}`)),
      warn: (message: string) => log.warn({ llm: true }, scrub(`openai: ${message}`)),
      info: (message: string) => log.info({ llm: true }, scrub(`openai: ${message}`)),
      debug: (message: string) => log.debug({ llm: true }, scrub(`openai: ${message}`)),
    },
  });

  async function attempt(body: ChatCompletionCreateParamsNonStreaming, attemptMs: number): Promise<unknown> {
    // The SDK's timeout covers the wait for the response headers; the abort also covers a body
    // that stalls halfway.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, attemptMs + 50);
    try {
      return await client.chat.completions.create(body, { timeout: attemptMs, signal: controller.signal });
    } catch (error) {
      if (timedOut) throw new APIConnectionTimeoutError({ message: `Request timed out after ${attemptMs} ms.` });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async complete(messages: ChatMessage[], tools: ToolSpec[]): Promise<ModelReply> {
      const body: ChatCompletionCreateParamsNonStreaming = {
        model,
        messages: messages.map(toSdkMessage),
        stream: false,
      };
      if (tools.length > 0) {
        body.tools = tools.map(toSdkTool);
        body.tool_choice = "auto";
      }

      // On the monotonic clock: a wall clock set back must not stretch the budget by the step.
      const started = performance.now();
      const deadline = started + budgetMs;
      let malformed = 0;
      let failures = 0;
      for (let n = 1; ; n++) {
        const attemptStart = performance.now();
        const attemptMs = Math.max(MIN_ATTEMPT_MS, Math.min(timeoutMs, Math.floor(deadline - attemptStart)));
        let failure: Failure;
        try {
          const raw = await attempt(body, attemptMs);
          const reply = parseReply(raw);
          log.debug(
            { llm: true, model, attempt: n, ms: Math.round(performance.now() - attemptStart), toolCalls: reply.toolCalls.length },
            "language model answered",
          );
          return reply;
        } catch (error) {
          failure = classify(error, { model, scrub });
        }

        if (failure.kind === "permanent") {
          log.error({ llm: true, model, attempt: n, reason: failure.reason }, "language model call failed for good");
          throw new PermanentError(failure.message);
        }
        if (failure.kind === "malformed") {
          malformed++;
          if (malformed >= 2) {
            log.error({ llm: true, model, attempt: n, reason: failure.reason }, "language model answer malformed twice");
            throw new PermanentError(`The language model's answer was malformed (${failure.reason}). Check OPENAI_BASE_URL points at an OpenAI-compatible chat completions API.`);
          }
        }
        failures++;

        // Wait as the server asked, else back off exponentially with jitter ("equal jitter").
        const backoff = Math.min(retryMaxMs, retryBaseMs * 2 ** (failures - 1));
        const delayMs = failure.retryAfterMs ?? Math.round(backoff / 2 + (random() * backoff) / 2);
        const now = performance.now();
        if (now + delayMs + MIN_ATTEMPT_MS > deadline) {
          const spent = Math.round((now - started) / 100) / 10;
          log.warn(
            { llm: true, model, attempts: n, spentMs: Math.round(now - started), reason: failure.reason, retryAfterMs: failure.retryAfterMs },
            "language model not answering; giving up for now",
          );
          throw new RetryableError(
            `The language model is not answering (${failure.reason}); tried ${n} time${n === 1 ? "" : "s"} in ${spent} s.`,
            failure.retryAfterMs,
          );
        }
        log.warn({ llm: true, model, attempt: n, reason: failure.reason, delayMs }, "language model call failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Shapes

function toSdkMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: message.content };
    case "assistant": {
      const calls = message.toolCalls ?? [];
      // OpenAI rejects an empty tool_calls array: leave it out when there are none.
      if (calls.length === 0) return { role: "assistant", content: message.content ?? "" };
      return {
        role: "assistant",
        content: message.content,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: "function" as const,
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    }
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
  }
}

function toSdkTool(tool: ToolSpec): ChatCompletionFunctionTool {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().nullish(),
                type: z.string().nullish(),
                function: z
                  .object({
                    name: z.string().min(1),
                    // Some compatible servers send the arguments as an object rather than JSON text.
                    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
                  })
                  .nullish(),
              }),
            )
            .nullish(),
        }),
      }),
    )
    .min(1),
});

class MalformedReply extends Error {}

function parseReply(raw: unknown): ModelReply {
  const parsed = completionSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "not a completion";
    throw new MalformedReply(typeof raw === "object" && raw !== null ? where : `body is ${typeof raw}`);
  }
  const message = parsed.data.choices[0]!.message;
  const toolCalls: ToolCall[] = [];
  (message.tool_calls ?? []).forEach((call, index) => {
    if (!call.function || (call.type && call.type !== "function")) return;
    const args = call.function.arguments;
    toolCalls.push({
      id: call.id || `call_${index}`,
      name: call.function.name,
      arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}),
    });
  });
  return { content: message.content ?? null, toolCalls };
}

// ---------------------------------------------------------------------------------------------
// Failures

type Failure =
  | { kind: "retry"; reason: string; retryAfterMs?: number }
  | { kind: "malformed"; reason: string; retryAfterMs?: undefined }
  | { kind: "permanent"; reason: string; message: string; retryAfterMs?: undefined };

function classify(error: unknown, context: { model: string; scrub: (text: string) => string }): Failure {
  const { model, scrub } = context;
  if (error instanceof MalformedReply) return { kind: "malformed", reason: error.message };
  // A 200 whose body is not JSON (the SDK's response.json() throws).
  if (error instanceof SyntaxError) return { kind: "malformed", reason: "body is not JSON" };
  if (error instanceof APIConnectionTimeoutError) return { kind: "retry", reason: "timed out" };
  if (error instanceof APIUserAbortError) return { kind: "retry", reason: "timed out" };
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? describeCause(error.cause) : "";
    return { kind: "retry", reason: `connection failed${cause ? `: ${scrub(cause)}` : ""}` };
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const status = error.status;
    const said = serverSaid(error, scrub);
    const code = typeof error.code === "string" ? error.code : undefined;
    const type = typeof error.type === "string" ? error.type : undefined;
    if (status === 429 && (code === "insufficient_quota" || type === "insufficient_quota")) {
      return permanent(status, said, "The language model account has no quota left (429 insufficient_quota); check the plan and billing of OPENAI_API_KEY");
    }
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      return { kind: "retry", reason: `HTTP ${status}${said ? ` ${said}` : ""}`, retryAfterMs: retryAfter(error.headers) };
    }
    if (status === 401) {
      return permanent(status, said, "OPENAI_API_KEY was refused by the language model server (401); set a valid key, or unset OPENAI_API_KEY to turn the LLM off");
    }
    if (status === 403) {
      return permanent(status, said, `The language model server denied access (403); check that OPENAI_API_KEY may use OPENAI_MODEL "${model}"`);
    }
    if (status === 404) {
      return permanent(status, said, `The language model server has no model "${model}" or no chat completions API there (404); check OPENAI_MODEL and OPENAI_BASE_URL (it usually ends in /v1)`);
    }
    if (status === 400) {
      return permanent(status, said, `The language model server rejected the request (400); check that OPENAI_MODEL "${model}" supports tool calling`);
    }
    return permanent(status, said, `The language model server refused the request (HTTP ${status}); check OPENAI_BASE_URL and OPENAI_MODEL`);
  }
  // Reading the body failed halfway (undici: TypeError "terminated"), or a network error the SDK
  // did not wrap: transient.
  if (error instanceof TypeError) return { kind: "retry", reason: `connection failed: ${scrub(error.message)}` };
  if (error instanceof Error && error.name === "AbortError") return { kind: "retry", reason: "timed out" };
  return permanent(0, "", `The language model call failed unexpectedly: ${scrub(error instanceof Error ? error.message : String(error))}`);
}

function permanent(status: number, said: string, message: string): Failure {
  return {
    kind: "permanent",
    reason: status ? `HTTP ${status}${said ? ` ${said}` : ""}` : message,
    message: said ? `${message}. The server said: ${said}` : `${message}.`,
  };
}

/** The server's own error message, trimmed, without the API key. */
function serverSaid(error: APIError, scrub: (text: string) => string): string {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === "string" ? body.message : "";
  const trimmed = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return scrub(trimmed);
}

function describeCause(cause: Error): string {
  const code = (cause as { code?: unknown }).code;
  const inner = (cause as { cause?: unknown }).cause;
  const innerCode = inner && typeof inner === "object" ? (inner as { code?: unknown }).code : undefined;
  return [typeof code === "string" ? code : undefined, typeof innerCode === "string" ? innerCode : undefined, cause.message]
    .filter(Boolean)
    .join(" ");
}

/** Retry-After / retry-after-ms of a response, in ms (the SDK's headers are a fetch Headers). */
export function retryAfter(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const after = headers.get("retry-after");
  if (after === null) return undefined;
  const seconds = Number.parseFloat(after);
  if (/^\s*\d+(\.\d+)?\s*$/.test(after) && Number.isFinite(seconds)) return Math.ceil(seconds * 1000);
  const date = Date.parse(after);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return undefined;
}

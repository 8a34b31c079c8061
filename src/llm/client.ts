// The LanguageModel port (agents/media-tracker/llm/model.ts) on the official openai SDK, for OpenAI
// or any OpenAI-compatible server (llama.cpp, Ollama, vLLM, …) at OPENAI_BASE_URL.
//
// The SDK's own retries are off (maxRetries: 0) and this client does not retry an outage either:
// - a transient failure (429, 408, 409, 5xx, a timeout, a refused or reset connection) is a
//   RetryableError at once, with the server's Retry-After / retry-after-ms when it sent one; the
//   conversation tells the person and retries later in the background (a durable timer), so a
//   model that is down never holds up the chat for more than one attempt;
// - a request that can never work (400, 401, 403, 404, other 4xx, 429 insufficient_quota) is a
//   PermanentError whose message names the setting to fix;
// - a 200 whose body is not a completion is asked again once at once, then is a PermanentError;
// - every request caps the answer's tokens (max_completion_tokens for OpenAI, max_tokens for other
//   servers); a server that says the parameter is unsupported is asked again with the other name,
//   then without one, and the client remembers what worked.
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
  /** The most tokens one answer may take. Default DEFAULT_MAX_TOKENS. */
  maxTokens?: number;
  log: AppLogger;
}

/** Room for a short reply or a few tool calls (the agent relays at most 4,000 characters of text). */
export const DEFAULT_MAX_TOKENS = 2000;

type TokenParam = "max_completion_tokens" | "max_tokens";

export function createLanguageModel(options: LanguageModelOptions): LanguageModel {
  const { apiKey, model, log } = options;
  // The SDK takes whole milliseconds only: OPENAI_TIMEOUT_SECONDS=1.005 is 1004.9999999999999 ms.
  const timeoutMs = Math.max(1, Math.round(options.timeoutMs));
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const scrub = (text: string) => (apiKey.length > 0 ? text.split(apiKey).join("[redacted]") : text);
  // OpenAI's current name, which its reasoning models require; other servers mostly know only the old one.
  const official = !options.baseURL || /^https:\/\/api\.openai\.com(\/|$)/.test(options.baseURL);
  const tokenParams: Array<TokenParam | undefined> = official
    ? ["max_completion_tokens", "max_tokens", undefined]
    : ["max_tokens", "max_completion_tokens", undefined];

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

  async function attempt(body: ChatCompletionCreateParamsNonStreaming): Promise<unknown> {
    // The SDK's timeout covers the wait for the response headers; the abort also covers a body
    // that stalls halfway.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs + 50);
    try {
      return await client.chat.completions.create(body, { timeout: timeoutMs, signal: controller.signal });
    } catch (error) {
      if (timedOut) throw new APIConnectionTimeoutError({ message: `Request timed out after ${timeoutMs} ms.` });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  function requestBody(messages: ChatMessage[], tools: ToolSpec[], param: TokenParam | undefined): ChatCompletionCreateParamsNonStreaming {
    const body: ChatCompletionCreateParamsNonStreaming = { model, messages: messages.map(toSdkMessage), stream: false };
    if (param) body[param] = maxTokens;
    if (tools.length > 0) {
      body.tools = tools.map(toSdkTool);
      body.tool_choice = "auto";
    }
    return body;
  }

  return {
    async complete(messages: ChatMessage[], tools: ToolSpec[]): Promise<ModelReply> {
      let malformed = 0;
      for (let n = 1; ; n++) {
        const started = performance.now();
        const param = tokenParams[0];
        let failure: Failure;
        try {
          const reply = parseReply(await attempt(requestBody(messages, tools, param)));
          log.debug({ llm: true, model, attempt: n, ms: Math.round(performance.now() - started), toolCalls: reply.toolCalls.length }, "language model answered");
          return reply;
        } catch (error) {
          failure = classify(error, { model, scrub, tokenParam: param });
        }

        if (failure.kind === "unsupported-parameter" && tokenParams.length > 1) {
          log.info({ llm: true, model, refused: param }, "the language model server does not take this answer length limit; trying another");
          // Remembered for later calls (a concurrent call may have moved on already).
          if (tokenParams[0] === param) tokenParams.shift();
          continue;
        }
        if (failure.kind === "permanent" || failure.kind === "unsupported-parameter") {
          log.error({ llm: true, model, attempt: n, reason: failure.reason }, "language model call failed for good");
          throw new PermanentError(failure.message);
        }
        if (failure.kind === "malformed") {
          malformed++;
          if (malformed >= 2) {
            log.error({ llm: true, model, attempt: n, reason: failure.reason }, "language model answer malformed twice");
            throw new PermanentError(`The language model's answer was malformed (${failure.reason}). Check OPENAI_BASE_URL points at an OpenAI-compatible chat completions API.`);
          }
          continue;
        }
        // An outage, handled (the person is told, the conversation retries later): one info line, no
        // warning per attempt, so nothing of it reaches a console chat's screen (it logs warnings only).
        log.info(
          { llm: true, model, ms: Math.round(performance.now() - started), reason: failure.reason, retryAfterMs: failure.retryAfterMs },
          "language model not answering; the bot will retry in the background",
        );
        throw new RetryableError(`The language model is not answering (${failure.reason}).`, failure.retryAfterMs);
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
        finish_reason: z.string().nullish(),
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
  const choice = parsed.data.choices[0]!;
  const message = choice.message;
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
  return { content: message.content ?? null, toolCalls, ...(choice.finish_reason === "length" ? { truncated: true } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Failures

type Failure =
  | { kind: "retry"; reason: string; retryAfterMs?: number }
  | { kind: "unsupported-parameter"; reason: string; message: string; retryAfterMs?: undefined }
  | { kind: "malformed"; reason: string; retryAfterMs?: undefined }
  | { kind: "permanent"; reason: string; message: string; retryAfterMs?: undefined };

function classify(error: unknown, context: { model: string; scrub: (text: string) => string; tokenParam: TokenParam | undefined }): Failure {
  const { model, scrub, tokenParam } = context;
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
    if (status === 400 && tokenParam && refusesParameter(error, said, tokenParam)) {
      const message = `The language model server refused the answer length limit ${tokenParam} (400); check OPENAI_BASE_URL and OPENAI_MODEL`;
      return { kind: "unsupported-parameter", reason: `HTTP 400 ${said}`, message: `${message}. The server said: ${said}` };
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

/** A 400 that names our token limit as a parameter the server does not take. */
function refusesParameter(error: APIError, said: string, param: TokenParam): boolean {
  const named = error.param === param || said.includes(param);
  return named && (error.code === "unsupported_parameter" || /unsupported|unrecognized|unknown|not supported|not permitted|extra/i.test(said));
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

// The OpenAI-compatible LanguageModel over real HTTP against the fake server: shapes on the wire,
// one attempt per call (429 + Retry-After, 5xx, resets, timeouts come back at once as retryable),
// permanent failures, the answer's token limit.
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from "openai";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../runtime/index.js";
import type { ChatMessage, ToolSpec } from "../../agents/media-tracker/llm/model.js";
import { type LanguageModelOptions, createLanguageModel, retryAfter } from "../../src/llm/client.js";
import { createModelFromConfig } from "../../src/agent-deps.js";
import { parseConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { type FakeOpenAi, startFakeOpenAi } from "../support/fake-openai.js";

const KEY = "sk-test-secret-key-123456";

let fake: FakeOpenAi;
let logs: string[];

beforeEach(async () => {
  fake = await startFakeOpenAi();
  logs = [];
});
afterEach(async () => {
  await fake.close();
});

function model(options: Partial<LanguageModelOptions> = {}) {
  const sink = { write: (line: string) => void logs.push(line) } as unknown as pino.DestinationStream;
  return createLanguageModel({
    apiKey: KEY,
    baseURL: fake.baseURL,
    model: "test-model",
    timeoutMs: 2_000,
    log: createLogger("debug", [], sink), // no scrubbing: the client itself must never log the key
    ...options,
  });
}

const hello: ChatMessage[] = [{ role: "user", content: "Hello" }];

const addBook: ToolSpec = {
  name: "add_book",
  description: "Adds a book to the list.",
  parameters: {
    type: "object",
    properties: { title: { type: "string" }, author: { type: "string" }, rating: { type: "number" } },
    required: ["title"],
    additionalProperties: false,
  },
};

describe("the fake OpenAI server", () => {
  it("speaks what the official SDK parses: completions, tool calls, models, and its error JSON", async () => {
    const sdk = new OpenAI({ apiKey: KEY, baseURL: fake.baseURL, maxRetries: 0 });
    fake.queue({ toolCalls: [{ id: "call_1", name: "add_book", arguments: { title: "Dune" } }] });
    const completion = await sdk.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("m");
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      { id: "call_1", type: "function", function: { name: "add_book", arguments: '{"title":"Dune"}' } },
    ]);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);

    const plain = await sdk.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(plain.choices[0]?.message.content).toBe("OK");
    expect(plain.choices[0]?.finish_reason).toBe("stop");

    const models = await sdk.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["fake-model"]);

    fake.queue({ status: 429, retryAfter: 2 }, { status: 500, message: "boom" }, { status: 404 }, { status: 400, message: "bad tools" });
    const errors = [];
    for (let i = 0; i < 4; i++) {
      errors.push(await sdk.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e));
    }
    const [rate, server, notFound, bad] = errors;
    expect(rate).toBeInstanceOf(RateLimitError);
    expect((rate as RateLimitError).headers?.get("retry-after")).toBe("2");
    expect((rate as RateLimitError).code).toBe("rate_limit_exceeded");
    expect(server).toBeInstanceOf(InternalServerError);
    expect((server as InternalServerError).message).toBe("500 boom");
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect((notFound as NotFoundError).code).toBe("model_not_found");
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).type).toBe("invalid_request_error");

    // No Authorization header: 401 with OpenAI's error JSON.
    const res = await fetch(`${fake.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [] }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    const unauth = await new OpenAI({ apiKey: KEY, baseURL: fake.baseURL, maxRetries: 0, defaultHeaders: { authorization: null } })
      .chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(AuthenticationError);

    expect(fake.requests.length).toBe(8);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});

describe("createLanguageModel", () => {
  it("returns a plain answer", async () => {
    fake.queue({ content: "Hi there!" });
    const reply = await model().complete(hello, []);
    expect(reply).toEqual({ content: "Hi there!", toolCalls: [] });
    const body = fake.requests[0]?.body;
    expect(body.model).toBe("test-model");
    expect(body.stream).toBe(false);
    expect(body.tools).toBeUndefined();
    expect(body.tool_choice).toBeUndefined();
  });

  it("takes a timeout that is not a whole number of milliseconds (OPENAI_TIMEOUT_SECONDS=1.005 is 1004.9999999999999 ms)", async () => {
    fake.queue({ content: "in time" });
    expect((await model({ timeoutMs: 1.005 * 1000 }).complete(hello, [])).content).toBe("in time");
  });

  it("returns tool calls with their arguments text untouched", async () => {
    const args = '{"title": "Dune",  "author":"Frank Herbert", "rating": 4.5}';
    fake.queue({ toolCalls: [{ id: "call_abc", name: "add_book", arguments: args }, { id: "call_def", name: "list_books", arguments: "{}" }] });
    const reply = await model().complete(hello, [addBook]);
    expect(reply).toEqual({
      content: null,
      toolCalls: [
        { id: "call_abc", name: "add_book", arguments: args },
        { id: "call_def", name: "list_books", arguments: "{}" },
      ],
    });
  });

  it("sends the conversation and the tools in OpenAI's shapes", async () => {
    const conversation: ChatMessage[] = [
      { role: "system", content: "You track media." },
      { role: "user", content: "Add Dune by Frank Herbert" },
      { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "add_book", arguments: '{"title":"Dune"}' }] },
      { role: "tool", toolCallId: "call_1", content: '{"saved":true}' },
      { role: "assistant", content: "Saved Dune." },
      { role: "user", content: "Thanks" },
    ];
    await model().complete(conversation, [addBook]);
    const body = fake.requests[0]?.body;
    expect(body.model).toBe("test-model");
    expect(body.messages).toEqual([
      { role: "system", content: "You track media." },
      { role: "user", content: "Add Dune by Frank Herbert" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "add_book", arguments: '{"title":"Dune"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"saved":true}' },
      { role: "assistant", content: "Saved Dune." },
      { role: "user", content: "Thanks" },
    ]);
    expect(body.tools).toEqual([
      { type: "function", function: { name: "add_book", description: addBook.description, parameters: addBook.parameters } },
    ]);
    expect(body.tool_choice).toBe("auto");
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("hands a 429 back at once as retryable, with its Retry-After", async () => {
    fake.queue({ status: 429, retryAfter: 30 }, { content: "never asked" });
    const error = await model().complete(hello, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(30_000);
    expect((error as Error).message).toMatch(/^The language model is not answering \(HTTP 429/);
    expect(fake.requests.length).toBe(1);
  });

  it("obeys retry-after-ms too", () => {
    expect(retryAfter(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryAfter(new Headers({ "retry-after": "1.5" }))).toBe(1_500);
    expect(retryAfter(new Headers({ "retry-after": new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfter(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfter(new Headers())).toBeUndefined();
  });

  it("tries a failing server once: a 5xx is retryable at once, with one log line and no wait", async () => {
    fake.queue({ status: 503 }, { content: "never asked" });
    const error = await model().complete(hello, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(/HTTP 503/);
    expect((error as RetryableError).retryAfterMs).toBeUndefined();
    expect(fake.requests.length).toBe(1);
    // One line, at info: an outage the bot handles is no warning.
    expect(logs.filter((l) => JSON.parse(l).level >= 40)).toEqual([]);
    expect(logs.filter((l) => l.includes("retry in the background"))).toHaveLength(1);
  });

  it("tries a reset connection once", async () => {
    fake.queue("reset", { content: "never asked" });
    const error = await model().complete(hello, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toContain("connection failed");
    expect(fake.requests.length).toBe(1);
  });

  it("gives up on an answer slower than timeoutMs after that one attempt", async () => {
    fake.queue({ delayMs: 1_000, then: { content: "too late" } }, { content: "never asked" });
    const error = await model({ timeoutMs: 200 }).complete(hello, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toContain("timed out");
    expect(fake.requests.length).toBe(1);
  });

  it("caps the answer's tokens, with the parameter the server takes", async () => {
    // A compatible server is asked with max_tokens first.
    fake.queue(
      { status: 400, message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", code: "unsupported_parameter" },
      { content: "first" },
      { content: "second" },
    );
    const m = model({ maxTokens: 321 });
    expect((await m.complete(hello, [])).content).toBe("first");
    expect((await m.complete(hello, [])).content).toBe("second");
    const bodies = fake.requests.map((r) => r.body);
    expect(bodies[0].max_tokens).toBe(321);
    expect(bodies[0].max_completion_tokens).toBeUndefined();
    // Refused: asked again with the other name, and that is remembered.
    expect(bodies[1].max_completion_tokens).toBe(321);
    expect(bodies[1].max_tokens).toBeUndefined();
    expect(bodies[2].max_completion_tokens).toBe(321);
    expect(bodies).toHaveLength(3);
    // The default cap.
    fake.queue({ content: "x" });
    await model().complete(hello, []);
    expect(fake.requests.at(-1)!.body.max_tokens).toBe(2000);
  });

  it("says when the server stopped the answer at the token limit", async () => {
    fake.queue({ raw: JSON.stringify({ choices: [{ index: 0, finish_reason: "length", message: { role: "assistant", content: "A very long" } }] }) });
    expect(await model().complete(hello, [])).toEqual({ content: "A very long", toolCalls: [], truncated: true });
  });

  it("throws a PermanentError naming OPENAI_API_KEY on a 401, without retrying or leaking the key", async () => {
    fake.queue({ status: 401, message: `Incorrect API key provided: ${KEY}.` });
    const error = await model().complete(hello, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain("OPENAI_API_KEY was refused");
    expect((error as Error).message).not.toContain(KEY);
    expect(fake.requests.length).toBe(1);
    expect(logs.join("\n")).not.toContain(KEY);
    expect(logs.length).toBeGreaterThan(0);
  });

  it("names the fix for 404, 400 and an exhausted quota", async () => {
    fake.queue(
      { status: 404 },
      { status: 400, message: "tools are not supported" },
      { status: 429, message: "You exceeded your current quota.", code: "insufficient_quota", type: "insufficient_quota" },
    );
    const m = model();
    const notFound = await m.complete(hello, []).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(PermanentError);
    expect((notFound as Error).message).toMatch(/OPENAI_MODEL.*OPENAI_BASE_URL/);
    const bad = await m.complete(hello, [addBook]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PermanentError);
    expect((bad as Error).message).toContain("tools are not supported");
    // A 429 is a rate limit (retried) unless its code says the quota is gone.
    const quota = await m.complete(hello, []).catch((e: unknown) => e);
    expect(quota).toBeInstanceOf(PermanentError);
    expect((quota as Error).message).toContain("no quota left");
    expect(fake.requests.length).toBe(3);
  });

  it("retries a malformed answer once, then throws a PermanentError", async () => {
    fake.queue({ raw: '{"id":"x","object":"chat.completion","choices":[]}' }, { raw: "<html>not json" });
    const error = await model().complete(hello, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/^The language model's answer was malformed/);
    expect(fake.requests.length).toBe(2);
  });

  it("gets over a single malformed answer", async () => {
    fake.queue({ raw: "{}" }, { content: "fine" });
    expect((await model().complete(hello, [])).content).toBe("fine");
  });
});

describe("the model from the configuration", () => {
  it("is off without OPENAI_API_KEY and talks to OPENAI_BASE_URL with one", async () => {
    expect(createModelFromConfig(parseConfig({}))).toBeUndefined();
    expect(createModelFromConfig(parseConfig({ OPENAI_API_KEY: " " }))).toBeUndefined();
    const config = parseConfig({ OPENAI_API_KEY: "ollama", OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: "llama3.1" });
    expect(config.OPENAI_TIMEOUT_SECONDS).toBe(30);
    const m = createModelFromConfig(config);
    expect((await m!.complete(hello, [])).content).toBe("OK");
    expect(fake.requests[0]?.body.model).toBe("llama3.1");
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer ollama");
    expect(parseConfig({ OPENAI_TIMEOUT_SECONDS: "2.5" }).OPENAI_TIMEOUT_SECONDS).toBe(2.5);
    // A dead server is asked once per call.
    fake.respond(() => "reset");
    const quick = createModelFromConfig(parseConfig({ OPENAI_API_KEY: "x", OPENAI_BASE_URL: fake.baseURL, OPENAI_TIMEOUT_SECONDS: "0.2" }));
    const before = fake.requests.length;
    await expect(quick!.complete(hello, [])).rejects.toBeInstanceOf(RetryableError);
    expect(fake.requests.length).toBe(before + 1);
    expect(() => parseConfig({ OPENAI_TIMEOUT_SECONDS: "0" })).toThrow(/OPENAI_TIMEOUT_SECONDS must be more than 0 seconds/);
  });
});

// The language model as the agent sees it: a port that takes the conversation and the tools and
// returns the model's answer. The application implements it with the official openai SDK
// (src/llm/client.ts); the agent calls it only inside ctx.run, so each answer is journaled.

export interface ToolCall {
  id: string;
  name: string;
  /** The raw JSON text the model produced; validated with zod before any use. */
  arguments: string;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string | null; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; content: string };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments (from the tool's zod schema). */
  parameters: Record<string, unknown>;
}

export interface ModelReply {
  content: string | null;
  toolCalls: ToolCall[];
  /** Set when the server stopped the answer at its token limit (finish_reason "length"). */
  truncated?: boolean;
}

export interface LanguageModel {
  /**
   * One chat completion, one attempt: a transient failure (429, 5xx, a timeout, a reset) throws
   * RetryableError at once (with the server's Retry-After), so the person is told and the
   * conversation retries later in the background; a request that can never work (401, 400)
   * throws PermanentError.
   */
  complete(messages: ChatMessage[], tools: ToolSpec[]): Promise<ModelReply>;
}

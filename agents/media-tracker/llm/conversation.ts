// Plain-language messages, answered by the language model with tools. One conversation is a loop:
// "typing…", one journaled model call (ctx.run: after a crash the recorded answer is used and the
// model is not called again), the tool calls validated with zod and run as journaled steps, their
// results fed back, at most MAX_ROUNDS model calls, then the model's text as the reply.
//
// - Invalid tool arguments go back to the model once with the error; a second time, the person is
//   asked to say it differently.
// - ask_user ends the model's turn with a question and buttons ("lc:<token>:<n>"); the answer (a
//   button or typed text) continues the same conversation, kept in the chat's state.
// - A model that can't be reached (RetryableError after the client's own retries, any other
//   failure) leaves the conversation in state.llm.waiting, tells the person, and a durable timer
//   ("llm-retry") tries again with backoff, answering in order; after 24 hours it gives up with a
//   note. A model that refuses the request for good (PermanentError) gets a polite refusal.
import { z } from "zod";
import { PermanentError, RetryableError, describeError } from "../../../runtime/errors.js";
import { truncate } from "../entry-view.js";
import { type ButtonRoute, buttonData } from "../routes.js";
import type { LlmConversation, LlmState } from "../state.js";
import type { Turn } from "../turn.js";
import { memoryMessages, remember } from "./memory.js";
import type { ChatMessage, LanguageModel, ModelReply, ToolCall, ToolSpec } from "./model.js";
import { systemPrompt, toolResultContent } from "./prompt.js";
import { ASK_USER, MAX_CHOICES, TOOL_SPECS, askUserSchema, findTool, parseArguments } from "./tools.js";

/** Model calls one message may take (tool rounds plus the final answer). */
export const MAX_ROUNDS = 5;
/** The durable timer that retries requests waiting for the model. */
export const LLM_RETRY_TIMER = "llm-retry";
/** Button data prefix of the model's question's choices. */
export const CHOICE_BUTTON = "lc";
/** How long requests wait for the model before the bot gives up on them. */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;
/** Waits between retries: 1, 2, 5, 10, 30 minutes, then hourly. */
const RETRY_DELAYS_MS = [1, 2, 5, 10, 30, 60].map((m) => m * 60_000);
/** The longest wait between retries, even when the server asks for more. */
const MAX_RETRY_DELAY_MS = 6 * 60 * 60 * 1000;
/** Most requests kept while the model is down. */
export const MAX_WAITING = 20;

export const NO_MODEL_HINT =
  "I didn't understand that. I work with commands: /add_book, /add_movie, /add_show, /add_quote, /list, /find, /progress. /help lists them all.";
export const MODEL_DOWN_TEXT =
  "I can't reach the language model right now; I'll answer this when it's back. Commands like /add_book work meanwhile.";
const STILL_DOWN_TEXT =
  "I still can't reach the language model; I'll answer this after your earlier message. Commands like /add_book work meanwhile.";
const TOO_MANY_WAITING_TEXT =
  `I still can't reach the language model, and I'm already keeping ${MAX_WAITING} of your messages for when it's back, so I can't keep this one. Please use the commands (/help) or send it again later.`;
const REFUSED_TEXT =
  "Sorry, the language model couldn't handle that request. The commands always work: /help lists them.";
const REPHRASE_TEXT =
  "Sorry, I couldn't work out how to do that. Could you say it differently? The commands (/help) work too.";
const TOO_MANY_ROUNDS_TEXT =
  "Sorry, that took me too many steps. Could you ask for one thing at a time? The commands (/help) work too.";

/** The journaled outcome of one model call: always a value, so a failure replays as it happened. */
type ModelOutcome = { ok: true; reply: ModelReply } | { ok: false; kind: "unavailable" | "refused"; error: string; retryAfterMs?: number };

/** "done" (answered, asked or refused), or the model could not be reached (not before retryAfterMs, when it said). */
type Outcome = { done: true } | { done: false; retryAfterMs?: number };

function llmState(turn: Turn): LlmState {
  return (turn.state.llm ??= {});
}

function newConversation(text: string): LlmConversation {
  return { userText: text, transcript: [{ role: "user", content: text }], invalid: 0, rounds: 0 };
}

/** Free text outside a dialog: the model's conversation, or without a model a hint at the commands. */
export async function receiveFreeText(turn: Turn, text: string): Promise<void> {
  const model = turn.deps.model;
  if (!model) {
    turn.reply(NO_MODEL_HINT);
    return;
  }
  const llm = llmState(turn);
  const question = llm.question;
  let conversation: LlmConversation;
  if (question) {
    // The answer to the model's question (typed, or a button's text) continues that conversation.
    delete llm.question;
    conversation = question.conversation;
    conversation.messages?.push({ role: "user", content: text });
    conversation.transcript.push({ role: "user", content: text });
  } else if (llm.waiting?.length) {
    // Answered in order once the model is back (up to MAX_WAITING of them).
    if (llm.waiting.length >= MAX_WAITING) {
      turn.reply(TOO_MANY_WAITING_TEXT);
      return;
    }
    llm.waiting.push(newConversation(text));
    turn.reply(STILL_DOWN_TEXT);
    return;
  } else {
    conversation = newConversation(text);
  }
  const outcome = await converse(turn, model, conversation, false);
  if (!outcome.done) wait(turn, conversation, outcome.retryAfterMs);
}

/** Keeps a conversation until the model is back, and arms the retry timer if none is armed. */
function wait(turn: Turn, conversation: LlmConversation, retryAfterMs: number | undefined): void {
  const llm = llmState(turn);
  llm.waiting = [...(llm.waiting ?? []), conversation];
  if (llm.retryTimerId === undefined) {
    llm.waitingSinceMs = turn.ctx.now();
    llm.retries = 0;
    armRetry(turn, llm, retryAfterMs);
  }
  turn.reply(MODEL_DOWN_TEXT);
}

/** Arms the retry timer: the next backoff step, or later when the server asked (Retry-After). */
function armRetry(turn: Turn, llm: LlmState, retryAfterMs: number | undefined): void {
  const backoff = RETRY_DELAYS_MS[Math.min(llm.retries ?? 0, RETRY_DELAYS_MS.length - 1)]!;
  const delay = Math.min(Math.max(backoff, retryAfterMs ?? 0), MAX_RETRY_DELAY_MS);
  llm.retryTimerId = turn.ctx.setTimer(LLM_RETRY_TIMER, turn.ctx.now() + delay, {});
}

const timerMessage = z.object({ timerId: z.string(), kind: z.string() });

/** The "llm-retry" timer: answers the waiting requests in order while the model answers. */
export async function handleRetryTimer(turn: Turn): Promise<void> {
  const parsed = timerMessage.safeParse(turn.ctx.message.payload);
  const llm = turn.state.llm;
  if (!parsed.success || !llm || llm.retryTimerId !== parsed.data.timerId) return;
  delete llm.retryTimerId;
  const model = turn.deps.model;
  if (!model) return giveUp(turn, llm, "the language model is switched off now");
  for (let next = llm.waiting?.[0]; next; next = llm.waiting?.[0]) {
    const outcome = await converse(turn, model, next, true);
    if (!outcome.done) {
      if (turn.ctx.now() - (llm.waitingSinceMs ?? 0) >= GIVE_UP_AFTER_MS) return giveUp(turn, llm, "I still couldn't reach the language model after 24 hours");
      llm.retries = (llm.retries ?? 0) + 1;
      armRetry(turn, llm, outcome.retryAfterMs);
      return;
    }
    llm.waiting?.shift();
  }
  delete llm.waiting;
  delete llm.waitingSinceMs;
  delete llm.retries;
}

function giveUp(turn: Turn, llm: LlmState, why: string): void {
  const texts = (llm.waiting ?? []).map((c) => `• «${truncate(c.userText, 100)}»`);
  delete llm.waiting;
  delete llm.waitingSinceMs;
  delete llm.retries;
  if (texts.length === 0) return;
  turn.reply(`Sorry, ${why}, so I stopped trying to answer:\n${texts.join("\n")}\nPlease send them again later, or use the commands (/help).`);
}

/**
 * Runs a conversation until the model gives its final answer, asks a question, or fails. Every
 * step (the model calls, each tool) is journaled, so a replay takes the same path.
 */
async function converse(turn: Turn, model: LanguageModel, conversation: LlmConversation, delayed: boolean): Promise<Outcome> {
  let prefix = delayed ? `About your message «${truncate(conversation.userText, 80)}»:\n\n` : "";
  const say = (body: string, buttons?: Parameters<Turn["reply"]>[1]) => {
    turn.reply(prefix + body, buttons);
    prefix = "";
  };
  const messages = (conversation.messages ??= [...memoryMessages(turn), { role: "user", content: conversation.userText }]);
  const system: ChatMessage = { role: "system", content: systemPrompt(new Date(turn.ctx.now()).toISOString().slice(0, 10)) };

  for (;;) {
    if (conversation.rounds >= MAX_ROUNDS) {
      say(TOO_MANY_ROUNDS_TEXT);
      return { done: true };
    }
    // "typing…" goes out before the call: the runtime commits queued sends before a run step.
    turn.send({ type: "typing" });
    const outcome = await turn.ctx.run("llm", () => callModel(model, [system, ...messages], TOOL_SPECS), { maxAttempts: 1 });
    if (!outcome.ok) {
      if (outcome.kind === "unavailable") return { done: false, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) };
      say(REFUSED_TEXT);
      return { done: true };
    }
    conversation.rounds += 1;
    const reply = outcome.reply;
    if (reply.toolCalls.length === 0) {
      const answer = reply.content?.trim() || "OK.";
      say(answer);
      conversation.transcript.push({ role: "assistant", content: answer });
      remember(turn, conversation.transcript);
      return { done: true };
    }

    messages.push({ role: "assistant", content: reply.content, toolCalls: reply.toolCalls });
    let invalid = false;
    let question: { text: string; choices: string[] } | undefined;
    for (const call of reply.toolCalls) {
      const tool = findTool(call.name);
      const parsed = tool ? parseArguments(tool, call.arguments) : { ok: false as const, error: `There is no tool "${call.name}".` };
      if (!tool || !parsed.ok) {
        invalid = true;
        messages.push(toolMessage(call, { error: `${parsed.ok ? "" : parsed.error} Fix the arguments and call the tool again.`.trim() }));
        continue;
      }
      if (tool.name === ASK_USER) {
        const args = parsed.args as z.output<typeof askUserSchema>;
        if (question) {
          messages.push(toolMessage(call, { error: "Only one question at a time." }));
        } else {
          question = { text: args.question, choices: (args.choices ?? []).slice(0, MAX_CHOICES) };
          messages.push(toolMessage(call, { status: "The question was shown to the person; their answer is their next message." }));
        }
        continue;
      }
      let result: unknown;
      try {
        result = await tool.run(turn, parsed.args);
      } catch (error) {
        // A write that failed is recorded as failed (and fails the same way on replay).
        if (!(error instanceof PermanentError)) throw error;
        result = { error: `The tool failed: ${describeError(error).message}` };
      }
      messages.push(toolMessage(call, result));
    }

    if (invalid) {
      conversation.invalid += 1;
      if (conversation.invalid >= 2) {
        say(REPHRASE_TEXT);
        conversation.transcript.push({ role: "assistant", content: REPHRASE_TEXT });
        remember(turn, conversation.transcript);
        return { done: true };
      }
    }
    if (question) {
      ask(turn, conversation, question, say);
      return { done: true };
    }
  }
}

/** Shows the model's question with its choices as buttons and keeps the conversation for the answer. */
function ask(turn: Turn, conversation: LlmConversation, question: { text: string; choices: string[] }, say: (body: string, buttons?: Parameters<Turn["reply"]>[1]) => void): void {
  const token = turn.ctx.randomId().slice(0, 8);
  const buttons = question.choices.map((choice, i) => ({ text: truncate(choice, 60), data: buttonData(CHOICE_BUTTON, token, i) }));
  const rows = [];
  for (let i = 0; i < buttons.length; i += 2) rows.push(buttons.slice(i, i + 2));
  conversation.transcript.push({ role: "assistant", content: question.text });
  llmState(turn).question = { token, choices: question.choices, conversation };
  say(question.text, rows.length ? rows : undefined);
}

function toolMessage(call: ToolCall, result: unknown): ChatMessage {
  return { role: "tool", toolCallId: call.id, content: toolResultContent(result) };
}

async function callModel(model: LanguageModel, messages: ChatMessage[], tools: ToolSpec[]): Promise<ModelOutcome> {
  try {
    const reply = await model.complete(messages, tools);
    return {
      ok: true,
      reply: {
        content: reply.content ?? null,
        toolCalls: (reply.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) })),
      },
    };
  } catch (error) {
    // The client has already retried transient failures within its budget.
    if (error instanceof PermanentError) return { ok: false, kind: "refused", error: describeError(error).message };
    const retryAfterMs = error instanceof RetryableError ? error.retryAfterMs : undefined;
    return { ok: false, kind: "unavailable", error: describeError(error).message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
}

export const llmButtons: ButtonRoute[] = [
  {
    // "lc:<token>:<n>": a choice under the model's question; its text is the person's answer.
    prefix: CHOICE_BUTTON,
    async run(turn, [token, index], press) {
      const question = turn.state.llm?.question;
      const choice = question && question.token === token && /^\d$/.test(index ?? "") ? question.choices[Number(index)] : undefined;
      if (choice === undefined) return "That button is no longer active.";
      press.acknowledge();
      if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
      await receiveFreeText(turn, choice);
    },
  },
];

// Plain-language messages, answered by the language model with tools. One conversation is a loop:
// "typing…", one journaled model call (ctx.run: after a crash the recorded answer is used and the
// model is not called again), the tool calls validated with zod and run as journaled steps, their
// results fed back, at most MAX_ROUNDS model calls, then the reply.
//
// - The reply's account of changes is the receipts (receipts.ts), made from what the tools stored;
//   the model's text is shown only where it claims no change, cut to MAX_RELAYED_CHARS.
// - Invalid tool arguments go back to the model once with the error; a second time, the person is
//   asked to say it differently.
// - ask_user ends the model's turn with a question and buttons ("lc:<token>:<n>"); the answer (a
//   button or typed text) continues the same conversation, kept in the chat's state.
// - A model that can't be reached is tried once (src/llm/client.ts does not retry): the person is
//   told at once, the conversation waits in state.llm.waiting, and the chat goes on (commands are
//   answered at once). A durable timer ("llm-retry") retries in the background with backoff,
//   answering the waiting messages in order, each once; a new message while they wait is kept
//   behind them (the same text twice is kept once) and brings the next retry forward. While a
//   dialog or the model's question is open the waiting messages hold, and resumeWaiting() picks
//   them up once it is done. After 24 hours it gives up with a note. A model that refuses the
//   request for good (PermanentError) gets a polite refusal.
import { z } from "zod";
import { PermanentError, RetryableError, describeError } from "../../../runtime/errors.js";
import { truncate } from "../entry-view.js";
import { type ButtonRoute, buttonData } from "../routes.js";
import type { LlmConversation, LlmState } from "../state.js";
import type { Turn } from "../turn.js";
import { memoryMessages, remember } from "./memory.js";
import type { ChatMessage, LanguageModel, ModelReply, ToolCall, ToolSpec } from "./model.js";
import { systemPrompt, toolResultContent } from "./prompt.js";
import { NOTHING_CHANGED_TEXT, capModelText, receiptBlock, withoutClaims } from "./receipts.js";
import { ASK_USER, MAX_CHOICES, TOOL_SPECS, type ToolOutcome, askUserSchema, findTool, parseArguments } from "./tools.js";

/** Model calls one message may take (tool rounds plus the final answer). */
export const MAX_ROUNDS = 5;
/** Tool calls run from one model answer; more are dropped. */
export const MAX_TOOL_CALLS = 20;
/** Longest tool-call arguments kept from a model answer (longer ones are cut, so they fail to parse). */
const MAX_ARGUMENTS_CHARS = 20_000;
/** The durable timer that retries requests waiting for the model. */
export const LLM_RETRY_TIMER = "llm-retry";
/** Button data prefix of the model's question's choices. */
export const CHOICE_BUTTON = "lc";
/** How long requests wait for the model before the bot gives up on them. */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;
/** Waits between background retries: 5 s, 30 s, 1, 2, 5, 10, 30 minutes, then hourly. */
export const RETRY_DELAYS_MS = [5_000, 30_000, ...[1, 2, 5, 10, 30, 60].map((m) => m * 60_000)];
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
const ALREADY_KEPT_TEXT =
  "I'm already keeping that message, and I'll answer it once, when the language model is back. Commands like /add_book work meanwhile.";
const TOO_MANY_WAITING_TEXT =
  `I still can't reach the language model, and I'm already keeping ${MAX_WAITING} of your messages for when it's back, so I can't keep this one. Please use the commands (/help) or send it again later.`;
const HALFWAY_TEXT = "I lost the language model halfway through; I'll finish answering this when it's back.";
const REFUSED_TEXT =
  "Sorry, the language model couldn't handle that request. The commands always work: /help lists them.";
const REPHRASE_TEXT =
  "Sorry, I couldn't work out how to do that. Could you say it differently? The commands (/help) work too.";
const TOO_MANY_ROUNDS_TEXT =
  "Sorry, that took me too many steps. Could you ask for one thing at a time? The commands (/help) work too.";
const NOTHING_DONE_TEXT = `${NOTHING_CHANGED_TEXT} Could you say it differently? Commands like /add_movie work too.`;

/** The journaled outcome of one model call: always a value, so a failure replays as it happened. */
type ModelOutcome = { ok: true; reply: ModelReply } | { ok: false; kind: "unavailable" | "refused"; error: string; retryAfterMs?: number };

/** "done" (answered, asked or refused), or the model could not be reached (not before retryAfterMs, when it said). */
type Outcome = { done: true } | { done: false; retryAfterMs?: number };

type Buttons = Parameters<Turn["reply"]>[1];

function llmState(turn: Turn): LlmState {
  return (turn.state.llm ??= {});
}

function newConversation(text: string, receivedAtMs?: number): LlmConversation {
  return { userText: text, transcript: [{ role: "user", content: text }], invalid: 0, rounds: 0, ...(receivedAtMs !== undefined ? { receivedAtMs } : {}) };
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
  if (question) {
    // The answer to the model's question (typed, or a button's text) continues that conversation,
    // which is older than anything still waiting.
    delete llm.question;
    const conversation = question.conversation;
    conversation.messages?.push({ role: "user", content: text });
    conversation.transcript.push({ role: "user", content: text });
    const outcome = await converse(turn, model, conversation, false);
    if (!outcome.done) keep(turn, conversation, outcome.retryAfterMs, "first");
    return;
  }
  if (llm.waiting?.length) return queue(turn, llm, text);
  const conversation = newConversation(text);
  const outcome = await converse(turn, model, conversation, false);
  if (!outcome.done) keep(turn, conversation, outcome.retryAfterMs, "last");
}

/** A message while others wait for the model: kept behind them (once), and the next retry comes sooner. */
function queue(turn: Turn, llm: LlmState, text: string): void {
  const waiting = llm.waiting ?? [];
  const same = normalize(text);
  if (waiting.some((c) => normalize(c.userText) === same)) {
    turn.reply(ALREADY_KEPT_TEXT);
    return;
  }
  if (waiting.length >= MAX_WAITING) {
    turn.reply(TOO_MANY_WAITING_TEXT);
    return;
  }
  const now = turn.ctx.now();
  llm.waiting = [...waiting, newConversation(text, now)];
  // The person is here now: try again soon rather than at the end of a long backoff.
  if (llm.retryTimerId !== undefined) {
    const soon = Math.max(now + RETRY_DELAYS_MS[0]!, llm.notBeforeMs ?? 0);
    if ((llm.retryAtMs ?? Infinity) > soon) {
      turn.ctx.cancelTimer(llm.retryTimerId);
      armAt(turn, llm, soon);
    }
  }
  turn.reply(STILL_DOWN_TEXT);
}

function normalize(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

/** Keeps a conversation until the model is back, and arms the retry timer if none is armed. */
function keep(turn: Turn, conversation: LlmConversation, retryAfterMs: number | undefined, where: "first" | "last"): void {
  const llm = llmState(turn);
  const waiting = llm.waiting ?? [];
  llm.waiting = where === "first" ? [conversation, ...waiting] : [...waiting, conversation];
  if (llm.retryTimerId === undefined) {
    llm.waitingSinceMs ??= turn.ctx.now();
    llm.retries ??= 0;
    armRetry(turn, llm, retryAfterMs);
  }
}

/** Arms the retry timer: the next backoff step, or later when the server asked (Retry-After). */
function armRetry(turn: Turn, llm: LlmState, retryAfterMs: number | undefined): void {
  const now = turn.ctx.now();
  const backoff = RETRY_DELAYS_MS[Math.min(llm.retries ?? 0, RETRY_DELAYS_MS.length - 1)]!;
  if (retryAfterMs !== undefined) llm.notBeforeMs = now + Math.min(retryAfterMs, MAX_RETRY_DELAY_MS);
  else delete llm.notBeforeMs;
  armAt(turn, llm, now + Math.min(Math.max(backoff, retryAfterMs ?? 0), MAX_RETRY_DELAY_MS));
}

function armAt(turn: Turn, llm: LlmState, atMs: number): void {
  llm.retryAtMs = atMs;
  llm.retryTimerId = turn.ctx.setTimer(LLM_RETRY_TIMER, atMs, {});
}

/**
 * After every message: waiting requests that held for a dialog or the model's question, with no
 * retry armed, are picked up as soon as the chat is free again.
 */
export function resumeWaiting(turn: Turn): void {
  const llm = turn.state.llm;
  if (!llm?.waiting?.length || llm.retryTimerId !== undefined || llm.question || turn.state.dialog) return;
  armAt(turn, llm, Math.max(turn.ctx.now(), llm.notBeforeMs ?? 0));
}

const timerMessage = z.object({ timerId: z.string(), kind: z.string() });

/** The "llm-retry" timer: answers the waiting requests in order while the model answers. */
export async function handleRetryTimer(turn: Turn): Promise<void> {
  const parsed = timerMessage.safeParse(turn.ctx.message.payload);
  const llm = turn.state.llm;
  if (!parsed.success || !llm || llm.retryTimerId !== parsed.data.timerId) return;
  delete llm.retryTimerId;
  delete llm.retryAtMs;
  const model = turn.deps.model;
  if (!model) return giveUp(turn, llm, "the language model is switched off now");
  for (let next = llm.waiting?.[0]; next; next = llm.waiting?.[0]) {
    // The person is in a dialog or has the model's question open: answering now would cut in.
    if (turn.state.dialog || llm.question) return;
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
  delete llm.notBeforeMs;
}

function giveUp(turn: Turn, llm: LlmState, why: string): void {
  const texts = (llm.waiting ?? []).map((c) => `• «${truncate(c.userText, 100)}»`);
  delete llm.waiting;
  delete llm.waitingSinceMs;
  delete llm.retries;
  delete llm.notBeforeMs;
  if (texts.length === 0) return;
  turn.reply(`Sorry, ${why}, so I stopped trying to answer:\n${texts.join("\n")}\nPlease send them again later, or use the commands (/help).`);
}

/**
 * Runs a conversation until the model gives its final answer, asks a question, or fails. Every
 * step (the model calls, each tool) is journaled, so a replay takes the same path. Whatever is
 * said carries the receipts of the changes made since the last message, first.
 */
async function converse(turn: Turn, model: LanguageModel, conversation: LlmConversation, delayed: boolean): Promise<Outcome> {
  let prefix = delayed ? `About your message «${truncate(conversation.userText, 80)}»:\n\n` : "";
  const receipts: string[] = [];
  const say = (body: string, buttons?: Buttons): string => {
    const shown = [receipts.length > 0 ? receiptBlock(receipts) : "", body].filter((part) => part !== "").join("\n\n") || "OK.";
    receipts.length = 0;
    turn.reply(prefix + shown, buttons);
    prefix = "";
    return shown;
  };
  const end = (body: string): Outcome => {
    conversation.transcript.push({ role: "assistant", content: say(body) });
    remember(turn, conversation.transcript);
    return { done: true };
  };
  const messages = (conversation.messages ??= [...memoryMessages(turn), { role: "user", content: conversation.userText }]);
  const nowMs = turn.ctx.now();
  conversation.receivedAtMs ??= nowMs;
  const late = delayed ? { sentAt: `${new Date(conversation.receivedAtMs).toISOString().slice(0, 16).replace("T", " ")} UTC` } : undefined;
  const system: ChatMessage = { role: "system", content: systemPrompt(new Date(nowMs).toISOString().slice(0, 10), late) };

  for (;;) {
    if (conversation.rounds >= MAX_ROUNDS) {
      say(TOO_MANY_ROUNDS_TEXT);
      return { done: true };
    }
    // "typing…" goes out before the call: the runtime commits queued sends before a run step.
    turn.send({ type: "typing" });
    const outcome = await turn.ctx.run("llm", () => callModel(model, [system, ...messages], TOOL_SPECS), { maxAttempts: 1 });
    if (!outcome.ok) {
      if (outcome.kind === "refused") {
        say(REFUSED_TEXT);
        return { done: true };
      }
      // Told at once (with what was already done); a retry from the timer says nothing more unless it changed something.
      if (!delayed) say(MODEL_DOWN_TEXT);
      else if (receipts.length > 0) say(HALFWAY_TEXT);
      return { done: false, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) };
    }
    conversation.rounds += 1;
    const reply = outcome.reply;
    if (reply.toolCalls.length === 0) return end(finalText(conversation, reply.content ?? ""));

    messages.push({ role: "assistant", content: reply.content, toolCalls: reply.toolCalls });
    let invalid = false;
    let question: { text: string; choices: string[] } | undefined;
    for (const call of reply.toolCalls) {
      const tool = findTool(call.name);
      if (tool?.writes) conversation.writesTried = (conversation.writesTried ?? 0) + 1;
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
      let ran: ToolOutcome;
      try {
        ran = await tool.run(turn, parsed.args);
      } catch (error) {
        // A write that failed is recorded as failed (and fails the same way on replay).
        if (!(error instanceof PermanentError)) throw error;
        ran = { result: { error: `The tool failed: ${describeError(error).message}` } };
      }
      if (ran.receipt !== undefined) {
        receipts.push(ran.receipt);
        conversation.changes = (conversation.changes ?? 0) + 1;
      }
      if (ran.message) say(ran.message.text, ran.message.buttons);
      messages.push(toolMessage(call, ran.result));
    }

    if (invalid) {
      conversation.invalid += 1;
      if (conversation.invalid >= 2) return end(REPHRASE_TEXT);
    }
    if (question) {
      ask(turn, conversation, question, say);
      return { done: true };
    }
  }
}

/**
 * The model's last words as the person sees them: without claims of changes (the receipts tell
 * those), and a plain "nothing was saved" when it tried or claimed a change and none happened.
 */
function finalText(conversation: LlmConversation, content: string): string {
  const { kept, dropped } = withoutClaims(content.trim());
  const changedNothing = (conversation.changes ?? 0) === 0;
  if (changedNothing && ((conversation.writesTried ?? 0) > 0 || dropped > 0)) {
    if (kept !== "") return `${NOTHING_CHANGED_TEXT}\n\n${kept}`;
    return (conversation.writesTried ?? 0) > 0 ? NOTHING_DONE_TEXT : NOTHING_CHANGED_TEXT;
  }
  // With changes made, their receipts come first (say() puts them there); an empty answer is fine then.
  return kept;
}

/** Shows the model's question with its choices as buttons and keeps the conversation for the answer. */
function ask(turn: Turn, conversation: LlmConversation, question: { text: string; choices: string[] }, say: (body: string, buttons?: Buttons) => string): void {
  const token = turn.ctx.randomId().slice(0, 8);
  const buttons = question.choices.map((choice, i) => ({ text: truncate(choice, 60), data: buttonData(CHOICE_BUTTON, token, i) }));
  const rows = [];
  for (let i = 0; i < buttons.length; i += 2) rows.push(buttons.slice(i, i + 2));
  const text = withoutClaims(question.text).kept || "Could you tell me a bit more?";
  llmState(turn).question = { token, choices: question.choices, conversation };
  conversation.transcript.push({ role: "assistant", content: say(text, rows.length ? rows : undefined) });
}

function toolMessage(call: ToolCall, result: unknown): ChatMessage {
  return { role: "tool", toolCallId: call.id, content: toolResultContent(result) };
}

/** One model call, its answer bounded before it is journaled: text cut, tool calls and their arguments capped. */
async function callModel(model: LanguageModel, messages: ChatMessage[], tools: ToolSpec[]): Promise<ModelOutcome> {
  try {
    const reply = await model.complete(messages, tools);
    const content = reply.content ?? null;
    return {
      ok: true,
      reply: {
        content: content === null ? null : capModelText(content, reply.truncated === true),
        toolCalls: (reply.toolCalls ?? []).slice(0, MAX_TOOL_CALLS).map((c) => {
          const args = typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments);
          return { id: c.id, name: c.name, arguments: args.length > MAX_ARGUMENTS_CHARS ? args.slice(0, MAX_ARGUMENTS_CHARS) : args };
        }),
      },
    };
  } catch (error) {
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

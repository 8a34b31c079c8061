// One chaos chat: runs scripted conversations against the bot the way Telegram and a user would.
// Telegram's side: an update whose POST did not get a 200 is posted again (to whatever bot listens
// by then), and the chat's next update goes out only after the previous one was acknowledged.
// The user's side: the next answer is typed (or the button pressed) once the prompt has arrived.
import { makeCallbackUpdate, makeTextUpdate } from "../../test/support/fake-bot-api.js";
import type { PostResult } from "../../test/support/bot-process.js";
import type { ReplyIndex } from "./reply-index.js";
import type { Rng } from "./rng.js";
import { type Counts, type EntryKind, nextConversation, type Step } from "./scripts.js";

/** One update the chat sent, and what became of it. */
export interface SentUpdate {
  updateId: number;
  label: string;
  conversation: string;
  reply: RegExp;
  /** POSTs it took (more than one when the bot was down or died before answering). */
  posts: number;
  ackedAt?: number;
}

export interface ChatLog {
  chatId: number;
  updates: SentUpdate[];
  /** Conversations started, by name ("/add_book", "message to the model", …). */
  conversations: Record<string, number>;
  /** Entries the chat must have: one per adding conversation whose last update was acknowledged. */
  expectedEntries: Array<{ kind: EntryKind; title: string }>;
  /** Set when the chat gave up (an update never acknowledged, a reply never arrived). */
  stuck?: string;
}

export interface ChatContext {
  chatId: number;
  rng: Rng;
  /** Telegram's update ids grow across all chats. */
  nextUpdateId: () => number;
  post: (update: unknown) => Promise<PostResult>;
  replies: ReplyIndex;
  /** False once the run is winding down: the chat finishes its conversation and stops. */
  keepGoing: () => boolean;
  /** How long to keep waiting, as an absolute time; Infinity while kills are still going on. */
  deadline: () => number;
}

/** Telegram's redelivery, sped up: the first retry soon, then no more than twice a second. */
const RETRY_POST_MS = [100, 200, 300, 500];
const POLL_MS = 25;

export async function runChat(ctx: ChatContext): Promise<ChatLog> {
  const log: ChatLog = { chatId: ctx.chatId, updates: [], conversations: {}, expectedEntries: [] };
  const counts: Counts = { book: 0, movie: 0, show: 0, quote: 0 };
  let cursor = 0; // replies before this index are accounted for
  let lastPromptId: number | undefined;
  for (let n = 1; ctx.keepGoing(); n++) {
    const conversation = nextConversation(ctx.rng, ctx.chatId, n, counts);
    log.conversations[conversation.name] = (log.conversations[conversation.name] ?? 0) + 1;
    for (const [i, step] of conversation.steps.entries()) {
      const sent: SentUpdate = { updateId: ctx.nextUpdateId(), label: step.label, conversation: conversation.name, reply: step.reply, posts: 0 };
      log.updates.push(sent);
      if (!(await deliver(ctx, sent, buildUpdate(ctx.chatId, sent.updateId, step, lastPromptId)))) {
        log.stuck = `update ${sent.updateId} (${step.label}) was never acknowledged`;
        return log;
      }
      if (i === conversation.steps.length - 1 && conversation.adds) {
        log.expectedEntries.push(conversation.adds);
        counts[conversation.adds.kind] += 1;
      }
      const found = await waitForReply(ctx, step.reply, cursor);
      if (found === undefined) {
        log.stuck = `no reply matching ${String(step.reply)} to update ${sent.updateId} (${step.label})`;
        return log;
      }
      cursor = found + 1;
      lastPromptId = ctx.replies.replies(ctx.chatId)[found]!.messageId;
    }
  }
  return log;
}

function buildUpdate(chatId: number, updateId: number, step: Step, promptId: number | undefined): unknown {
  return step.input.type === "text"
    ? makeTextUpdate(updateId, chatId, step.input.text)
    : makeCallbackUpdate(updateId, chatId, step.input.data, promptId ?? 1);
}

/** POSTs until a 200, as Telegram does. False if the deadline passed first. */
async function deliver(ctx: ChatContext, sent: SentUpdate, update: unknown): Promise<boolean> {
  for (;;) {
    sent.posts += 1;
    const res = await ctx.post(update);
    if (res !== "connection-failed" && res.status === 200) {
      sent.ackedAt = Date.now();
      return true;
    }
    if (Date.now() > ctx.deadline()) return false;
    await sleep(RETRY_POST_MS[Math.min(sent.posts - 1, RETRY_POST_MS.length - 1)]!);
  }
}

/** The index of the first reply at or after `from` whose text matches, once it has arrived. */
async function waitForReply(ctx: ChatContext, pattern: RegExp, from: number): Promise<number | undefined> {
  for (;;) {
    const replies = ctx.replies.replies(ctx.chatId);
    for (let i = from; i < replies.length; i++) if (pattern.test(replies[i]!.text)) return i;
    if (Date.now() > ctx.deadline()) return undefined;
    await sleep(POLL_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

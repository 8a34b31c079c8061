// One chaos chat: runs scripted conversations against the bot the way Telegram and a user would.
// Telegram's side: an update whose POST did not get a 200 is posted again (to whatever bot listens
// by then), and the chat's next update goes out only after the previous one was acknowledged; a
// file the user sends is served by the fake Bot API's file download.
// The user's side: the next answer is typed (or the button pressed) once the prompt has arrived.
import { makeCallbackUpdate, makeDocumentUpdate, makeTextUpdate } from "../../test/support/fake-bot-api.js";
import type { PostResult } from "../../test/support/bot-process.js";
import type { Reply, ReplyIndex } from "./reply-index.js";
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
  /** Makes a file downloadable at the fake Bot API, as if the user had sent it. */
  addFile: (fileId: string, fileName: string, content: string) => void;
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
  let lastPrompt: Reply | undefined;
  for (let n = 1; ctx.keepGoing(); n++) {
    const conversation = nextConversation(ctx.rng, ctx.chatId, n, counts);
    log.conversations[conversation.name] = (log.conversations[conversation.name] ?? 0) + 1;
    for (const [i, step] of conversation.steps.entries()) {
      const sent: SentUpdate = { updateId: ctx.nextUpdateId(), label: step.label, conversation: conversation.name, reply: step.reply, posts: 0 };
      log.updates.push(sent);
      const update = buildUpdate(ctx, sent.updateId, step, lastPrompt);
      if (update === undefined) {
        log.stuck = `update ${sent.updateId} (${step.label}): the reply before it has no such button`;
        return log;
      }
      if (!(await deliver(ctx, sent, update))) {
        log.stuck = `update ${sent.updateId} (${step.label}) was never acknowledged`;
        return log;
      }
      if (i === conversation.steps.length - 1 && conversation.adds) {
        for (const entry of conversation.adds) {
          log.expectedEntries.push(entry);
          counts[entry.kind] += 1;
        }
      }
      const found = await waitForReply(ctx, step.reply, cursor);
      if (found === undefined) {
        log.stuck = `no reply matching ${String(step.reply)} to update ${sent.updateId} (${step.label})`;
        return log;
      }
      cursor = found + 1;
      lastPrompt = ctx.replies.replies(ctx.chatId)[found];
    }
  }
  return log;
}

/** The update for a step; undefined when it presses a button the previous reply doesn't have. */
function buildUpdate(ctx: ChatContext, updateId: number, step: Step, prompt: Reply | undefined): unknown {
  const { chatId } = ctx;
  const input = step.input;
  switch (input.type) {
    case "text":
      return makeTextUpdate(updateId, chatId, input.text);
    case "button":
      return makeCallbackUpdate(updateId, chatId, input.data, prompt?.messageId ?? 1);
    case "press": {
      const data = prompt?.buttons.find((b) => b.startsWith(input.prefix));
      return data === undefined ? undefined : makeCallbackUpdate(updateId, chatId, data, prompt?.messageId ?? 1);
    }
    case "document": {
      const fileId = `chaos-${chatId}-${updateId}`;
      ctx.addFile(fileId, input.fileName, input.content);
      return makeDocumentUpdate(updateId, chatId, { fileId, fileName: input.fileName, fileSize: Buffer.byteLength(input.content), mimeType: "text/csv" });
    }
  }
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

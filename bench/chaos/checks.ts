// The invariants of a chaos run, checked after quiescence against what the chats sent, the replies
// the fake Bot API received and the bot's SQLite file: nothing acknowledged is lost, no entry is
// saved twice or missing, each update wrote its reply once and replies come in order, and a reply
// is delivered twice only when a kill fell between Telegram accepting the send and the bot recording it.
import type { KillRecord } from "./bot-supervisor.js";
import type { ChatLog } from "./chat-driver.js";
import type { Reply } from "./reply-index.js";

export interface ReplyCheck {
  expected: number;
  delivered: number;
  /** Second copies of a reply, all of them. */
  duplicated: number;
  /** Second copies no kill can explain (the process that sent the first copy was never killed). */
  unexplainedDuplicates: string[];
  /** For each explained copy: ms from the first copy to the death of the process that sent it. */
  windows: Array<{ ms: number; what: string }>;
  /** The chat's outbox holds a number of text intents other than one per acknowledged update. */
  extraIntents: string[];
  outOfOrder: string[];
  /** Replies that match no update of the chat. */
  unexpected: string[];
  /** Indexes (into the chat's acknowledged updates) whose reply never arrived. */
  missing: number[];
}

/**
 * Lines up a chat's replies with its acknowledged updates, in order. A reply matching the next
 * expected one is a match; one matching the previous one again is a duplicate; anything else is out
 * of order (it matches another update) or unexpected (it matches none).
 */
export function checkReplies(chat: ChatLog, replies: readonly Reply[], intents: number, kills: readonly KillRecord[]): ReplyCheck {
  const expected = chat.updates.filter((u) => u.ackedAt !== undefined);
  const matched: Array<Reply | undefined> = new Array(expected.length);
  const check: ReplyCheck = { expected: expected.length, delivered: replies.length, duplicated: 0, unexplainedDuplicates: [], windows: [], extraIntents: [], outOfOrder: [], unexpected: [], missing: [] };
  let next = 0;
  const where = (r: Reply) => `chat ${chat.chatId}: ${JSON.stringify(r.text.slice(0, 60))} at ${new Date(r.at).toISOString()}`;
  const duplicate = (first: Reply, again: Reply) => {
    check.duplicated += 1;
    const gap = sendWindowMs(first, kills);
    if (gap === undefined) check.unexplainedDuplicates.push(`${where(again)}, first copy ${describeProcessAt(first, kills)}`);
    else check.windows.push({ ms: gap, what: `${where(again)}, first copy ${describeProcessAt(first, kills)}` });
  };
  if (intents !== expected.length) {
    check.extraIntents.push(`chat ${chat.chatId}: ${intents} text replies written for ${expected.length} acknowledged updates`);
  }
  for (const reply of replies) {
    if (next < expected.length && expected[next]!.reply.test(reply.text)) {
      matched[next++] = reply;
      while (next < expected.length && matched[next] !== undefined) next++; // passed by an out-of-order reply
      continue;
    }
    if (next > 0 && expected[next - 1]!.reply.test(reply.text)) {
      duplicate(matched[next - 1]!, reply);
      continue;
    }
    const later = expected.findIndex((u, i) => i > next && matched[i] === undefined && u.reply.test(reply.text));
    const earlier = expected.findIndex((u, i) => i < next - 1 && u.reply.test(reply.text));
    if (later >= 0) {
      check.outOfOrder.push(`${where(reply)} came before the reply to update ${expected[next]?.updateId}`);
      matched[later] = reply;
    } else if (earlier >= 0) {
      check.outOfOrder.push(`${where(reply)} repeats an older reply after newer ones`);
      duplicate(matched[earlier]!, reply);
    } else {
      check.unexpected.push(where(reply));
    }
  }
  for (let i = 0; i < expected.length; i++) if (matched[i] === undefined) check.missing.push(i);
  return check;
}

/**
 * A second copy is allowed when the process that delivered the first copy was killed before it
 * recorded the send: any kill can fall there, since the outbox sends while other work runs (and
 * the record waits for a group commit). The caller checks separately that the chat has exactly one
 * outbox intent per update, so a copy is always the same intent sent again, never a second one.
 * Returns the gap between the first copy and that death (the window we keep small), or undefined.
 */
function sendWindowMs(first: Reply, kills: readonly KillRecord[]): number | undefined {
  const k = killOfSender(first, kills);
  return k?.start.exitAt !== undefined ? k.start.exitAt - first.at : undefined;
}

/**
 * The kill of the process that sent `reply`: known by its tag at the fake Bot API; without one, the
 * process alive at the time (exact while one bot runs at a time).
 */
function killOfSender(reply: Reply, kills: readonly KillRecord[]): KillRecord | undefined {
  if (reply.via !== undefined) return kills.find((k) => k.start.via === reply.via);
  return kills.find((k) => k.start.spawnAt <= reply.at && reply.at <= (k.start.exitAt ?? Infinity));
}

/** Which process delivered a reply, and how it ended: for failure messages. */
function describeProcessAt(reply: Reply, kills: readonly KillRecord[]): string {
  const at = reply.at;
  const k = killOfSender(reply, kills);
  if (!k) return `at ${new Date(at).toISOString()} from ${reply.via ?? "the last bot"} (never killed)`;
  const how = k.plan.kind === "armed" ? `MT_CRASH_AT=${k.plan.crashAt}` : `SIGKILL ${k.plan.delayMs} ms after ${k.plan.after}`;
  return `at ${new Date(at).toISOString()} from pid ${k.start.pid} (${how}, ${k.outcome}, died at ${new Date(k.start.exitAt ?? 0).toISOString()})`;
}

export interface EntryCheck {
  expected: number;
  stored: number;
  duplicated: string[];
  missing: string[];
  /** Stored entries no conversation of the chat added. */
  unexpected: string[];
}

/** Compares each chat's expected entries with the rows of the entries table. */
export function checkEntries(chats: readonly ChatLog[], rows: ReadonlyArray<{ chat_id: string; kind: string; title: string }>): EntryCheck {
  const check: EntryCheck = { expected: 0, stored: rows.length, duplicated: [], missing: [], unexpected: [] };
  const stored = new Map<string, number>();
  for (const r of rows) stored.set(`${r.chat_id}|${r.kind}|${r.title}`, (stored.get(`${r.chat_id}|${r.kind}|${r.title}`) ?? 0) + 1);
  const wanted = new Set<string>();
  for (const chat of chats) {
    for (const e of chat.expectedEntries) {
      check.expected += 1;
      const key = `${chat.chatId}|${e.kind}|${e.title}`;
      wanted.add(key);
      const n = stored.get(key) ?? 0;
      if (n === 0) check.missing.push(key);
      if (n > 1) check.duplicated.push(`${key} ×${n}`);
    }
  }
  for (const key of stored.keys()) if (!wanted.has(key)) check.unexpected.push(key);
  return check;
}

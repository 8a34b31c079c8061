// One scripted session for the crash tests that kill the bot at every crash point: every kind of
// conversation the bot has, in seven chats that run concurrently, and the invariants a run must
// end with however often the bot was killed on the way.
//
// Chats: the four dialogs (/add_book then /export in the book chat), a plain-language message
// answered by the (fake) language model with an add_book tool call, a Goodreads import (the file,
// then its Import button), and a dialog left unanswered until its durable expiry timer fires.
// Phase 1 runs all but the movie chat. Then "a day passes": the test moves the expiry timer's due
// time into the past in the database (DIALOG_TIMEOUT_MINUTES is whole minutes, too long to wait
// for), and phase 2 runs the movie dialog, whose own timer makes the bot re-read the earliest
// timer and fire the due one (a restart would fire it too).
import { makeCallbackUpdate, makeDocumentUpdate, makeTextUpdate, type FakeBotApi, type RecordedCall, updateInboxId } from "../support/fake-bot-api.js";
import type { FakeOpenAi } from "../support/fake-openai.js";
import type { CrashHarness } from "./harness.js";

export const CHATS = { book: 9101, movie: 9102, show: 9103, quote: 9104, llm: 9105, import: 9106, timer: 9107 } as const;

const LLM_TEXT = "finished Dune yesterday, 4 stars";
/** What the model says after its tool ran; the person sees the receipt (LLM_RECEIPT) instead. */
const LLM_REPLY = "Added Dune, finished yesterday, 4 stars.";
const LLM_RECEIPT = "✅ Added book: Dune, ★★★★☆ 4/5, finished";

const IMPORT_FILE = [
  "Book Id,Title,Author,Author l-f,Additional Authors,ISBN,ISBN13,My Rating,Average Rating,Publisher,Binding,Number of Pages,Year Published,Original Publication Year,Date Read,Date Added,Bookshelves,Bookshelves with positions,Exclusive Shelf,My Review,Spoiler,Private Notes,Read Count,Owned Copies",
  `1,"Dune, Deluxe",Frank Herbert,"Herbert, Frank",,,,5,,,,,,,2024/01/02,2024/01/01,,,read,,,,1,0`,
  `2,Hyperion,Dan Simmons,"Simmons, Dan",,,,0,,,,,,,,2024/01/01,,,to-read,,,,0,0`,
  `3,Solaris,Stanisław Lem,"Lem, Stanisław",,,,4,,,,,,,,2024/01/01,,,currently-reading,,,,0,0`,
].join("\n");
const IMPORT_FILE_ID = "GR-every-point";

/** What a chat is told when one of its messages is parked; no message of the script may be. */
const PARKED_NOTICE = /^Sorry, something went wrong with your last message and I had to set it aside\./;

/** Each chat's replies (sendMessage texts, sendDocument captions), in the order they must arrive. */
export const EXPECTED_REPLIES: Record<keyof typeof CHATS, RegExp[]> = {
  book: [
    /^What's the book's title\?/,
    /^Who's the author\?/,
    /^Your rating, 1 to 5 stars\?/,
    /^Saved the book: Dune by Frank Herbert, ★★★★☆ 4\/5\.$/,
    /^Your list: 1 entry \(CSV\)$/,
    /^Your list: 1 entry \(JSON\)$/,
    /^Moving to another service\?/,
  ],
  movie: [
    /^What's the movie's title\?/,
    /^What year did it come out\?/,
    /^Your rating, 1 to 5 stars\?/,
    /^Saved the movie: Alien \(1979\), ★★★★★ 5\/5\.$/,
  ],
  show: [
    /^What's the show's title\?/,
    /^Which season are you on\?/,
    /^And which episode of that season\?/,
    /^Your rating, 1 to 5 stars\?/,
    /^Saved the show: Severance, season 2, episode 3\.$/,
  ],
  quote: [
    /^Send me the quote text/,
    /^What's the title of the work it comes from/,
    /^Who's the author\?/,
    /^Saved the quote from Dune by Frank Herbert:\n“Fear is the mind-killer\.”$/,
  ],
  llm: [new RegExp(`^${LLM_RECEIPT.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`)],
  import: [
    /^Goodreads library export \(library\.csv\): 3 books\.\n\nImport these 3\?$/,
    /^Imported 3 entries; 0 were already in your list\.$/,
  ],
  timer: [/^What's the book's title\?/, /^Your unfinished book was dropped after 24 hours without an answer\. Start again with \/add_book\.$/],
};

/** The entries the run must leave, each exactly once: chat, kind, title (in the order of the check's query). */
export const EXPECTED_ENTRIES = [
  [CHATS.book, "book", "Dune"],
  [CHATS.movie, "movie", "Alien"],
  [CHATS.show, "show", "Severance"],
  [CHATS.quote, "quote", "Dune"],
  [CHATS.llm, "book", "Dune"],
  [CHATS.import, "book", "Dune, Deluxe"],
  [CHATS.import, "book", "Hyperion"],
  [CHATS.import, "book", "Solaris"],
].map(([chat, kind, title]) => ({ chat_id: String(chat), kind, title, n: 1 }));

/** The language model's part: add the book, then (seeing the tool's result) say so. Decided by the request, so a repeated call gets the same answer. */
export function scriptModel(fake: FakeOpenAi): void {
  fake.respond((body: { messages: Array<{ role: string }> }) =>
    body.messages.at(-1)?.role === "tool"
      ? { content: LLM_REPLY }
      : { toolCalls: [{ name: "add_book", arguments: { title: "Dune", status: "finished", finishedOn: "2024-05-16", rating: 4 } }] },
  );
}

/** Update ids, fixed per step so every run sends the same updates. */
let nextUpdateId = 0;
const id = () => ++nextUpdateId;
const U = {
  book: [id(), id(), id(), id(), id()],
  movie: [id(), id(), id(), id()],
  show: [id(), id(), id(), id(), id()],
  quote: [id(), id(), id(), id()],
  llm: [id()],
  import: [id(), id()],
  timer: [id()],
};
/** Every update the script sends, as inbox ids. */
export const EXPECTED_INBOX = [...Object.values(U).flat().map((n) => updateInboxId(n))].sort();

/** Runs the whole script; the bot may die anywhere, `h` restarts it. */
export async function runScript(h: CrashHarness, timeoutMs: number): Promise<void> {
  h.api.addFile(IMPORT_FILE_ID, "library.csv", IMPORT_FILE);
  const arrived = (chat: keyof typeof CHATS, index: number) => (api: FakeBotApi) => {
    const sent = replies(api, CHATS[chat]);
    // A parked message's chat gets this notice and never its reply: say so now, not after the timeout.
    if (sent.some((c) => PARKED_NOTICE.test(replyText(c)))) {
      throw new Error(`${chat}: a message was parked (charged with too many crashes) instead of answered.\n${h.describe()}`);
    }
    return sent.some((c) => EXPECTED_REPLIES[chat][index]!.test(replyText(c)));
  };
  const dialog = async (chat: keyof typeof CHATS, texts: string[], offset = 0) => {
    for (const [i, text] of texts.entries()) {
      await h.send(`${chat} u${U[chat][i]} ${JSON.stringify(text)}`, makeTextUpdate(U[chat][i]!, CHATS[chat], text), arrived(chat, offset + i), timeoutMs);
    }
  };

  await Promise.all([
    dialog("book", ["/add_book", "Dune", "Frank Herbert", "4"]).then(() =>
      // The two documents, then the text with the other services' buttons.
      h.send(`book u${U.book[4]} /export`, makeTextUpdate(U.book[4]!, CHATS.book, "/export"), arrived("book", 6), timeoutMs),
    ),
    dialog("show", ["/add_show", "Severance", "2", "3", "/skip"]),
    dialog("quote", ["/add_quote", "Fear is the mind-killer.", "Dune", "Frank Herbert"]),
    dialog("llm", [LLM_TEXT]),
    (async () => {
      const document = { fileId: IMPORT_FILE_ID, fileName: "library.csv", fileSize: Buffer.byteLength(IMPORT_FILE), mimeType: "text/csv" };
      await h.send(`import u${U.import[0]} file`, makeDocumentUpdate(U.import[0]!, CHATS.import, document), arrived("import", 0), timeoutMs);
      // The Import button under the (last, if it was sent twice) summary.
      const summary = replies(h.api, CHATS.import).filter((c) => EXPECTED_REPLIES.import[0]!.test(replyText(c))).at(-1)!;
      const data = /"(im:[^"]+)"/.exec(JSON.stringify(summary.params.reply_markup))![1]!;
      const messageId = (summary.result as { message_id: number }).message_id;
      await h.send(`import u${U.import[1]} Import`, makeCallbackUpdate(U.import[1]!, CHATS.import, data, messageId), arrived("import", 1), timeoutMs);
    })(),
    dialog("timer", ["/add_book"]),
  ]);

  // A day passes for the unanswered dialog: its expiry timer is due now.
  const changed = h.writeDb((db) =>
    db.prepare(`UPDATE timers SET fire_at_ms = ? WHERE agent_key = ? AND kind = 'dialog-expiry' AND fired_at_ms IS NULL AND canceled_at_ms IS NULL`)
      .run(Date.now() - 1, String(CHATS.timer)).changes,
  );
  if (changed !== 1) throw new Error(`expected one armed expiry timer in the timer chat, found ${changed}.\n${h.describe()}`);
  h.note("made the timer chat's dialog-expiry timer due");

  await Promise.all([
    dialog("movie", ["/add_movie", "Alien", "1979", "5"]),
    h.waitOrRestart("timer chat's expiry", arrived("timer", 1), timeoutMs),
  ]);
  await settle(h, timeoutMs);
}

/** Waits until the bot has nothing left to do, restarting it as often as it dies meanwhile. */
export async function settle(h: CrashHarness, timeoutMs: number): Promise<void> {
  for (;;) {
    const bot = h.bot;
    try {
      await bot.waitIdle(timeoutMs);
      return;
    } catch (error) {
      if (!bot.exitInfo) throw error;
      await h.restartAfterCrash("while waiting for the bot to be idle", undefined, bot);
    }
  }
}

/** The calls that reached a chat: sends and edits with its chat_id, and answers to its buttons. */
function replies(api: FakeBotApi, chat: number): RecordedCall[] {
  return api.sent(chat).filter((c) => c.method === "sendMessage" || c.method === "sendDocument");
}

function replyText(call: RecordedCall): string {
  return String(call.method === "sendDocument" ? call.params.caption : call.params.text);
}

/**
 * Every successful outgoing call, as a key that is the same in every run however often the bot
 * died (no message ids, which shift when a message is sent twice; no file contents, which carry
 * fresh ids and times). Two calls with the same key are one message sent twice.
 */
export function outgoingKeys(api: FakeBotApi): string[] {
  return api.calls
    .filter((c) => c.failedWith === undefined && /^(send|edit|answerCallbackQuery)/.test(c.method))
    .map((c) => {
      const p = c.params;
      const what = c.method === "sendDocument" ? p.caption : c.method === "answerCallbackQuery" ? p.callback_query_id : (p.text ?? p.action ?? "");
      return `${c.method} chat=${String(p.chat_id ?? "-")} ${JSON.stringify(what)}`;
    });
}

export interface Outcome {
  /** Problems found, one line each; empty when every invariant holds. */
  violations: string[];
  /** Outgoing calls beyond the clean run's (a message delivered twice). */
  duplicates: number;
  /** Each duplicated call's key. */
  duplicated: string[];
}

/** What a run without crashes did, for comparison: its outgoing calls and its outbox rows per chat. */
export interface CleanRun {
  outgoing: string[];
  outboxRows: unknown[];
}

export function describeCleanRun(h: CrashHarness): CleanRun {
  return { outgoing: outgoingKeys(h.api), outboxRows: outboxRows(h) };
}

function outboxRows(h: CrashHarness): unknown[] {
  return h.readDb((d) => d.prepare(`SELECT agent_key, COUNT(*) AS n FROM outbox GROUP BY agent_key ORDER BY agent_key`).all());
}

/**
 * Checks the invariants after a run (the bot stopped): every update handled exactly once, every
 * entry present exactly once, each chat's replies in order and none missing, every outgoing
 * message queued once and delivered; counts the duplicates against the clean run's calls.
 */
export function checkRun(h: CrashHarness, clean: CleanRun | undefined): Outcome {
  const violations: string[] = [];
  const db = h.readDb((d) => ({
    entries: d.prepare(`SELECT chat_id, kind, title, COUNT(*) AS n FROM entries GROUP BY chat_id, kind, title ORDER BY chat_id, kind, title`).all(),
    inbox: d.prepare(`SELECT id, status FROM inbox ORDER BY id`).all() as Array<{ id: string; status: string }>,
    outbox: d.prepare(`SELECT status, COUNT(*) AS n FROM outbox GROUP BY status`).all() as Array<{ status: string; n: number }>,
    imports: d.prepare(`SELECT applied_at_ms IS NOT NULL AS applied FROM imports`).all(),
  }));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  if (!same(db.entries, EXPECTED_ENTRIES)) violations.push(`entries: ${JSON.stringify(db.entries)}`);
  if (!same(db.imports, [{ applied: 1 }])) violations.push(`imports: ${JSON.stringify(db.imports)}`);
  // Each update (and the one timer message) stored once and handled to the end.
  const tg = db.inbox.filter((r) => r.id.startsWith("tg:"));
  if (!same(tg.map((r) => r.id).sort(), EXPECTED_INBOX)) violations.push(`inbox ids: ${tg.map((r) => r.id).join(" ")}`);
  const timers = db.inbox.filter((r) => r.id.startsWith("timer:"));
  if (timers.length !== 1) violations.push(`timer messages: ${JSON.stringify(timers)}`);
  const notDone = db.inbox.filter((r) => r.status !== "done");
  if (notDone.length > 0) violations.push(`inbox rows not done: ${JSON.stringify(notDone)}`);
  const undelivered = db.outbox.filter((r) => r.status !== "sent");
  if (undelivered.length > 0) violations.push(`outbox rows not sent: ${JSON.stringify(undelivered)}`);

  // Each chat's replies: the expected ones in order, a repeat only of the one just before.
  for (const chat of Object.keys(CHATS) as Array<keyof typeof CHATS>) {
    const expected = EXPECTED_REPLIES[chat];
    let next = 0;
    for (const call of replies(h.api, CHATS[chat])) {
      const text = replyText(call);
      const index = expected.findIndex((p) => p.test(text));
      if (index === next) next++;
      else if (index < 0 || index !== next - 1) violations.push(`${chat}: reply ${JSON.stringify(text.slice(0, 80))} unexpected or out of order`);
    }
    if (next !== expected.length) violations.push(`${chat}: only ${next} of ${expected.length} replies arrived`);
  }

  // Outgoing calls against the clean run: each queued once (no message handled twice), none
  // missing; the extra calls are the same queued message delivered twice.
  const duplicated: string[] = [];
  if (clean) {
    const rows = outboxRows(h);
    if (!same(rows, clean.outboxRows)) violations.push(`outbox rows per chat: ${JSON.stringify(rows)}, clean run: ${JSON.stringify(clean.outboxRows)}`);
    const left = countBy(clean.outgoing);
    for (const key of outgoingKeys(h.api)) {
      const n = left.get(key) ?? 0;
      if (n > 0) left.set(key, n - 1);
      else duplicated.push(key);
    }
    for (const [key, n] of left) if (n > 0) violations.push(`missing outgoing call (${n}×): ${key}`);
  }
  return { violations, duplicates: duplicated.length, duplicated };
}

export function countBy(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

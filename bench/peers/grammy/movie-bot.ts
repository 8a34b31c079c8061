// The grammY bot: /start, /movies, the /add_movie conversation and the fallback hint. Session and
// conversation state live in SQLite through SqliteStorage; it never starts polling or a server.
import {
  type Conversation,
  type ConversationFlavor,
  conversations,
  createConversation,
} from "@grammyjs/conversations";
import { Bot, type Context, InlineKeyboard, type LazySessionFlavor, lazySession } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type Database from "better-sqlite3";
import { MovieStore } from "./movies.js";
import { SqliteStorage } from "./sqlite-storage.js";

interface SessionData {
  /** Set by the first /start, so a later one says "welcome back". */
  greeted: boolean;
}

/** Context of the ordinary middleware (lazy session + conversation controls). */
export type BotContext = ConversationFlavor<Context & LazySessionFlavor<SessionData>>;
/** Context inside the conversation: plain, the dialog needs no plugins. */
type DialogContext = Context;
type DialogConversation = Conversation<BotContext, DialogContext>;

export const MIN_YEAR = 1870;
export const MAX_YEAR = 2100;
const MAX_TITLE_LENGTH = 200;
const LIST_LIMIT = 50;

const WELCOME =
  "Hi! I keep track of the movies you watch.\n/add_movie adds one (title, year, rating), /movies lists them.";
const WELCOME_BACK = "Welcome back! /add_movie adds a movie, /movies lists the ones you have.";
const HINT = "I didn't understand that. Try /add_movie or /movies.";
const TITLE_QUESTION = "What's the movie's title?";
const YEAR_QUESTION = "What year did it come out?";
const RATING_QUESTION = "How would you rate it, from 1 to 5?";
const RATING_KEYBOARD = new InlineKeyboard()
  .text("1", "rate:1")
  .text("2", "rate:2")
  .text("3", "rate:3")
  .text("4", "rate:4")
  .text("5", "rate:5");

/**
 * Builds the bot on an open database. `botInfo` is given so that start-up never calls getMe.
 * Handler errors are not caught here: they reach webhookCallback, whose caller answers 500.
 */
export function createMovieBot(options: {
  token: string;
  apiRoot?: string;
  botInfo: UserFromGetMe;
  db: Database.Database;
}): Bot<BotContext> {
  const movies = new MovieStore(options.db);
  const bot = new Bot<BotContext>(options.token, {
    botInfo: options.botInfo,
    ...(options.apiRoot ? { client: { apiRoot: options.apiRoot } } : {}),
  });

  // Lazy: only updates that touch ctx.session (here /start) read and write the sessions table.
  bot.use(lazySession({ initial: (): SessionData => ({ greeted: false }), storage: new SqliteStorage<SessionData>(options.db, "sessions") }));
  // Conversation state per chat; bump `version` whenever addMovie changes shape, so old replays are dropped.
  bot.use(conversations({ storage: { type: "key", version: 1, adapter: new SqliteStorage(options.db, "conversations") } }));

  // Before the conversation: these answer even in the middle of a dialog, which then goes on.
  bot.command("start", async (ctx) => {
    const session = await ctx.session;
    const text = session.greeted ? WELCOME_BACK : WELCOME;
    session.greeted = true;
    await ctx.reply(text);
  });
  bot.command("movies", (ctx) => ctx.reply(formatList(movies.list(ctx.chat.id, LIST_LIMIT))));

  bot.use(createConversation<BotContext, DialogContext>(addMovieDialog(movies), "addMovie"));
  bot.command("add_movie", (ctx) => ctx.conversation.enter("addMovie"));

  bot.on("message", (ctx) => ctx.reply(HINT));
  bot.on("callback_query", (ctx) => ctx.answerCallbackQuery({ text: "That button is no longer active. Try /add_movie." }));
  return bot;
}

// ---------------------------------------------------------------------------------------------
// The /add_movie conversation (replayed from its stored log on every update of the chat)

function addMovieDialog(movies: MovieStore) {
  return async function addMovie(conversation: DialogConversation, ctx: DialogContext): Promise<void> {
    await ctx.reply(TITLE_QUESTION);
    let title: string;
    for (;;) {
      const answer = await nextText(conversation, TITLE_QUESTION);
      title = answer.msg.text.trim();
      if (title.length <= MAX_TITLE_LENGTH) {
        await answer.reply(YEAR_QUESTION);
        break;
      }
      await answer.reply(`Please keep the title under ${MAX_TITLE_LENGTH} characters.\n${TITLE_QUESTION}`);
    }

    let year: number;
    for (;;) {
      const answer = await nextText(conversation, YEAR_QUESTION);
      const parsed = parseYear(answer.msg.text);
      if (parsed !== undefined) {
        year = parsed;
        await answer.reply(RATING_QUESTION, { reply_markup: RATING_KEYBOARD });
        break;
      }
      await answer.reply(`The year must be a whole number from ${MIN_YEAR} to ${MAX_YEAR}, like 1999.\n${YEAR_QUESTION}`);
    }

    const { rating, answer } = await nextRating(conversation);
    // external: the insert runs once, not again when a later replay passes this point.
    await conversation.external((outside) => movies.add(outside.chat!.id, { title, year, rating, addedAt: Date.now() }));
    await answer.reply(`Saved: ${title} (${year}) rated ${rating}/5`);
  };
}

/** The next text message of the dialog. A command ends the dialog and goes on to the ordinary handlers. */
async function nextText(conversation: DialogConversation, question: string) {
  const answer = await conversation.waitFor("message:text", { otherwise: (other) => remind(other, question) });
  if (startsWithCommand(answer)) await conversation.halt({ next: true });
  return answer;
}

/** A rating from a button press (answered) or a typed digit; anything else asks again. */
async function nextRating(conversation: DialogConversation): Promise<{ rating: number; answer: DialogContext }> {
  for (;;) {
    const answer = await conversation.waitFor(["callback_query:data", "message:text"], {
      otherwise: (other) => remind(other, RATING_QUESTION, RATING_KEYBOARD),
    });
    if (answer.has("callback_query:data")) {
      const pressed = /^rate:([1-5])$/.exec(answer.callbackQuery.data);
      if (pressed) {
        await answer.answerCallbackQuery();
        return { rating: Number(pressed[1]), answer };
      }
      await answer.answerCallbackQuery({ text: "Please pick a rating from 1 to 5." });
      continue;
    }
    if (!answer.has("message:text")) continue;
    if (startsWithCommand(answer)) await conversation.halt({ next: true });
    const typed = /^\s*([1-5])\s*$/.exec(answer.msg.text);
    if (typed) return { rating: Number(typed[1]), answer };
    await answer.reply(`Please rate it with a whole number from 1 to 5.\n${RATING_QUESTION}`, { reply_markup: RATING_KEYBOARD });
  }
}

/** Repeats the question for an update the current step cannot use (a sticker, an old button). */
async function remind(ctx: DialogContext, question: string, keyboard?: InlineKeyboard): Promise<void> {
  if (ctx.callbackQuery) {
    await ctx.answerCallbackQuery({ text: question });
  } else if (ctx.message) {
    await ctx.reply(`Please answer with text.\n${question}`, keyboard ? { reply_markup: keyboard } : {});
  }
}

function startsWithCommand(ctx: DialogContext): boolean {
  return ctx.msg?.entities?.some((e) => e.type === "bot_command" && e.offset === 0) ?? false;
}

/** A whole year between MIN_YEAR and MAX_YEAR, or undefined. */
export function parseYear(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{4}$/.test(trimmed)) return undefined;
  const year = Number(trimmed);
  return year >= MIN_YEAR && year <= MAX_YEAR ? year : undefined;
}

function formatList({ movies, total }: ReturnType<MovieStore["list"]>): string {
  if (total === 0) return "You haven't added any movies yet. Try /add_movie.";
  const lines = movies.map((m, i) => `${i + 1}. ${m.title} (${m.year}) — ${m.rating}/5`);
  if (total > movies.length) lines.push(`…and ${total - movies.length} more.`);
  return `Your movies (${total}):\n${lines.join("\n")}`;
}

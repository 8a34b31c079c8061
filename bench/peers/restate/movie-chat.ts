// The bot itself: one Restate virtual object per chat (the object key is the chat id). Restate runs
// at most one handler per key at a time, so a chat's updates are handled one after another, in the
// order the ingress accepted them, with the chat's state (the open dialog and its movies) read and
// written through ctx.get/ctx.set. Every Bot API call is a journaled ctx.run step: after a crash or
// restart, a replayed invocation reuses the recorded result instead of calling Telegram again.
import * as restate from "@restatedev/restate-sdk";
import { type BotApiConfig, type BotApiResult, callBotApi } from "./telegram.js";

export const OBJECT_NAME = "MovieChat";
export const HANDLER_NAME = "onUpdate";

export const MIN_YEAR = 1870;
export const MAX_YEAR = 2100;
const MAX_TITLE_LENGTH = 200;
const RATING_DATA_PREFIX = "rate:";

export const TEXT = {
  greeting: "Hi! I keep a list of the movies you watch. Send /add_movie to add one, /movies to see your list.",
  askTitle: "What's the movie's title?",
  askTitleAgain: "The title can't be empty (and at most 200 characters). What's the movie's title?",
  askYear: `What year did it come out? (${MIN_YEAR}-${MAX_YEAR})`,
  badYear: `The year must be a whole number from ${MIN_YEAR} to ${MAX_YEAR}. What year did it come out?`,
  askRating: "Your rating, 1 to 5? Tap a button or type the number.",
  badRating: "The rating must be a whole number from 1 to 5. Your rating, 1 to 5?",
  hint: "I didn't understand that. Try /add_movie or /movies.",
  noMovies: "No movies yet. Add one with /add_movie.",
  staleButton: "That button is no longer active.",
} as const;

export const saved = (m: Movie): string => `Saved: ${m.title} (${m.year}) rated ${m.rating}/5`;

export interface Movie {
  title: string;
  year: number;
  rating: number;
}

/** Where the /add_movie dialog is; absent when no dialog is open. */
type Dialog = { step: "title" } | { step: "year"; title: string } | { step: "rating"; title: string; year: number };

/** The parts of a Telegram update this bot reads. */
export interface TelegramUpdate {
  update_id: number;
  message?: { chat: { id: number }; text?: string };
  callback_query?: { id: string; data?: string; message?: { chat: { id: number } } };
}

const RATING_KEYBOARD = {
  inline_keyboard: [[1, 2, 3, 4, 5].map((n) => ({ text: String(n), callback_data: `${RATING_DATA_PREFIX}${n}` }))],
};

export function movieChat(botApi: BotApiConfig) {
  const send = (ctx: restate.ObjectContext, text: string, replyMarkup?: object): Promise<BotApiResult> =>
    ctx.run("sendMessage", () =>
      callBotApi(botApi, "sendMessage", { chat_id: ctx.key, text, ...(replyMarkup ? { reply_markup: replyMarkup } : {}) }),
    );

  /** The dialog's answer to one piece of user input (typed text or a pressed rating button). */
  async function answerDialog(ctx: restate.ObjectContext, dialog: Dialog, input: string): Promise<void> {
    switch (dialog.step) {
      case "title": {
        const title = input.trim();
        if (title === "" || title.length > MAX_TITLE_LENGTH) {
          await send(ctx, TEXT.askTitleAgain);
          return;
        }
        ctx.set<Dialog>("dialog", { step: "year", title });
        await send(ctx, TEXT.askYear);
        return;
      }
      case "year": {
        const year = parseWholeNumber(input);
        if (year === undefined || year < MIN_YEAR || year > MAX_YEAR) {
          await send(ctx, TEXT.badYear);
          return;
        }
        ctx.set<Dialog>("dialog", { step: "rating", title: dialog.title, year });
        await send(ctx, TEXT.askRating, RATING_KEYBOARD);
        return;
      }
      case "rating": {
        const rating = parseWholeNumber(input);
        if (rating === undefined || rating < 1 || rating > 5) {
          await send(ctx, TEXT.badRating, RATING_KEYBOARD);
          return;
        }
        const movie: Movie = { title: dialog.title, year: dialog.year, rating };
        const movies = (await ctx.get<Movie[]>("movies")) ?? [];
        ctx.set<Movie[]>("movies", [...movies, movie]);
        ctx.clear("dialog");
        await send(ctx, saved(movie));
        return;
      }
    }
  }

  async function onMessage(ctx: restate.ObjectContext, text: string | undefined): Promise<void> {
    const command = text === undefined ? undefined : /^\/([A-Za-z0-9_]+)(?:@\S+)?(?:\s|$)/.exec(text)?.[1]?.toLowerCase();
    if (command !== undefined) {
      // A command always ends whatever dialog was open.
      ctx.clear("dialog");
      switch (command) {
        case "start":
          await send(ctx, TEXT.greeting);
          return;
        case "add_movie":
          ctx.set<Dialog>("dialog", { step: "title" });
          await send(ctx, TEXT.askTitle);
          return;
        case "movies":
          await send(ctx, listMovies((await ctx.get<Movie[]>("movies")) ?? []));
          return;
        default:
          await send(ctx, TEXT.hint);
          return;
      }
    }
    const dialog = await ctx.get<Dialog>("dialog");
    if (!dialog) {
      await send(ctx, TEXT.hint);
      return;
    }
    // A photo or sticker in the middle of the dialog: the current question again.
    await answerDialog(ctx, dialog, text ?? "");
  }

  async function onButton(ctx: restate.ObjectContext, query: NonNullable<TelegramUpdate["callback_query"]>): Promise<void> {
    const dialog = await ctx.get<Dialog>("dialog");
    const data = query.data ?? "";
    const live = dialog?.step === "rating" && data.startsWith(RATING_DATA_PREFIX);
    // Answered first so the button's spinner stops whatever comes next.
    await ctx.run("answerCallbackQuery", () =>
      callBotApi(botApi, "answerCallbackQuery", { callback_query_id: query.id, ...(live ? {} : { text: TEXT.staleButton }) }),
    );
    if (live) await answerDialog(ctx, dialog, data.slice(RATING_DATA_PREFIX.length));
  }

  return restate.object({
    name: OBJECT_NAME,
    handlers: {
      [HANDLER_NAME]: async (ctx: restate.ObjectContext, update: TelegramUpdate | null): Promise<void> => {
        // Only the webhook receiver should call this, with a parsed update; anything else is refused
        // for good (a TerminalError is not retried).
        if (typeof update !== "object" || update === null) throw new restate.TerminalError("expected a Telegram update");
        if (update.callback_query) await onButton(ctx, update.callback_query);
        else if (update.message) await onMessage(ctx, update.message.text);
      },
    },
  });
}

function listMovies(movies: readonly Movie[]): string {
  if (movies.length === 0) return TEXT.noMovies;
  return ["Your movies:", ...movies.map((m, i) => `${i + 1}. ${m.title} (${m.year}) rated ${m.rating}/5`)].join("\n");
}

function parseWholeNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return /^\d{1,6}$/.test(trimmed) ? Number(trimmed) : undefined;
}

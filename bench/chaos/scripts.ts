// The scripted conversations a chaos chat runs: each step is one update (a typed message, a button
// press or a file sent for import) and the reply it must get, recognised by its text. Chosen from a
// seeded generator, so a seed always gives the same conversations. Titles carry the chat and a
// counter, so every entry a chat adds is unique and can be found in the entries table.
import { llmMessage, llmReceipt } from "./fake-model.js";
import type { Rng } from "./rng.js";

export type EntryKind = "book" | "movie" | "show" | "quote";

/** One update of a conversation and the reply that must follow it. */
export interface Step {
  /** What the user does: type a text, press a button under the reply of the previous step, or send a file. */
  input:
    | { type: "text"; text: string }
    | { type: "button"; data: string }
    /** The button under the previous step's reply whose data starts with `prefix` (its id is the bot's). */
    | { type: "press"; prefix: string }
    | { type: "document"; fileName: string; content: string };
  /** The reply's text. */
  reply: RegExp;
  /** For the report: what the step is. */
  label: string;
}

export interface Conversation {
  name: string;
  steps: Step[];
  /** The entries the conversation adds once its last update is acknowledged (none for a list). */
  adds?: Array<{ kind: EntryKind; title: string }>;
}

/** How many entries of each kind the chat has: a list's reply names the count. */
export type Counts = Record<EntryKind, number>;

const RATING_PROMPT = /^Your rating, 1 to 5 stars\?/;

/** The next conversation for a chat; `n` numbers the chat's conversations, `counts` its entries so far. */
export function nextConversation(rng: Rng, chatId: number, n: number, counts: Counts): Conversation {
  const kind = rng.pick(["add_book", "add_movie", "add_show", "add_quote", "add_book", "add_movie", "list", "llm", "import"] as const);
  const tag = `c${chatId}-${n}`;
  switch (kind) {
    case "add_book": {
      const title = `Book ${tag}`;
      const rating = rng.int(1, 5);
      return {
        name: "/add_book",
        adds: [{ kind: "book", title }],
        steps: [
          text("/add_book", /^What's the book's title\?/),
          text(title, /^Who's the author\?/),
          text(`Author ${tag}`, RATING_PROMPT),
          ratingStep(rng, rating, new RegExp(`^Saved the book: ${escape(title)} by Author ${escape(tag)}, `)),
        ],
      };
    }
    case "add_movie": {
      const title = `Movie ${tag}`;
      const year = rng.int(1950, 2025);
      return {
        name: "/add_movie",
        adds: [{ kind: "movie", title }],
        steps: [
          text("/add_movie", /^What's the movie's title\?/),
          text(title, /^What year did it come out\?/),
          text(String(year), RATING_PROMPT),
          ratingStep(rng, rng.int(1, 5), new RegExp(`^Saved the movie: ${escape(title)} \\(${year}\\), `)),
        ],
      };
    }
    case "add_show": {
      const title = `Show ${tag}`;
      const season = rng.int(1, 9);
      const episode = rng.int(1, 24);
      const saved = `^Saved the show: ${escape(title)}, season ${season}, episode ${episode}`;
      const last =
        rng.next() < 0.3
          ? { input: { type: "button" as const, data: "answer:/skip" }, reply: new RegExp(`${saved}\\.$`), label: "Skip button" }
          : ratingStep(rng, rng.int(1, 5), new RegExp(`${saved}, `));
      return {
        name: "/add_show",
        adds: [{ kind: "show", title }],
        steps: [
          text("/add_show", /^What's the show's title\?/),
          text(title, /^Which season are you on\?/),
          text(String(season), /^And which episode of that season\?/),
          text(String(episode), RATING_PROMPT),
          last,
        ],
      };
    }
    case "add_quote": {
      const title = `Work ${tag}`;
      return {
        name: "/add_quote",
        adds: [{ kind: "quote", title }],
        steps: [
          text("/add_quote", /^Send me the quote text/),
          text(`Quote ${tag}: all happy families are alike.`, /^What's the title of the work it comes from/),
          text(title, /^Who's the author\?/),
          text(`Writer ${tag}`, new RegExp(`^Saved the quote from ${escape(title)} by Writer ${escape(tag)}:`)),
        ],
      };
    }
    case "llm": {
      // Plain language: the (fake) model adds the book with a tool call, then confirms.
      const title = `Novel ${tag}`;
      const stars = rng.int(1, 5);
      return {
        name: "message to the model",
        adds: [{ kind: "book", title }],
        steps: [text(llmMessage(title, stars), new RegExp(`^${escape(llmReceipt(title, stars))}$`))],
      };
    }
    case "import": {
      // A small Goodreads export sent as a file (downloaded from the fake Bot API), then Import.
      const books = rng.int(1, 4);
      const fileName = `goodreads-${tag}.csv`;
      const titles = Array.from({ length: books }, (_, i) => `Imported ${tag} #${i + 1}`);
      const rows = titles.map((title, i) => `${n * 10 + i},${title},Author ${tag},${rng.int(0, 5)},read,2024/01/02`);
      const content = ["Book Id,Title,Author,My Rating,Exclusive Shelf,Date Added", ...rows].join("\n");
      const these = books === 1 ? "1 book\\.\n\nImport it\\?" : `${books} books\\.\n\nImport these ${books}\\?`;
      return {
        name: "import file",
        adds: titles.map((title) => ({ kind: "book" as const, title })),
        steps: [
          { input: { type: "document", fileName, content }, reply: new RegExp(`^Goodreads library export \\(${escape(fileName)}\\): ${these}$`), label: `file ${fileName}` },
          {
            input: { type: "press", prefix: "im:" },
            reply: new RegExp(`^Imported ${books} ${books === 1 ? "entry" : "entries"}; 0 were already in your list\\.$`),
            label: "Import button",
          },
        ],
      };
    }
    case "list": {
      const plural = rng.pick(["books", "movies"] as const);
      const count = counts[plural === "books" ? "book" : "movie"];
      // The count in the list's title is a live check that no entry was saved twice or lost.
      const reply = count === 0 ? new RegExp(`^You haven't added any ${plural} yet\\.`) : new RegExp(`^Your ${plural} \\(${count.toLocaleString("en-US")}\\):`);
      return { name: `/${plural}`, steps: [text(`/${plural}`, reply)] };
    }
  }
}

function text(value: string, reply: RegExp): Step {
  return { input: { type: "text", text: value }, reply, label: value.startsWith("/") ? value : `"${value}"` };
}

/** A rating answered with a star button under the prompt, or typed (now and then a half star). */
function ratingStep(rng: Rng, stars: number, reply: RegExp): Step {
  if (rng.next() < 0.6) return { input: { type: "button", data: `answer:${stars}` }, reply, label: `rating button ${stars}` };
  const typed = stars < 5 && rng.next() < 0.3 ? `${stars}.5` : String(stars);
  return text(typed, reply);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

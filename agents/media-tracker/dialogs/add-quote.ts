// /add_quote: the quote text, then the title of the work it comes from, then its author, as in the
// original bot. The entry's title is the work's; the quote itself is its quoteText.
import { parseAuthor, parseQuoteText, parseTitle, MAX_QUOTE_LENGTH } from "../fields.js";
import { type DialogSpec, saveNewEntry } from "./dialog.js";

export const addQuote: DialogSpec = {
  name: "add_quote",
  version: 1,
  noun: "quote",
  description: "save a quote (quote text, title of the work, author)",
  fields: [
    {
      name: "text",
      label: "quote text",
      prompt: `Send me the quote text (up to ${MAX_QUOTE_LENGTH.toLocaleString("en-US")} characters).`,
      parse: parseQuoteText,
    },
    { name: "title", prompt: "What's the title of the work it comes from (a book, a movie, a show…)?", parse: parseTitle },
    { name: "author", prompt: "Who's the author?", parse: parseAuthor },
  ],
  async save(turn, data) {
    const entry = await saveNewEntry(turn, () => ({
      kind: "quote",
      title: data.title as string,
      quoteText: data.text as string,
      author: data.author as string,
    }));
    return `Saved the quote from ${entry.title} by ${entry.author!}:\n“${entry.quoteText!}”`;
  },
};

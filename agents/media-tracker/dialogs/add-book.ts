// /add_book: title, then author, then rating, as in the original bot.
import { formatRating, parseAuthor, parseRating, parseTitle } from "../fields.js";
import { RATING_BUTTONS, RATING_PROMPT } from "./add-movie.js";
import { type DialogSpec, saveNewEntry } from "./dialog.js";
import { providerFieldsOf } from "./lookup.js";

export const addBook: DialogSpec = {
  name: "add_book",
  // v2 looks the title up (same fields, same order): a v1 dialog in flight goes on where it was.
  version: 2,
  lookup: "book",
  migrate: (old) => (old.version === 1 ? { ...old, version: 2, data: { ...old.data } } : undefined),
  noun: "book",
  description: "add a book (title, author, rating)",
  fields: [
    { name: "title", prompt: "What's the book's title?", parse: parseTitle },
    { name: "author", prompt: "Who's the author?", parse: parseAuthor },
    { name: "rating", prompt: RATING_PROMPT, parse: parseRating, buttons: RATING_BUTTONS },
  ],
  async save(turn, data) {
    const entry = await saveNewEntry(turn, () => ({
      kind: "book",
      ...providerFieldsOf(data),
      title: data.title as string,
      author: data.author as string,
      rating: data.rating as number,
    }));
    return `Saved the book: ${entry.title} by ${entry.author!}, ${formatRating(entry.rating!)}.`;
  },
};

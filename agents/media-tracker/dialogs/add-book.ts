// /add_book: title, then author, then rating, as in the original bot.
import { formatRating, parseAuthor, parseRating, parseTitle } from "../fields.js";
import { RATING_BUTTONS, RATING_PROMPT } from "./add-movie.js";
import { type DialogSpec, saveNewEntry } from "./dialog.js";

export const addBook: DialogSpec = {
  name: "add_book",
  version: 1,
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
      title: data.title as string,
      author: data.author as string,
      rating: data.rating as number,
    }));
    return `Saved the book: ${entry.title} by ${entry.author!}, ${formatRating(entry.rating!)}.`;
  },
};

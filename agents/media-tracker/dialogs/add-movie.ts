// /add_movie: title, then year, then rating, as in the original bot; the watch date is the day added.
import { formatRating, MAX_YEAR, MIN_YEAR, parseRating, parseTitle, parseYear } from "../fields.js";
import { ANSWER_PREFIX, type DialogSpec, saveNewEntry } from "./dialog.js";
import { providerFieldsOf } from "./lookup.js";

export const RATING_BUTTONS = [[1, 2, 3, 4, 5].map((n) => ({ text: "★".repeat(n), data: `${ANSWER_PREFIX}${n}` }))];
export const RATING_PROMPT = "Your rating, 1 to 5 stars? Tap a button or type it (half stars like 3.5 are fine).";

export const addMovie: DialogSpec = {
  name: "add_movie",
  // v2 looks the title up (same fields, same order): a v1 dialog in flight goes on where it was.
  version: 2,
  lookup: "movie",
  migrate: (old) => (old.version === 1 ? { ...old, version: 2, data: { ...old.data } } : undefined),
  noun: "movie",
  description: "add a movie (title, year, rating)",
  fields: [
    { name: "title", prompt: "What's the movie's title?", parse: parseTitle },
    { name: "year", prompt: `What year did it come out? (${MIN_YEAR}–${MAX_YEAR})`, parse: parseYear },
    {
      name: "rating",
      prompt: RATING_PROMPT,
      parse: parseRating,
      buttons: RATING_BUTTONS,
    },
  ],
  async save(turn, data) {
    const entry = await saveNewEntry(turn, (addedAtMs) => ({
      kind: "movie",
      ...providerFieldsOf(data),
      title: data.title as string,
      year: data.year as number,
      rating: data.rating as number,
      // Added through the dialog means just watched: the watch date is the day it was added (UTC).
      watchedOn: new Date(addedAtMs).toISOString().slice(0, 10),
    }));
    return `Saved the movie: ${entry.title} (${entry.year}), ${formatRating(entry.rating!)}.`;
  },
};

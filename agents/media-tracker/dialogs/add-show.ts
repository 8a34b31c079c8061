// /add_show: title, season, episode, then an optional rating (/skip leaves it out), as in the
// original bot. A show added this way is one being watched.
import { formatRating, MAX_EPISODE, MAX_SEASON, parseEpisode, parseRating, parseSeason, parseTitle } from "../fields.js";
import { RATING_BUTTONS, RATING_PROMPT } from "./add-movie.js";
import { ANSWER_PREFIX, type DialogSpec, saveNewEntry } from "./dialog.js";
import { providerFieldsOf } from "./lookup.js";

export const addShow: DialogSpec = {
  name: "add_show",
  // v2 looks the title up (same fields, same order): a v1 dialog in flight goes on where it was.
  version: 2,
  lookup: "show",
  migrate: (old) => (old.version === 1 ? { ...old, version: 2, data: { ...old.data } } : undefined),
  noun: "show",
  description: "add a show you're watching (title, season, episode, rating)",
  fields: [
    { name: "title", prompt: "What's the show's title?", parse: parseTitle },
    { name: "season", prompt: `Which season are you on? Send the season number (1–${MAX_SEASON}).`, parse: parseSeason },
    {
      name: "episode",
      prompt: `And which episode of that season? Send the episode number (1–${MAX_EPISODE.toLocaleString("en-US")}).`,
      parse: parseEpisode,
    },
    {
      name: "rating",
      prompt: RATING_PROMPT,
      parse: parseRating,
      optional: true,
      buttons: [...RATING_BUTTONS, [{ text: "Skip", data: `${ANSWER_PREFIX}/skip` }]],
    },
  ],
  async save(turn, data) {
    const rating = data.rating as number | undefined;
    const entry = await saveNewEntry(turn, () => ({
      kind: "show",
      ...providerFieldsOf(data),
      title: data.title as string,
      season: data.season as number,
      episode: data.episode as number,
      ...(rating !== undefined ? { rating } : {}),
      status: "watching",
    }));
    const rated = entry.rating !== undefined && entry.rating !== null ? `, ${formatRating(entry.rating)}` : "";
    return `Saved the show: ${entry.title}, season ${entry.season!}, episode ${entry.episode!}${rated}.`;
  },
};

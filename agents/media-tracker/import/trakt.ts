// Trakt's export: a ZIP of JSON files holding what Trakt's API returns (watched-movies.json,
// watched-shows.json, ratings-movies.json, ratings-shows.json, ratings-episodes.json, history*.json,
// watchlist*.json, …), or one of those files alone. Each item is told apart by its own fields, as the
// API defines them:
// - watched:   { plays, last_watched_at, movie } or { plays, last_watched_at, show, seasons: [{ number, episodes: [{ number, plays, last_watched_at }] }] }
// - history:   { id, watched_at, action, type: "movie" | "episode", movie | episode: { season, number }, show }
// - ratings:   { rated_at, rating: 1–10, type: "movie" | "show" | "season" | "episode", … }
// - watchlist: { listed_at, type: "movie" | "show" | …, movie | show }
// where a movie is { title, year, ids: { trakt, slug, imdb, tmdb } } and a show the same with tvdb.
// Movies: watch dates as "watched" events, plays as the watch count; shows: the furthest episode as
// the place, every episode watched as an "episode" event; ratings halved to our stars.
import { z } from "zod";
import { MAX_EPISODE, MAX_SEASON, MAX_YEAR, MIN_YEAR } from "../fields.js";
import { RatingReader } from "../export/mappings.js";
import { quoted } from "./bounds.js";
import { EventLog, dayOf, eventAt } from "./events.js";
import type { Parsed } from "./services.js";
import type { ImportedEntry, ReadOptions, SkippedRow } from "./types.js";
import { MAX_TIMES, cleanTitle, lower, timeMs, wholeNumber } from "./values.js";

/** TMDB ids are positive 32-bit integers. */
const MAX_TMDB_ID = 2 ** 31 - 1;

const ids = z.object({
  trakt: z.number().int().positive().nullish(),
  slug: z.string().max(300).nullish(),
  tmdb: z.number().int().nullish(),
}).passthrough();
const media = z.object({ title: z.string().nullish(), year: z.number().nullish(), ids: ids.nullish() }).passthrough();
type Media = z.infer<typeof media>;
const count = z.number().int().nonnegative();
const time = z.string().max(64);

const watchedMovie = z.object({ plays: count.nullish(), last_watched_at: time.nullish(), movie: media });
const watchedShow = z.object({
  plays: count.nullish(),
  last_watched_at: time.nullish(),
  show: media,
  seasons: z.array(z.object({
    number: count,
    episodes: z.array(z.object({ number: count, plays: count.nullish(), last_watched_at: time.nullish() })).nullish(),
  })).nullish(),
});
const historyItem = z.object({
  watched_at: time,
  type: z.enum(["movie", "episode"]),
  movie: media.nullish(),
  show: media.nullish(),
  episode: z.object({ season: count, number: count }).passthrough().nullish(),
});
const ratingItem = z.object({
  rated_at: time.nullish(),
  rating: z.number().int().min(1).max(10),
  type: z.enum(["movie", "show", "season", "episode"]),
  movie: media.nullish(),
  show: media.nullish(),
});
const watchlistItem = z.object({
  listed_at: time.nullish(),
  type: z.enum(["movie", "show", "season", "episode"]),
  movie: media.nullish(),
  show: media.nullish(),
});

/** Which files of a Trakt ZIP are read, by name; the rest (collection, lists, comments, stats) are not a watch log. */
export function isTraktZipFile(path: string): boolean {
  return /(^|\/)(watched|ratings|history|watchlist)([-_][^/]*)?\.json$/i.test(path);
}

/** A JSON file's items look like Trakt's: an array whose first object holds a movie, show or episode with ids. */
export function looksLikeTrakt(data: unknown): boolean {
  if (!Array.isArray(data)) return false;
  const item = data.find((i) => typeof i === "object" && i !== null) as Record<string, unknown> | undefined;
  if (!item) return false;
  const withIds = (k: string) => typeof item[k] === "object" && item[k] !== null && typeof (item[k] as { ids?: unknown }).ids === "object";
  return withIds("movie") || withIds("show") || withIds("episode");
}

interface Title {
  entry: ImportedEntry;
  /** Movies: plays Trakt counts, and the latest watch it names. */
  plays: number;
  lastWatched?: string;
  /** Shows: episodes watched with their last date (watched-shows.json), by "season|episode". */
  episodes: Map<string, string | undefined>;
  /** Which file set the rating: the ratings file wins. */
  rated?: boolean;
}

export function readTrakt(files: Array<{ name: string; data: unknown }>, options: ReadOptions, leftOut: string[] = []): Parsed {
  const out: Parsed = { entries: [], skipped: [], notes: [] };
  const ratings = new RatingReader();
  const events = new EventLog();
  const titles = new Map<string, Title>();
  let otherRatings = 0;
  let watchlistShows = 0;

  /** The title an item names, made on first sight; a reason when it can't be. */
  const titleOf = (kind: "movie" | "show", m: Media | null | undefined, seenAt: string | undefined): Title | string => {
    if (!m) return `no ${kind}`;
    const title = cleanTitle(m.title ?? undefined);
    if (!title.ok) return title.reason;
    const year = wholeNumber(m.year ?? undefined, MIN_YEAR, MAX_YEAR);
    const traktId = m.ids?.trakt ?? undefined;
    const tmdbId = wholeNumber(m.ids?.tmdb ?? undefined, 1, MAX_TMDB_ID);
    const key = traktId !== undefined ? `trakt:${kind}:${traktId}`
      : tmdbId !== undefined ? `trakt:${kind}:tmdb:${tmdbId}`
      : `trakt:${kind}:t:${lower(title.value)}|${year ?? ""}`;
    const addedAtMs = timeMs(seenAt);
    let t = titles.get(key);
    if (!t) {
      t = { entry: { id: options.newId(), kind, title: title.value, addedAtMs: addedAtMs ?? options.nowMs, importKey: key }, plays: 0, episodes: new Map() };
      if (year !== undefined && kind === "movie") t.entry.year = year;
      if (tmdbId !== undefined) t.entry.tmdbId = tmdbId;
      titles.set(key, t);
      out.entries.push(t.entry);
    } else if (addedAtMs !== undefined && addedAtMs < t.entry.addedAtMs) {
      t.entry.addedAtMs = addedAtMs;
    }
    return t;
  };

  const moveTo = (e: ImportedEntry, season: number, episode: number) => {
    // The furthest episode is the place; specials (season 0) only when nothing else is known.
    const ahead = e.season === undefined || (e.season === 0 && season > 0)
      || (season > 0 && (season > e.season || (season === e.season && episode > (e.episode ?? 0))))
      || (season === 0 && e.season === 0 && episode > (e.episode ?? 0));
    if (ahead) {
      e.season = Math.min(season, MAX_SEASON);
      e.episode = Math.min(episode, MAX_EPISODE);
    }
  };

  const readItem = (raw: Record<string, unknown>): string | undefined => {
    if ("watched_at" in raw) {
      const item = historyItem.safeParse(raw);
      if (!item.success) return "not a watch Trakt's history describes";
      const at = eventAt(item.data.watched_at);
      if (!at) return "a watch without a readable date";
      if (item.data.type === "movie") {
        const t = titleOf("movie", item.data.movie, at);
        if (typeof t === "string") return t;
        events.add(t.entry, { at, event: "watched" });
        return undefined;
      }
      const ep = item.data.episode;
      if (!ep || ep.season > MAX_SEASON || ep.number > MAX_EPISODE) return "an episode without a season and number";
      const t = titleOf("show", item.data.show, at);
      if (typeof t === "string") return t;
      events.add(t.entry, { at, event: "episode", season: ep.season, episode: ep.number });
      moveTo(t.entry, ep.season, ep.number);
      return undefined;
    }
    if ("rated_at" in raw || "rating" in raw) {
      const item = ratingItem.safeParse(raw);
      if (!item.success) return "not a Trakt rating (1–10)";
      if (item.data.type === "season" || item.data.type === "episode") {
        otherRatings += 1;
        return undefined;
      }
      const t = titleOf(item.data.type, item.data.type === "movie" ? item.data.movie : item.data.show, item.data.rated_at ?? undefined);
      if (typeof t === "string") return t;
      // Trakt's 1–10 halved: 7 is 3.5 stars; 1 (half a star) is raised to 1 star.
      const rating = ratings.read(t.entry, item.data.rating / 2);
      if (rating !== undefined) {
        t.entry.rating = rating;
        t.rated = true;
        const at = eventAt(item.data.rated_at);
        if (at) events.add(t.entry, { at, event: "rated", rating });
      }
      return undefined;
    }
    if ("listed_at" in raw) {
      const item = watchlistItem.safeParse(raw);
      if (!item.success) return "not a Trakt watchlist item";
      if (item.data.type !== "movie") {
        watchlistShows += 1;
        return undefined;
      }
      if (!item.data.movie) return "no movie";
      const before = out.entries.length;
      const t = titleOf("movie", item.data.movie, item.data.listed_at ?? undefined);
      if (typeof t === "string") return t;
      // Only one not seen yet is wanted: the watched files are read first.
      if (out.entries.length > before) t.entry.status = "want";
      return undefined;
    }
    if ("plays" in raw || "last_watched_at" in raw) {
      if ("movie" in raw) {
        const item = watchedMovie.safeParse(raw);
        if (!item.success) return "not a watched movie as Trakt lists them";
        const t = titleOf("movie", item.data.movie, item.data.last_watched_at ?? undefined);
        if (typeof t === "string") return t;
        t.plays = Math.max(t.plays, item.data.plays ?? 1);
        const at = eventAt(item.data.last_watched_at);
        if (at && (!t.lastWatched || at > t.lastWatched)) t.lastWatched = at;
        return undefined;
      }
      const item = watchedShow.safeParse(raw);
      if (!item.success) return "not a watched show as Trakt lists them";
      const t = titleOf("show", item.data.show, undefined);
      if (typeof t === "string") return t;
      for (const season of item.data.seasons ?? []) {
        if (season.number > MAX_SEASON) continue;
        for (const ep of season.episodes ?? []) {
          if (ep.number > MAX_EPISODE) continue;
          t.episodes.set(`${season.number}|${ep.number}`, eventAt(ep.last_watched_at));
          moveTo(t.entry, season.number, ep.number);
        }
      }
      return undefined;
    }
    return "not a Trakt watch, rating or watchlist item";
  };

  // Watched lists first (plays, places), then history (every dated watch), ratings, the watchlist.
  const rank = (name: string) => {
    const base = name.split("/").pop()!.toLowerCase();
    return base.startsWith("watched") ? 0 : base.startsWith("history") ? 1 : base.startsWith("ratings") ? 2 : base.startsWith("watchlist") ? 3 : 4;
  };
  const sorted = [...files].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  const named = files.length > 1;
  for (const { name, data } of sorted) {
    const base = name.split("/").pop()!;
    if (!Array.isArray(data)) {
      out.skipped.push({ where: base, reason: "not a list of Trakt items" });
      continue;
    }
    for (const [i, raw] of data.entries()) {
      const where = named ? `${base} item ${i + 1}` : `item ${i + 1}`;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        out.skipped.push({ where, reason: "not a Trakt item" });
        continue;
      }
      const reason = readItem(raw as Record<string, unknown>);
      if (reason) out.skipped.push({ where, reason } satisfies SkippedRow);
    }
  }

  let rewatches = 0;
  for (const t of titles.values()) {
    const e = t.entry;
    const dated = events.of(e);
    if (e.kind === "movie") {
      const watches = dated.filter((d) => d.event === "watched");
      // The watched list's last date when the history has no watch that day.
      if (t.lastWatched && !watches.some((w) => dayOf(w.at) === dayOf(t.lastWatched!))) events.add(e, { at: t.lastWatched, event: "watched" });
      const times = Math.min(MAX_TIMES, Math.max(t.plays, watches.length));
      if (times > 1) {
        e.watchCount = times;
        rewatches += times - 1;
      }
    } else {
      // An episode the history doesn't date gets its one date from the watched list.
      const inHistory = new Set(dated.flatMap((d) => (d.event === "episode" ? [`${d.season}|${d.episode}`] : [])));
      for (const [place, at] of t.episodes) {
        if (!at || inHistory.has(place)) continue;
        const [season, episode] = place.split("|").map(Number) as [number, number];
        events.add(e, { at, event: "episode", season, episode });
      }
    }
    const history = events.done(e);
    if (history) {
      e.history = history;
      // Added to the list no later than the first thing the export dates.
      e.addedAtMs = Math.min(e.addedAtMs, timeMs(history[0]!.at) ?? e.addedAtMs);
    }
    const lastWatch = history?.filter((h) => h.event === "watched").at(-1);
    if (lastWatch) e.watchedOn = dayOf(lastWatch.at);
  }

  if (rewatches > 0) out.notes.push(`${rewatches} ${rewatches === 1 ? "rewatch" : "rewatches"} counted: one entry per movie, with how many times you watched it.`);
  const episodes = out.entries.reduce((n, e) => n + (e.history?.filter((h) => h.event === "episode").length ?? 0), 0);
  if (episodes > 0) out.notes.push(`${episodes} dated ${episodes === 1 ? "episode" : "episodes"} watched kept in the shows' history; each show is at the furthest episode you watched.`);
  if (out.entries.some((e) => e.rating !== undefined)) out.notes.push("Trakt's 1–10 ratings are halved into stars: 7 becomes 3.5★.");
  out.notes.push(...ratings.notes());
  if (otherRatings > 0) out.notes.push(`${otherRatings} season and episode ${otherRatings === 1 ? "rating" : "ratings"} left out: ratings here are per show.`);
  if (watchlistShows > 0) out.notes.push(`${watchlistShows} ${watchlistShows === 1 ? "show" : "shows"} on your watchlist left out: shows here are ones you watch.`);
  out.notes.push(...events.notes());
  if (leftOut.length > 0) {
    out.notes.push(`Not imported from the ZIP: ${leftOut.slice(0, 5).map((n) => quoted(n, 60)).join(", ")}${leftOut.length > 5 ? ` and ${leftOut.length - 5} more` : ""} (not a watch log).`);
  }
  return out;
}

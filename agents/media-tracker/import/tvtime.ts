// TV Time's data export (the GDPR export ZIP of CSV files people got by asking TV Time's support;
// the app closed on 15 July 2026). It is undocumented and changed over the years, so files are told
// apart by their columns, with the names the known versions use:
// - seen_episode.csv: one row per episode watched (tv_show_name, episode_season_number,
//   episode_number, episode_id, created_at/updated_at);
// - followed_tv_show.csv (or user_tv_show_data.csv): the shows followed (tv_show_id, tv_show_name, …);
// - tracking-prod-records*.csv: movies (entity_type "movie", type "watch" or "towatch", movie_name,
//   release_date, created_at) and, in newer exports, episodes (series_name, season_number, episode_number).
// Shows become one entry each at the furthest episode watched, with an "episode" event per watch;
// movies one entry each with a "watched" event per watch (watched twice: a rewatch).
import { MAX_EPISODE, MAX_SEASON, MAX_YEAR, MIN_YEAR } from "../fields.js";
import { quoted } from "./bounds.js";
import { EventLog, dayOf, eventAt } from "./events.js";
import type { Parsed } from "./services.js";
import type { CsvTable, ImportedEntry, ReadOptions } from "./types.js";
import { MAX_TIMES, cleanTitle, lower, timeMs, wholeNumber } from "./values.js";

export type TvTimeFile = "episodes" | "follows" | "tracking";

const SHOW_NAME = ["tv_show_name", "series_name", "show_name"];
const SEASON = ["episode_season_number", "season_number"];
const EPISODE = ["episode_number"];
/** When it was watched: the first of these a row has. */
const WHEN = ["watched_at", "created_at", "updated_at"];

const has = (headers: string[], names: string[]) => names.some((n) => headers.includes(n));

/** Which TV Time file a table is, by its columns (and name, for the shows followed). */
export function tvTimeFile(headers: string[], fileName: string): TvTimeFile | undefined {
  if (headers.includes("entity_type") && (headers.includes("movie_name") || has(headers, SHOW_NAME))) return "tracking";
  if (has(headers, SEASON) && has(headers, EPISODE) && (has(headers, SHOW_NAME) || headers.includes("episode_id"))) return "episodes";
  if (has(headers, ["tv_show_name", "tv_show_id"]) && (/follow|user_tv_show/i.test(fileName) || has(headers, ["is_followed", "active", "archived"]))) {
    return "follows";
  }
  return undefined;
}

/** Which CSV files of a TV Time ZIP are read, by name: the rest are other data (ratings of emotions, badges, …). */
export function isTvTimeZipFile(path: string): boolean {
  return /(^|\/)(seen_episode|followed_tv_show|user_tv_show_data|tracking-prod-records[^/]*)\.csv$/i.test(path);
}

function first(values: Record<string, string>, names: string[]): string | undefined {
  for (const n of names) {
    const v = values[n]?.trim();
    if (v) return v;
  }
  return undefined;
}

/** A movie's year from TV Time's release_date ("2010-07-16" or "2010"). */
function yearOf(raw: string | undefined): number | undefined {
  const m = /^\s*(\d{4})/.exec(raw ?? "");
  return m ? wholeNumber(m[1], MIN_YEAR, MAX_YEAR) : undefined;
}

interface Movie {
  entry: ImportedEntry;
  watches: number;
}

export function readTvTime(tables: Array<{ table: CsvTable; file: TvTimeFile }>, options: ReadOptions, leftOut: string[] = []): Parsed {
  const out: Parsed = { entries: [], skipped: [], notes: [] };
  const events = new EventLog();
  const shows = new Map<string, ImportedEntry>();
  const movies = new Map<string, Movie>();
  const withName = tables.length > 1;
  // Shows followed first (their names), then what was watched.
  const order: TvTimeFile[] = ["follows", "episodes", "tracking"];
  const sorted = [...tables].sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file));

  const show = (name: string, addedAtMs: number | undefined): ImportedEntry => {
    const key = `tvtime:show:${lower(name)}`;
    let e = shows.get(key);
    if (!e) {
      e = { id: options.newId(), kind: "show", title: name, addedAtMs: addedAtMs ?? options.nowMs, importKey: key };
      shows.set(key, e);
      out.entries.push(e);
    } else if (addedAtMs !== undefined && addedAtMs < e.addedAtMs) {
      e.addedAtMs = addedAtMs;
    }
    return e;
  };

  const episode = (v: Record<string, string>, where: string) => {
    const name = first(v, SHOW_NAME);
    if (!name) {
      out.skipped.push({ where, reason: v["episode_id"]?.trim() ? "no show name, only TV Time's episode id" : "no show name" });
      return;
    }
    const title = cleanTitle(name);
    if (!title.ok) {
      out.skipped.push({ where, reason: title.reason });
      return;
    }
    const season = wholeNumber(first(v, SEASON), 0, MAX_SEASON);
    const number = wholeNumber(first(v, EPISODE), 0, MAX_EPISODE);
    if (season === undefined || number === undefined) {
      out.skipped.push({ where, reason: "no season or episode number" });
      return;
    }
    const at = eventAt(first(v, WHEN));
    const e = show(title.value, at ? timeMs(at) : undefined);
    if (at) events.add(e, { at, event: "episode", season, episode: number });
    // The furthest episode is where the person is; specials (season 0) only when nothing else is known.
    const ahead = e.season === undefined || (e.season === 0 && season > 0)
      || (season > 0 && (season > e.season || (season === e.season && number > (e.episode ?? 0))))
      || (season === 0 && e.season === 0 && number > (e.episode ?? 0));
    if (ahead) {
      e.season = season;
      e.episode = number;
    }
  };

  for (const { table, file } of sorted) {
    for (const { row, values: v } of table.rows) {
      const where = withName ? `${table.name} row ${row}` : `row ${row}`;
      if (file === "follows") {
        const name = first(v, SHOW_NAME);
        const title = cleanTitle(name);
        if (!title.ok) {
          out.skipped.push({ where, reason: name ? title.reason : "no show name" });
          continue;
        }
        // user_tv_show_data.csv lists shows once followed too: is_followed 0 is one no longer followed.
        if (/^(0|false)$/i.test(v["is_followed"]?.trim() ?? "")) {
          out.skipped.push({ where, reason: "a show you no longer follow" });
          continue;
        }
        show(title.value, timeMs(first(v, ["created_at", "followed_at"])));
      } else if (file === "episodes") {
        episode(v, where);
      } else {
        const type = (v["entity_type"] ?? "").trim().toLowerCase();
        if (type === "episode") {
          episode(v, where);
          continue;
        }
        if (type !== "movie") {
          out.skipped.push({ where, reason: type ? `a ${type.slice(0, 30)} record, not a movie or episode watched` : "no entity_type" });
          continue;
        }
        const title = cleanTitle(v["movie_name"]);
        if (!title.ok) {
          out.skipped.push({ where, reason: title.reason });
          continue;
        }
        const action = (v["type"] ?? "").trim().toLowerCase() || (v["type-uuid-n"] ?? "").split("-")[0]!.toLowerCase();
        if (action !== "watch" && action !== "towatch") {
          out.skipped.push({ where, reason: action ? `"${action.slice(0, 30)}" isn't a watch` : "no type (watch or towatch)" });
          continue;
        }
        const year = yearOf(v["release_date"]);
        const key = `tvtime:movie:${v["uuid"]?.trim() || `${lower(title.value)}|${year ?? ""}`}`;
        let movie = movies.get(key);
        const at = eventAt(first(v, WHEN));
        if (!movie) {
          movie = { entry: { id: options.newId(), kind: "movie", title: title.value, addedAtMs: (at ? timeMs(at) : undefined) ?? options.nowMs, importKey: key }, watches: 0 };
          if (year !== undefined) movie.entry.year = year;
          movies.set(key, movie);
          out.entries.push(movie.entry);
        }
        if (action === "watch") {
          movie.watches += 1;
          if (at) events.add(movie.entry, { at, event: "watched" });
        }
      }
    }
  }

  let rewatches = 0;
  for (const { entry, watches } of movies.values()) {
    // Only on the list to watch: wanted; watched once or more: seen (a movie with no status).
    if (watches === 0) entry.status = "want";
    if (watches > 1) {
      entry.watchCount = Math.min(MAX_TIMES, watches);
      rewatches += entry.watchCount - 1;
    }
  }
  for (const entry of out.entries) {
    const history = events.done(entry);
    if (!history) continue;
    entry.history = history;
    if (entry.kind === "movie") entry.watchedOn = dayOf(history.at(-1)!.at);
  }
  if (rewatches > 0) out.notes.push(`${rewatches} ${rewatches === 1 ? "rewatch" : "rewatches"} counted: one entry per movie, with how many times you watched it.`);
  const episodes = out.entries.reduce((n, e) => n + (e.kind === "show" ? (e.history?.length ?? 0) : 0), 0);
  if (episodes > 0) out.notes.push(`${episodes} dated ${episodes === 1 ? "episode" : "episodes"} watched kept in the shows' history; each show is at the furthest episode you watched.`);
  out.notes.push(...events.notes());
  if (leftOut.length > 0) {
    const named = leftOut.slice(0, 5).map((n) => quoted(n, 60));
    out.notes.push(`Not imported from the ZIP: ${named.join(", ")}${leftOut.length > 5 ? ` and ${leftOut.length - 5} more` : ""} (not shows or movies watched).`);
  }
  return out;
}

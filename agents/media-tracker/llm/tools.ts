// The tools the language model may call, each with a zod schema: its JSON Schema is what the model
// sees, and the same schema validates what the model sends back. The schemas are built from the
// field definitions (fields.ts: KIND_FIELDS, KIND_STATUSES) and are strict, so what the model is
// offered is exactly what is accepted: one add tool per kind, with that kind's fields and statuses
// only. Every tool works on the current chat only: ids are looked up with media.get(turn.chatId, id),
// so another chat's id is simply not found. Each run is one journaled step (ctx.write): reads and
// the decisions they feed happen inside it, through that step's transaction, so a replay after a crash returns the recorded result
// instead of adding or changing anything again. A tool that changes the list returns a receipt made
// from the entry as stored: that, not the model's words, is what the person is told.
// Nothing here deletes: request_delete sends the same Yes/No buttons as an entry card's 🗑 Delete.
import { z } from "zod";
import { MAX_NOTES_LENGTH, MAX_PAGE } from "../edit-fields.js";
import { KIND_NOUNS, entryRef } from "../entry-view.js";
import {
  KIND_FIELDS, KIND_STATUSES, type KindField, MAX_AUTHOR_LENGTH, MAX_EPISODE, MAX_QUOTE_LENGTH, MAX_SEASON, MAX_TITLE_LENGTH, MAX_YEAR, MIN_YEAR,
} from "../fields.js";
import { type Entry, type EntryFields, type EntryKind, type EntryPatch, ENTRY_KINDS, type MediaReader, type NewEntry } from "../media-store.js";
import type { Button } from "../outgoing.js";
import { buttonData } from "../routes.js";
import type { TitleHit } from "../providers.js";
import type { Turn } from "../turn.js";
import type { ToolSpec } from "./model.js";
import { entryData } from "./prompt.js";
import { addedReceipt, changedReceipt } from "./receipts.js";
import { statsTool } from "./stats-tool.js";

/** What a tool's run gives back. */
export interface ToolOutcome {
  /** The JSON the model reads. */
  result: unknown;
  /** One line for the person, made from what was really stored; only when the list changed. */
  receipt?: string;
  /** A message for the person (with buttons), sent in order with the conversation's replies. */
  message?: { text: string; buttons: Button[][] };
}

export interface LlmTool {
  name: string;
  description: string;
  schema: z.ZodType;
  /** True for the tools that change the list (a call counts as a try even when it is refused). */
  writes: boolean;
  /** Runs with validated arguments. */
  run(turn: Turn, args: unknown): Promise<ToolOutcome>;
}

function defineTool<S extends z.ZodType>(tool: {
  name: string;
  description: string;
  schema: S;
  writes: boolean;
  run(turn: Turn, args: z.output<S>): Promise<ToolOutcome>;
}): LlmTool {
  return tool as unknown as LlmTool;
}

// === Arguments, from the field definitions

const id = z.string().min(1).max(64).describe("The entry's id, from find_entries.");
const kind = z.enum(ENTRY_KINDS as [EntryKind, ...EntryKind[]]);
const rating = z.number().min(1).max(5).multipleOf(0.5).describe("1 to 5 stars; half stars allowed.");
const date = z.iso.date();
const ALL_STATUSES = [...new Set(Object.values(KIND_STATUSES).flat())];
/** Words that mark a movie as watched (it then has a watchedOn day). */
const MOVIE_WATCHED = ["watched", "finished"];

/** Every field an add tool may offer, with its limits; a field added to EntryFields must be added here. */
const FIELD_ARGS = {
  author: z.string().trim().min(1).max(MAX_AUTHOR_LENGTH).describe("Who wrote it (a quote: who said or wrote it)."),
  year: z.number().int().min(MIN_YEAR).max(MAX_YEAR).describe("The release year."),
  rating,
  season: z.number().int().min(1).max(MAX_SEASON).describe("The season the person is on."),
  episode: z.number().int().min(1).max(MAX_EPISODE).describe("The episode the person is on."),
  currentPage: z.number().int().min(0).max(MAX_PAGE).describe("The page the person is on."),
  finishedOn: date.describe("The day the person finished it, YYYY-MM-DD."),
  watchedOn: date.describe("The day the person watched it, YYYY-MM-DD. Set it whenever they say they watched, saw or finished it (today when they don't say when)."),
  quoteText: z.string().trim().min(1).max(MAX_QUOTE_LENGTH).describe("The quote itself."),
  notes: z.string().trim().min(1).max(MAX_NOTES_LENGTH).describe("The person's own notes."),
} satisfies Record<KindField, z.ZodType>;

/** What a provider knows, from lookup_title's matches: optional arguments of the add tool of the kind it fits. */
const PROVIDER_ARGS: Partial<Record<EntryKind, Record<string, z.ZodType>>> = {
  book: {
    openLibraryKey: z.string().regex(/^OL\d{1,12}[WM]$/).describe("From lookup_title: the Open Library id (OL…W)."),
    isbn: z.string().regex(/^(\d{9}[\dX]|\d{13})$/).describe("From lookup_title: an ISBN."),
  },
  movie: { tmdbId: z.number().int().positive().max(1e10).describe("From lookup_title: the TMDB id.") },
  show: { tvmazeId: z.number().int().positive().max(1e10).describe("From lookup_title: the TVmaze id (new-episode alerts need it).") },
};
/** The provider arguments each add tool takes beyond the kind's fields (fields.ts). */
export const PROVIDER_FIELDS: Record<EntryKind, string[]> = Object.fromEntries(
  ENTRY_KINDS.map((k) => [k, PROVIDER_ARGS[k] ? [...Object.keys(PROVIDER_ARGS[k]), "coverUrl"] : []]),
) as Record<EntryKind, string[]>;
const COVER_ARG = z.url({ protocol: /^https$/ }).max(500).describe("From lookup_title: the cover image URL.");

/** The fields an add tool must have besides the title. */
const REQUIRED: Partial<Record<EntryKind, keyof typeof FIELD_ARGS>> = { quote: "quoteText" };

function titleArg(kindName: EntryKind): z.ZodType {
  const title = z.string().trim().min(1).max(MAX_TITLE_LENGTH);
  return kindName === "quote" ? title.describe("The title of the work the quote comes from (a book, a movie).") : title.describe("The title.");
}

/**
 * The statuses add_<kind> offers (and so accepts): the kind's own (fields.ts), and for a movie also
 * every word that marks it watched, since people say "finished" of a movie too.
 */
function addStatuses(kindName: EntryKind): readonly string[] {
  const statuses = KIND_STATUSES[kindName];
  return kindName === "movie" ? [...new Set([...statuses, ...MOVIE_WATCHED])] : statuses;
}

/** The arguments of add_<kind>: the title, the kind's fields (fields.ts), its statuses if it has any; nothing else. */
function addSchema(kindName: EntryKind): z.ZodType {
  const shape: Record<string, z.ZodType> = { title: titleArg(kindName) };
  for (const field of KIND_FIELDS[kindName]) shape[field] = REQUIRED[kindName] === field ? FIELD_ARGS[field] : FIELD_ARGS[field].optional();
  for (const [field, arg] of Object.entries(PROVIDER_ARGS[kindName] ?? {})) shape[field] = arg.optional();
  if (PROVIDER_ARGS[kindName]) shape.coverUrl = COVER_ARG.optional();
  const statuses = addStatuses(kindName);
  if (statuses.length > 0) shape.status = z.enum(statuses as [string, ...string[]]).optional().describe(`One of: ${statuses.join(", ")}.`);
  return z.strictObject(shape);
}

function statusHelp(): string {
  const lines = ENTRY_KINDS.filter((k) => KIND_STATUSES[k].length > 0).map((k) => `a ${KIND_NOUNS[k]}: ${KIND_STATUSES[k].join(", ")}`);
  return `${lines.join("; ")}; a movie: ${MOVIE_WATCHED.map((w) => `'${w}'`).join(" or ")} marks it watched`;
}

function today(turn: Turn): { nowMs: number; date: string } {
  const nowMs = turn.ctx.now();
  return { nowMs, date: new Date(nowMs).toISOString().slice(0, 10) };
}

/** The chat's entry, looked up inside a write; another chat's id is not found. */
function own(turn: Turn, media: MediaReader, entryId: string): Promise<Entry | undefined> {
  return media.get(turn.chatId, entryId);
}

const NOT_FOUND = { error: "No entry with that id in this person's list. Use find_entries to get ids." };

/** A write's outcome: the changed entry with its receipt, or the reason it was refused (no receipt). */
type Changed = { entry: Entry } | { error: string };

function changed(outcome: Changed, verb: string): ToolOutcome {
  if ("error" in outcome) return { result: outcome };
  const receipt = changedReceipt(verb, outcome.entry);
  return { result: { updated: entryData(outcome.entry), shownToPerson: receipt }, receipt };
}

// === Tools

const ADD_DESCRIPTIONS: Record<EntryKind, string> = {
  book: "Adds a book to the list.",
  movie: "Adds a movie to the list: status 'want' for one the person wants to see; one they watched (saw, finished) is 'watched' and gets watchedOn.",
  show: "Adds a TV show to the list, with the season and episode the person is on.",
  quote: "Adds a quote: quoteText is the quote itself, title the work it comes from.",
};

function addTool(kindName: EntryKind): LlmTool {
  return defineTool({
    name: `add_${kindName}`,
    description: `${ADD_DESCRIPTIONS[kindName]} Check with find_entries first that it is not already there.`,
    schema: addSchema(kindName),
    writes: true,
    async run(turn, args) {
      const entryId = turn.ctx.randomId();
      const { nowMs, date: day } = today(turn);
      const entry = { ...(args as EntryFields), id: entryId, kind: kindName, addedAtMs: nowMs } as NewEntry;
      if (entry.kind === "book" && entry.status === "finished" && !entry.finishedOn) entry.finishedOn = day;
      // A movie they finished is a movie they watched, on a day (as set_status and the card's Status do).
      if (entry.kind === "movie" && entry.status !== undefined && MOVIE_WATCHED.includes(entry.status)) {
        entry.status = "watched";
        entry.watchedOn ??= day;
      }
      const added = await turn.ctx.write(`tool:add_${kindName}`, (tx) => turn.deps.media.within(tx).add(turn.chatId, entry));
      const receipt = addedReceipt(added);
      return { result: { added: entryData(added), shownToPerson: receipt }, receipt };
    },
  });
}

const updateProgress = defineTool({
  name: "update_progress",
  description: "Sets where the person is: a show's season and episode, or a book's page. A book goes to 'reading' and a show to 'watching' unless they have another status.",
  schema: z
    .strictObject({
      id,
      season: FIELD_ARGS.season.optional(),
      episode: FIELD_ARGS.episode.optional(),
      page: FIELD_ARGS.currentPage.optional(),
    })
    .refine((a) => a.season !== undefined || a.episode !== undefined || a.page !== undefined, { message: "Give season/episode (shows) or page (books)." }),
  writes: true,
  async run(turn, a) {
    const { nowMs } = today(turn);
    const outcome = await turn.ctx.write("tool:update_progress", async (tx): Promise<Changed> => {
      const media = turn.deps.media.within(tx);
      const entry = await own(turn, media, a.id);
      if (!entry) return NOT_FOUND;
      const patch: EntryPatch = {};
      if (entry.kind === "show") {
        if (a.page !== undefined) return { error: "Shows have seasons and episodes, not pages." };
        if (a.season !== undefined) patch.season = a.season;
        if (a.episode !== undefined) patch.episode = a.episode;
        if (!entry.status) patch.status = "watching";
      } else if (entry.kind === "book") {
        if (a.page === undefined) return { error: "Books have pages, not seasons or episodes." };
        patch.currentPage = a.page;
        if (!entry.status || entry.status === "want") patch.status = "reading";
      } else {
        return { error: `A ${entry.kind} has no progress to update.` };
      }
      const after = await media.update(turn.chatId, entry.id, patch, nowMs);
      return after ? { entry: after } : NOT_FOUND;
    });
    return changed(outcome, "Updated");
  },
});

const rateEntry = defineTool({
  name: "rate_entry",
  description: "Sets the rating (1-5 stars) of a book, movie or show.",
  schema: z.strictObject({ id, rating }),
  writes: true,
  async run(turn, a) {
    const { nowMs } = today(turn);
    const outcome = await turn.ctx.write("tool:rate_entry", async (tx): Promise<Changed> => {
      const media = turn.deps.media.within(tx);
      const entry = await own(turn, media, a.id);
      if (!entry) return NOT_FOUND;
      if (!KIND_FIELDS[entry.kind].includes("rating")) return { error: `A ${entry.kind} has no rating.` };
      const after = await media.update(turn.chatId, entry.id, { rating: a.rating }, nowMs);
      return after ? { entry: after } : NOT_FOUND;
    });
    return changed(outcome, "Rated");
  },
});

const setStatus = defineTool({
  name: "set_status",
  description: `Changes the status of an entry: ${statusHelp()}. 'date' is when a book was finished or a movie watched (default today).`,
  schema: z.strictObject({
    id,
    status: z.enum([...new Set([...ALL_STATUSES, ...MOVIE_WATCHED])] as [string, ...string[]]),
    date: date.optional().describe("YYYY-MM-DD"),
  }),
  writes: true,
  async run(turn, a) {
    const { nowMs, date: day } = today(turn);
    const outcome = await turn.ctx.write("tool:set_status", async (tx): Promise<Changed> => {
      const media = turn.deps.media.within(tx);
      const entry = await own(turn, media, a.id);
      if (!entry) return NOT_FOUND;
      const allowed = KIND_STATUSES[entry.kind];
      // What people mean: a movie they finished is a movie they watched, on a day.
      const watched = entry.kind === "movie" && MOVIE_WATCHED.includes(a.status);
      if (!allowed.includes(a.status) && !watched) {
        return { error: `A ${entry.kind} can't have status "${a.status}"; allowed: ${allowed.join(", ") || (entry.kind === "movie" ? MOVIE_WATCHED.join(", ") : "none")}.` };
      }
      const patch: EntryPatch = {};
      if (allowed.includes(a.status)) patch.status = a.status;
      else if (watched && allowed.includes("watched")) patch.status = "watched";
      if (watched) patch.watchedOn = a.date ?? day;
      if (entry.kind === "book" && a.status === "finished") patch.finishedOn = a.date ?? entry.finishedOn ?? day;
      const after = await media.update(turn.chatId, entry.id, patch, nowMs);
      return after ? { entry: after } : NOT_FOUND;
    });
    return changed(outcome, "Updated");
  },
});

/** Most entries one find_entries call returns. */
const MAX_FOUND = 50;
/** Most entries looked at for the date filters. */
const SCAN_LIMIT = 2000;

const findEntries = defineTool({
  name: "find_entries",
  description:
    "Searches the person's own list, newest first. Use it to find ids before changing an entry and to answer questions " +
    "(what did I rate X, which books did I finish this year, where did I stop in Y). All filters are optional and combine. " +
    "finishedFrom/finishedTo match a book's finishedOn or a movie's watchedOn; addedFrom/addedTo the day it was added.",
  schema: z.strictObject({
    text: z.string().trim().max(200).optional().describe("Words in the title, author, quote or notes."),
    kind: kind.optional(),
    status: z.enum(ALL_STATUSES as [string, ...string[]]).optional(),
    finishedFrom: date.optional(),
    finishedTo: date.optional(),
    addedFrom: date.optional(),
    addedTo: date.optional(),
    limit: z.number().int().min(1).max(MAX_FOUND).optional().describe(`At most this many (default 20, max ${MAX_FOUND}).`),
  }),
  writes: false,
  async run(turn, a) {
    const result = await turn.ctx.write("tool:find_entries", async (tx) => {
      const all = await turn.deps.media.within(tx).list(turn.chatId, {
        ...(a.kind ? { kind: a.kind } : {}),
        ...(a.status ? { status: a.status } : {}),
        ...(a.text ? { text: a.text } : {}),
        limit: SCAN_LIMIT,
      });
      const within = (day: string | undefined, from?: string, to?: string) =>
        from === undefined && to === undefined ? true : day !== undefined && (from === undefined || day >= from) && (to === undefined || day <= to);
      const matches = all.filter((e) => {
        const added = new Date(e.addedAtMs).toISOString().slice(0, 10);
        return within(e.finishedOn ?? e.watchedOn, a.finishedFrom, a.finishedTo) && within(added, a.addedFrom, a.addedTo);
      });
      const shown = matches.slice(0, a.limit ?? 20);
      return { total: matches.length, shown: shown.length, entries: shown.map(entryData) };
    });
    return { result };
  },
});

const requestDelete = defineTool({
  name: "request_delete",
  description:
    "Asks the person to confirm deleting one entry, with Yes/No buttons. It does NOT delete: the entry goes only if the person presses Yes.",
  schema: z.strictObject({ id }),
  writes: false,
  async run(turn, a) {
    const entry = await turn.ctx.write("tool:request_delete", async (tx) => (await own(turn, turn.deps.media.within(tx), a.id)) ?? null);
    if (!entry) return { result: NOT_FOUND };
    return {
      result: { status: "The person was asked to confirm with buttons. Nothing is deleted unless they press Yes; do not say it was deleted." },
      // The very buttons an entry card's "🗑 Delete" shows (commands/entry-actions.ts checks the id again on press).
      message: {
        text: `Delete ${entryRef(entry)}? This can't be undone.`,
        buttons: [[
          { text: "Yes, delete it", data: buttonData("dy", entry.id) },
          { text: "No, keep it", data: buttonData("dn", entry.id) },
        ]],
      },
    };
  },
});

/** Matches lookup_title returns (the dialogs offer as many). */
const MAX_LOOKUP_MATCHES = 5;

const lookupTitle = defineTool({
  name: "lookup_title",
  description:
    "Looks a title up with the title services (books: Open Library, movies: TMDB, shows: TVmaze) to find which one the person means, " +
    "e.g. which Dune. Returns up to 5 matches (title, year, author or network, and the ids to pass to the add tool: openLibraryKey/isbn, " +
    "tmdbId or tvmazeId, and coverUrl). When two or more fit and you can't tell which, ask_user with them as choices (title and year). " +
    "When it finds nothing or is unavailable, add the entry with what the person said.",
  schema: z.strictObject({
    kind: z.enum(["book", "movie", "show"]),
    title: z.string().trim().min(1).max(MAX_TITLE_LENGTH).describe("The title as the person said it."),
  }),
  writes: false,
  async run(turn, a) {
    const provider = turn.deps.metadata?.[a.kind];
    if (!provider) return { result: { error: `Looking ${KIND_NOUNS[a.kind]}s up is off here; add it with what the person said.` } };
    // One journaled step: a replay after a crash gets the same matches without asking again. It never
    // throws (a provider down or slow is an answer the model can act on), so it is always recorded.
    const result = await turn.ctx.run("tool:lookup_title", async () => {
      try {
        const hits = await provider.search(a.title, AbortSignal.timeout(10_000));
        return { matches: hits.slice(0, MAX_LOOKUP_MATCHES).map((hit) => lookupMatch(a.kind, hit)) };
      } catch {
        return { error: "The title service did not answer; add it with what the person said." };
      }
    }, { maxAttempts: 1 });
    return { result };
  },
});

/** A match as the model reads it: the ids under the add tool's argument names. */
function lookupMatch(kindName: "book" | "movie" | "show", hit: TitleHit): Record<string, unknown> {
  const ids: Record<string, unknown> = kindName === "book"
    ? { openLibraryKey: /^OL\d+[WM]$/.test(hit.id) ? hit.id : undefined, isbn: hit.isbn }
    : kindName === "movie" ? { tmdbId: Number(hit.id) } : { tvmazeId: Number(hit.id) };
  const match = { title: hit.title, year: hit.year, author: hit.author, network: hit.network, ...ids, coverUrl: hit.coverUrl };
  return Object.fromEntries(Object.entries(match).filter(([, v]) => v !== undefined));
}

/** Asked by the conversation itself (it ends the model's turn and waits for the person). */
export const ASK_USER = "ask_user";
export const MAX_CHOICES = 6;
export const MAX_CHOICE_LENGTH = 60;

export const askUserSchema = z.strictObject({
  question: z.string().trim().min(1).max(500),
  choices: z.array(z.string().trim().min(1).max(MAX_CHOICE_LENGTH)).min(1).max(MAX_CHOICES).optional()
    .describe(`Up to ${MAX_CHOICES} short answers shown as buttons; the person may also type an answer.`),
});

const askUser: LlmTool = {
  name: ASK_USER,
  description:
    "Asks the person a question when you are unsure (which entry? book or movie?) or need something; shows the choices as buttons. " +
    "Their answer comes back as their next message.",
  schema: askUserSchema,
  writes: false,
  run: () => Promise.reject(new Error("ask_user is handled by the conversation")),
};

export const TOOLS: readonly LlmTool[] = [
  ...ENTRY_KINDS.map(addTool), lookupTitle, updateProgress, rateEntry, setStatus, findEntries, statsTool, requestDelete, askUser,
];
const TOOLS_BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

export function findTool(name: string): LlmTool | undefined {
  return TOOLS_BY_NAME.get(name);
}

/** The tools as the model is told about them: name, description and JSON Schema from zod. */
export const TOOL_SPECS: ToolSpec[] = TOOLS.map((t) => {
  const { $schema: _schema, ...parameters } = z.toJSONSchema(t.schema) as Record<string, unknown>;
  return { name: t.name, description: t.description, parameters };
});

/** Parses a tool call's raw JSON arguments: the validated value, or an error the model can act on. */
export function parseArguments(tool: LlmTool, raw: string): { ok: true; args: unknown } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch {
    return { ok: false, error: "The arguments are not valid JSON." };
  }
  const parsed = tool.schema.safeParse(json);
  if (parsed.success) return { ok: true, args: parsed.data };
  const issues = parsed.error.issues.map((i) => {
    const where = i.path.length ? i.path.join(".") : "(arguments)";
    if (i.code === "unrecognized_keys") return `${where}: ${tool.name} has no ${i.keys.map((k) => `"${k}"`).join(", ")}; it takes only ${argumentNames(tool).join(", ")}.`;
    return `${where}: ${i.message}`;
  });
  return { ok: false, error: `Invalid arguments for ${tool.name}: ${issues.join("; ")}` };
}

function argumentNames(tool: LlmTool): string[] {
  const spec = TOOL_SPECS.find((s) => s.name === tool.name);
  return Object.keys((spec?.parameters.properties as Record<string, unknown> | undefined) ?? {});
}

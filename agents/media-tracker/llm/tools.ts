// The tools the language model may call, each with a zod schema (its JSON Schema is what the model
// sees; the same schema validates what the model sends back). Every tool works on the current chat
// only: ids are looked up with media.get(turn.chatId, id), so another chat's id is simply not found.
// Each run is one journaled step (ctx.write): reads and the decisions they feed happen inside it, so
// a replay after a crash returns the recorded result instead of adding or changing anything again.
// Nothing here deletes: request_delete sends the same Yes/No buttons as an entry card's 🗑 Delete.
import { z } from "zod";
import { entryRef, formatEntryLine } from "../entry-view.js";
import { KIND_STATUSES, MAX_AUTHOR_LENGTH, MAX_EPISODE, MAX_QUOTE_LENGTH, MAX_SEASON, MAX_TITLE_LENGTH, MAX_YEAR, MIN_YEAR } from "../fields.js";
import { type Entry, type EntryPatch, ENTRY_KINDS, type NewEntry } from "../media-store.js";
import { buttonData } from "../routes.js";
import type { Turn } from "../turn.js";
import type { ToolSpec } from "./model.js";
import { entryData } from "./prompt.js";

export interface LlmTool {
  name: string;
  description: string;
  schema: z.ZodType;
  /** Runs with validated arguments; returns the JSON result the model reads. */
  run(turn: Turn, args: unknown): Promise<unknown>;
}

function defineTool<S extends z.ZodType>(tool: {
  name: string;
  description: string;
  schema: S;
  run(turn: Turn, args: z.output<S>): Promise<unknown>;
}): LlmTool {
  return tool as unknown as LlmTool;
}

// === Shared argument types

const MAX_NOTES_LENGTH = 1000;
const id = z.string().min(1).max(64).describe("The entry's id, from find_entries.");
const kind = z.enum(ENTRY_KINDS as unknown as ["book", "movie", "show", "quote"]);
const rating = z.number().min(1).max(5).multipleOf(0.5).describe("1 to 5 stars; half stars allowed.");
const date = z.iso.date().describe("YYYY-MM-DD");
const title = z.string().trim().min(1).max(MAX_TITLE_LENGTH);
const STATUSES = [...new Set(Object.values(KIND_STATUSES).flat())] as [string, ...string[]];
/** "Books: want, reading, finished, dropped. Movies: …": each kind's statuses, in words. */
const STATUS_WORDS = Object.entries(KIND_STATUSES).map(([k, list]) => `${k[0]!.toUpperCase()}${k.slice(1)}s: ${list!.join(", ")}.`).join(" ");

function statusesOf(kindName: string): readonly string[] {
  return KIND_STATUSES[kindName as keyof typeof KIND_STATUSES] ?? [];
}

function today(turn: Turn): { nowMs: number; date: string } {
  const nowMs = turn.ctx.now();
  return { nowMs, date: new Date(nowMs).toISOString().slice(0, 10) };
}

/** The chat's entry, looked up inside a write; another chat's id is not found. */
function own(turn: Turn, entryId: string): Entry | undefined {
  return turn.deps.media.get(turn.chatId, entryId);
}

const NOT_FOUND = { error: "No entry with that id in this person's list. Use find_entries to get ids." };

// === Tools

const addEntry = defineTool({
  name: "add_entry",
  description:
    "Adds a new entry (book, movie, show or quote) to the list. Check with find_entries first that it is not already there. " +
    "For a quote, title is the work it comes from and quoteText the quote.",
  schema: z
    .object({
      kind,
      title,
      author: z.string().trim().min(1).max(MAX_AUTHOR_LENGTH).optional(),
      year: z.number().int().min(MIN_YEAR).max(MAX_YEAR).optional().describe("Movies: release year."),
      rating: rating.optional(),
      season: z.number().int().min(1).max(MAX_SEASON).optional().describe("Shows: the season the person is on."),
      episode: z.number().int().min(1).max(MAX_EPISODE).optional().describe("Shows: the episode the person is on."),
      status: z.enum(STATUSES).optional().describe(STATUS_WORDS),
      currentPage: z.number().int().min(0).max(100_000).optional().describe("Books: the page the person is on."),
      finishedOn: date.optional().describe("Books: the day it was finished, YYYY-MM-DD."),
      watchedOn: date.optional().describe("Movies: the day it was watched, YYYY-MM-DD."),
      quoteText: z.string().trim().min(1).max(MAX_QUOTE_LENGTH).optional().describe("Quotes: the quote itself."),
      notes: z.string().trim().max(MAX_NOTES_LENGTH).optional(),
    })
    .superRefine((a, ctx) => {
      if (a.status !== undefined && !statusesOf(a.kind).includes(a.status)) {
        ctx.addIssue({ code: "custom", path: ["status"], message: `A ${a.kind} can't have status "${a.status}"; allowed: ${statusesOf(a.kind).join(", ") || "none"}.` });
      }
      if (a.kind === "quote" && a.quoteText === undefined) ctx.addIssue({ code: "custom", path: ["quoteText"], message: "A quote needs quoteText." });
      if (a.kind === "quote" && a.rating !== undefined) ctx.addIssue({ code: "custom", path: ["rating"], message: "Quotes have no rating." });
    }),
  async run(turn, a) {
    const entryId = turn.ctx.randomId();
    const { nowMs, date: day } = today(turn);
    const entry: NewEntry = { id: entryId, kind: a.kind, title: a.title, addedAtMs: nowMs };
    const { kind: _kind, title: _title, ...rest } = a;
    for (const [key, value] of Object.entries(rest)) if (value !== undefined) (entry as unknown as Record<string, unknown>)[key] = value;
    if (entry.kind === "book" && entry.status === "finished" && !entry.finishedOn) entry.finishedOn = day;
    const added = await turn.ctx.write("tool:add_entry", () => turn.deps.media.add(turn.chatId, entry));
    return { added: entryData(added), shownToUser: `Added: ${formatEntryLine(added)}` };
  },
});

const updateProgress = defineTool({
  name: "update_progress",
  description: "Sets where the person is: a show's season and episode, or a book's page. A book goes to 'reading' and a show to 'watching' unless they have another status.",
  schema: z
    .object({
      id,
      season: z.number().int().min(1).max(MAX_SEASON).optional(),
      episode: z.number().int().min(1).max(MAX_EPISODE).optional(),
      page: z.number().int().min(0).max(100_000).optional(),
    })
    .refine((a) => a.season !== undefined || a.episode !== undefined || a.page !== undefined, { message: "Give season/episode (shows) or page (books)." }),
  async run(turn, a) {
    const { nowMs } = today(turn);
    return turn.ctx.write("tool:update_progress", () => {
      const entry = own(turn, a.id);
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
      const after = turn.deps.media.update(turn.chatId, entry.id, patch, nowMs);
      return after ? { updated: entryData(after) } : NOT_FOUND;
    });
  },
});

const rateEntry = defineTool({
  name: "rate_entry",
  description: "Sets the rating (1-5 stars) of a book, movie or show.",
  schema: z.object({ id, rating }),
  async run(turn, a) {
    const { nowMs } = today(turn);
    return turn.ctx.write("tool:rate_entry", () => {
      const entry = own(turn, a.id);
      if (!entry) return NOT_FOUND;
      if (entry.kind === "quote") return { error: "Quotes have no rating." };
      const after = turn.deps.media.update(turn.chatId, entry.id, { rating: a.rating }, nowMs);
      return after ? { updated: entryData(after) } : NOT_FOUND;
    });
  },
});

const setStatus = defineTool({
  name: "set_status",
  description:
    `Changes the status of an entry. ${STATUS_WORDS} ` +
    "'date' is when a book was finished or a movie watched (default today).",
  schema: z.object({ id, status: z.enum(STATUSES), date: date.optional() }),
  async run(turn, a) {
    const { nowMs, date: day } = today(turn);
    return turn.ctx.write("tool:set_status", () => {
      const entry = own(turn, a.id);
      if (!entry) return NOT_FOUND;
      const allowed = statusesOf(entry.kind);
      if (!allowed.includes(a.status)) return { error: `A ${entry.kind} can't have status "${a.status}"; allowed: ${allowed.join(", ") || "none"}.` };
      const patch: EntryPatch = { status: a.status };
      if (entry.kind === "book" && a.status === "finished") patch.finishedOn = a.date ?? entry.finishedOn ?? day;
      if (entry.kind === "movie" && a.status === "watched") patch.watchedOn = a.date ?? day;
      const after = turn.deps.media.update(turn.chatId, entry.id, patch, nowMs);
      return after ? { updated: entryData(after) } : NOT_FOUND;
    });
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
  schema: z.object({
    text: z.string().trim().max(200).optional().describe("Words in the title, author, quote or notes."),
    kind: kind.optional(),
    status: z.enum(STATUSES).optional(),
    finishedFrom: date.optional(),
    finishedTo: date.optional(),
    addedFrom: date.optional(),
    addedTo: date.optional(),
    limit: z.number().int().min(1).max(MAX_FOUND).optional().describe(`At most this many (default 20, max ${MAX_FOUND}).`),
  }),
  async run(turn, a) {
    return turn.ctx.write("tool:find_entries", () => {
      const all = turn.deps.media.list(turn.chatId, {
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
  },
});

const requestDelete = defineTool({
  name: "request_delete",
  description:
    "Asks the person to confirm deleting one entry, with Yes/No buttons. It does NOT delete: the entry goes only if the person presses Yes.",
  schema: z.object({ id }),
  async run(turn, a) {
    const entry = await turn.ctx.write("tool:request_delete", () => own(turn, a.id) ?? null);
    if (!entry) return NOT_FOUND;
    // The very buttons an entry card's "🗑 Delete" shows (commands/entry-actions.ts checks the id again on press).
    turn.reply(`Delete ${entryRef(entry)}? This can't be undone.`, [[
      { text: "Yes, delete it", data: buttonData("dy", entry.id) },
      { text: "No, keep it", data: buttonData("dn", entry.id) },
    ]]);
    return { status: "The person was asked to confirm with buttons. Nothing is deleted unless they press Yes; do not say it was deleted." };
  },
});

/** Asked by the conversation itself (it ends the model's turn and waits for the person). */
export const ASK_USER = "ask_user";
export const MAX_CHOICES = 6;
export const MAX_CHOICE_LENGTH = 60;

export const askUserSchema = z.object({
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
  run: () => Promise.reject(new Error("ask_user is handled by the conversation")),
};

export const TOOLS: readonly LlmTool[] = [addEntry, updateProgress, rateEntry, setStatus, findEntries, requestDelete, askUser];
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
  const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(arguments)"}: ${i.message}`);
  return { ok: false, error: `Invalid arguments for ${tool.name}: ${issues.join("; ")}` };
}

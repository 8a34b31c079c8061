// Property test of the guided dialogs through the whole app (webhook → inbox → agent → outbox →
// fake Bot API): /add_book, /add_movie, /add_show, /add_quote and the edit dialogs get valid,
// invalid and random answers (any unicode, blank, control characters, near Telegram's 4,096
// limit, numbers out of range or NaN-looking, emoji, right-to-left), /skip at the wrong time,
// commands mid-dialog and button presses with random data. Properties: every update is handled
// (never parked) and answered; a dialog either advances or repeats the same question after a
// reason, in one message; nothing invalid is stored; a stored entry holds exactly what was accepted.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALOGS } from "../../agents/media-tracker/dialogs/index.js";
import { readCommand } from "../../agents/media-tracker/incoming.js";
import { MAX_EPISODE, MAX_SEASON, MAX_TITLE_LENGTH, MAX_YEAR, MIN_YEAR } from "../../agents/media-tracker/fields.js";
import { makeCallbackUpdate, makeTextUpdate } from "../support/fake-bot-api.js";
import { type Answer, postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

/** Fixed so runs repeat; FUZZ_SEED=<n> explores other inputs (fast-check prints the seed of a failure). */
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

// === Talking to the app: one update at a time, and everything the bot said in answer to it

let nextUpdateId = 1;
let nextChat = 700_000;

/** Posts one update, waits until it is handled and its answers delivered, and returns those answers. */
function post(chat: number, update: { update_id: number }): Promise<Answer> {
  return postHandled(t, chat, update);
}

function say(chat: number, text: string): Promise<Answer> {
  return post(chat, makeTextUpdate(nextUpdateId++, chat, text));
}

async function press(chat: number, data: string): Promise<Answer> {
  const answer = await post(chat, makeCallbackUpdate(nextUpdateId++, chat, data, 1));
  // A press is always answered, exactly once (stopping the button's spinner).
  expect(answer.all.filter((o) => o.type === "answer-button")).toHaveLength(1);
  return answer;
}

interface StoredEntry {
  id: string;
  kind: string;
  title: string;
  author: string | null;
  year: number | null;
  rating: number | null;
  season: number | null;
  episode: number | null;
  status: string | null;
  quoteText: string | null;
  currentPage: number | null;
  finishedOn: string | null;
  watchedOn: string | null;
  notes: string | null;
}

function entries(chat: number): StoredEntry[] {
  return t.app.db
    .prepare(
      `SELECT id, kind, title, author, year, rating, season, episode, status, quote_text AS quoteText, current_page AS currentPage,
              finished_on AS finishedOn, watched_on AS watchedOn, notes
       FROM entries WHERE chat_id = ? ORDER BY added_at_ms, rowid`,
    )
    .all(String(chat)) as StoredEntry[];
}

// === What a field accepts, said independently of the parsers under test

type FieldKind = "title" | "author" | "quote" | "year" | "rating" | "season" | "episode" | "page" | "notes" | "date";

const FIELD_KIND: Record<string, FieldKind> = {
  title: "title", author: "author", text: "quote", work: "title", year: "year", rating: "rating", season: "season", episode: "episode", page: "page", notes: "notes",
  finished: "date", watched: "date",
};

function oneLine(s: string): string {
  // Bidirectional embeddings, overrides and isolates go, as control characters do.
  return s.replace(/[\u202a-\u202e\u2066-\u2069]/gu, "").replace(/[\p{Cc}\s]+/gu, " ").trim();
}
function visible(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\p{Z}\s]/gu, "");
}
/** The number a person meant in an accepted answer ("Season 2" → 2, "3½" → 3.5, "4,5 stars" → 4.5). */
function numberIn(input: string): number {
  const m = /\d+(?:[.,]\d+)?/.exec(input);
  if (!m) return NaN;
  return Number(m[0].replace(",", ".")) + (input.includes("½") ? 0.5 : 0);
}

/** Checks a stored value against the answer it was accepted from. */
function expectStoredFrom(kind: FieldKind, input: string, stored: unknown): void {
  switch (kind) {
    case "title":
    case "author":
      expect(stored).toBe(oneLine(input));
      expect([...(stored as string)].length).toBeLessThanOrEqual(kind === "title" ? MAX_TITLE_LENGTH : 200);
      expect(visible(stored as string)).not.toBe("");
      return;
    case "quote":
    case "notes":
      // Line breaks and spacing are tidied, control characters dropped; every visible character is kept.
      expect(visible(stored as string)).toBe(visible(input));
      expect(stored as string).not.toMatch(/(?!\n)\p{Cc}/u);
      expect(visible(stored as string)).not.toBe("");
      return;
    case "date": {
      const [year, month, day] = input.trim().split(/[-/.]/);
      expect(stored).toBe(`${year}-${month!.padStart(2, "0")}-${day!.padStart(2, "0")}`);
      return;
    }
    default:
      expect(stored).toBe(numberIn(input));
  }
}

/** The stored value is one the bot may hold, whatever answer it came from. */
function expectValid(kind: FieldKind, value: unknown): void {
  if (kind === "year") expect(Number.isInteger(value) && (value as number) >= MIN_YEAR && (value as number) <= MAX_YEAR).toBe(true);
  if (kind === "rating") expect(Number.isInteger((value as number) * 2) && (value as number) >= 1 && (value as number) <= 5).toBe(true);
  if (kind === "season") expect(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SEASON).toBe(true);
  if (kind === "episode") expect(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_EPISODE).toBe(true);
  if (kind === "page") expect(Number.isInteger(value) && (value as number) >= 0).toBe(true);
}

// === Generators: answers known to be valid, known to be invalid, and anything at all

const pad = fc.constantFrom("", " ", "  ", "\t", "\n");
const padded = (a: fc.Arbitrary<string>) => fc.tuple(pad, a, pad).map(([l, s, r]) => `${l}${s}${r}`);
const textish = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 })
  .filter((s) => visible(s) !== "" && !oneLine(s).startsWith("/") && oneLine(s).toLowerCase() !== "clear" && !["none", "remove", "-"].includes(oneLine(s).toLowerCase()));

const VALID: Record<FieldKind, fc.Arbitrary<string>> = {
  title: padded(fc.oneof(textish, fc.constantFrom("Dune", "שלום עולם", "\u200fكتاب", "👩‍👩‍👧 Family", "🎬".repeat(300), "Bad\u0000Title"))),
  author: padded(fc.oneof(textish, fc.constantFrom("Ursula K. Le Guin", "Борис Стругацкий", "x".repeat(200)))),
  quote: fc.array(textish, { minLength: 1, maxLength: 4 }).map((lines) => lines.join("\n")).filter((s) => readCommand(s) === undefined),
  notes: fc.array(textish, { minLength: 1, maxLength: 4 }).map((lines) => lines.join("\n")).filter((s) => readCommand(s) === undefined),
  year: padded(fc.integer({ min: MIN_YEAR, max: MAX_YEAR }).map(String)),
  rating: fc.integer({ min: 2, max: 10 }).chain((n) => {
    const v = n / 2;
    const forms = [String(v), `${v} stars`, String(v).replace(".", ","), `${v}/5`];
    if (!Number.isInteger(v)) forms.push(`${Math.floor(v)}½`);
    return padded(fc.constantFrom(...forms));
  }),
  season: fc.integer({ min: 1, max: MAX_SEASON }).chain((n) => padded(fc.constantFrom(String(n), `Season ${n}`, `S${String(n).padStart(2, "0")}`, `#${n}`))),
  episode: fc.integer({ min: 1, max: MAX_EPISODE }).chain((n) => padded(fc.constantFrom(String(n), `Episode ${n}`, `ep. ${n}`, `E${n}`))),
  page: fc.integer({ min: 0, max: 100_000 }).chain((n) => padded(fc.constantFrom(String(n), `page ${n}`, `p. ${n}`))),
  date: fc.date({ min: new Date(Date.UTC(MIN_YEAR, 0, 1)), max: new Date(Date.UTC(MAX_YEAR, 11, 31)), noInvalidDate: true })
    .chain((d) => {
      const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
      return padded(fc.constantFrom(d.toISOString().slice(0, 10), `${y}/${m}/${day}`, `${y}.${String(m).padStart(2, "0")}.${day}`));
    }),
};

const blank = fc.constantFrom("", " ", "\t\n ", "\u200b", "\u200f\u200e", "\u00a0\u3000", "\u0000\u0007");
const NUMBERISH_BAD = ["abc", "NaN", "Infinity", "-Infinity", "1e3", "0x10", "-1", "--1", "+-2", "１２", "٣", "½½", ".", "3..5", "∞"];
const INVALID: Record<FieldKind, fc.Arbitrary<string>> = {
  title: fc.oneof(blank, fc.integer({ min: MAX_TITLE_LENGTH + 1, max: 4096 }).map((n) => "t".repeat(n)), fc.constantFrom("/ not a command", "/-x")),
  author: fc.oneof(blank, fc.integer({ min: 201, max: 4096 }).map((n) => "a".repeat(n)), fc.constant("/ nope")),
  quote: fc.oneof(blank, fc.integer({ min: 2001, max: 4096 }).map((n) => "q".repeat(n))),
  notes: fc.oneof(blank, fc.integer({ min: 1001, max: 4096 }).map((n) => "n".repeat(n))),
  year: fc.oneof(blank, fc.constantFrom(...NUMBERISH_BAD, "1869", "2101", "0", "19999", "20.5", "１９９９"), fc.integer({ min: -10_000, max: MIN_YEAR - 1 }).map(String), fc.integer({ min: MAX_YEAR + 1, max: 9999 }).map(String)),
  rating: fc.oneof(blank, fc.constantFrom(...NUMBERISH_BAD, "0", "0.5", "5.5", "6", "2.25", "4.75", "½", "10/10", "1e1"), fc.double({ noNaN: true }).filter((d) => !(d >= 1 && d <= 5 && Number.isInteger(d * 2))).map(String)),
  season: fc.oneof(blank, fc.constantFrom(...NUMBERISH_BAD, "0", "101", "1.5", "S-1", "season"), fc.integer({ min: MAX_SEASON + 1, max: 999_999 }).map(String), fc.integer({ max: 0 }).map(String)),
  episode: fc.oneof(blank, fc.constantFrom(...NUMBERISH_BAD, "0", "10001", "2.5", "ep", "1234567"), fc.integer({ min: MAX_EPISODE + 1, max: 999_999 }).map(String)),
  page: fc.oneof(blank, fc.constantFrom(...NUMBERISH_BAD, "100001", "12345678", "1.5")),
  date: fc.oneof(blank, fc.constantFrom(...NUMBERISH_BAD, "2023-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "17.05.2024", "1500-01-01", "2101-01-01", "tomorrow", "2024-5")),
};

/** Anything a person could type: the bot may take it or refuse it, but must do one or the other. */
const chaos = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("-0", "3.0", "05", " 4 ", "2024", "3,5", "1e-1", "4.", ".5", "٣", "\u202eevil", "🎬", "🤷🏽‍♀️", "a\u0000b", "\r\n", "מספר 3"),
  fc.tuple(fc.integer({ min: 3990, max: 4096 }), fc.constantFrom("x", "é", "\n", " ")).map(([n, c]) => c.repeat(n)),
  fc.tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 1, max: 1000 })).map(([s, n]) => s.repeat(n).slice(0, 4096)),
).filter((s) => readCommand(s) === undefined);

/** Button data: our answer buttons, known prefixes with ids that are not this chat's, junk, over-long. */
const buttonJunk = fc.oneof(
  fc.integer({ min: -2, max: 8 }).map((n) => `answer:${n}`),
  fc.constantFrom("answer:/skip", "answer:", "answer", ":", "", "dlg:keep", "dlg:maybe"),
  fc.tuple(fc.constantFrom("e", "ef", "ed", "rt", "rs", "st", "ss", "dl", "dy", "dn", "wt", "im", "ic", "pg", "lc", "ns", "pp", "answer", "zz"), fc.string({ maxLength: 40 }))
    .map(([p, rest]) => `${p}:${rest}`),
  fc.string({ maxLength: 64 }).filter((s) => !s.startsWith("dlg") && !s.startsWith("fg") && !s.startsWith("ex")),
  fc.string({ minLength: 65, maxLength: 300 }),
);

type Action =
  | { type: "valid"; pick: Record<FieldKind, string> }
  | { type: "invalid"; pick: Record<FieldKind, string> }
  | { type: "chaos"; text: string }
  | { type: "skip" }
  | { type: "command"; text: string }
  | { type: "press"; data: string }
  | { type: "rating-button"; stars: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record(VALID).map((pick) => ({ type: "valid" as const, pick })) },
  { weight: 3, arbitrary: fc.record(INVALID).map((pick) => ({ type: "invalid" as const, pick })) },
  { weight: 4, arbitrary: chaos.map((text) => ({ type: "chaos" as const, text })) },
  { weight: 1, arbitrary: fc.constant({ type: "skip" as const }) },
  { weight: 1, arbitrary: fc.constantFrom("/help", "/books", "/add_movie", "/not_a_command", "/start extra words").map((text) => ({ type: "command" as const, text })) },
  { weight: 2, arbitrary: buttonJunk.map((data) => ({ type: "press" as const, data })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }).map((stars) => ({ type: "rating-button" as const, stars })) },
);

// === The model: which question is being asked, and what was accepted

interface Open {
  dialog: string;
  step: number;
  /** Accepted answers by field name (undefined: skipped). */
  accepted: Map<string, { input: string; kind: FieldKind } | undefined>;
  pendingCommand: boolean;
}

function spec(name: string) {
  const s = DIALOGS.get(name);
  if (!s) throw new Error(`no dialog ${name}`);
  return s;
}

/** The message asks the field: it opens with the question, or has it after a note ("<note>\n\n<question>"). */
function asksField(text: string | undefined, dialog: string, step: number): boolean {
  const field = spec(dialog).fields[step];
  return field !== undefined && text !== undefined && (text.startsWith(field.prompt) || text.includes(`\n\n${field.prompt}`));
}

/** One answer to the open dialog: it advanced (or saved), or it repeated the question after a reason, in one message. */
function outcome(open: Open, answer: Answer): "advanced" | "saved" | "repeated" {
  const last = answer.texts.at(-1);
  const fields = spec(open.dialog).fields;
  if (open.step === fields.length - 1 && answer.texts.length === 1 && last !== undefined && /^(Saved the |Changed the |Removed the |Nothing changed)/.test(last)) return "saved";
  if (answer.texts.length === 1 && last!.startsWith(fields[open.step + 1]?.prompt ?? "\u0000")) return "advanced";
  const prompt = fields[open.step]!.prompt;
  const at = last?.indexOf(`\n\n${prompt}`) ?? -1;
  if (answer.texts.length === 1 && at > 0 && last!.slice(0, at).trim() !== "") return "repeated";
  throw new Error(`neither advanced nor repeated with a reason in one message at ${open.dialog} step ${open.step}: ${JSON.stringify(answer.texts.map((s) => s.slice(0, 200)))}`);
}

/** Plays one action against the open dialog and checks the bot's answer; returns false once the dialog ended. */
async function play(chat: number, open: Open, act: Action): Promise<boolean> {
  const field = spec(open.dialog).fields[open.step]!;
  const kind = FIELD_KIND[field.name]!;
  const accept = (input: string) => {
    open.accepted.set(field.name, { input, kind });
    open.step += 1;
  };
  const answerWith = async (input: string, expected: "valid" | "invalid" | "either") => {
    const reply = await say(chat, input);
    const result = outcome(open, reply);
    if (expected === "valid") expect(result, `${JSON.stringify(input)} is a valid ${kind}; the bot said ${JSON.stringify(reply.texts)}`).not.toBe("repeated");
    if (expected === "invalid") expect(result, `${JSON.stringify(input.slice(0, 100))} is not a valid ${kind}`).toBe("repeated");
    if (result !== "repeated") accept(input);
    return result !== "saved";
  };
  switch (act.type) {
    case "valid":
      return answerWith(act.pick[kind], "valid");
    case "invalid":
      return answerWith(act.pick[kind], "invalid");
    case "chaos":
      return answerWith(act.text, "either");
    case "skip": {
      const result = outcome(open, await say(chat, "/skip"));
      expect(result === "repeated").toBe(!field.optional);
      if (result !== "repeated") {
        open.accepted.set(field.name, undefined);
        open.step += 1;
      }
      return result !== "saved";
    }
    case "command": {
      const answer = await say(chat, act.text);
      const name = readCommand(act.text)!.name;
      if (name === "help" || name === "not_a_command") {
        // An aside: its answer, then the same question again.
        expect(asksField(answer.texts.at(-1), open.dialog, open.step)).toBe(true);
      } else {
        expect(answer.texts).toEqual([expect.stringMatching(/^You're in the middle of .*\. Drop it and run \//)]);
        open.pendingCommand = true;
      }
      return true;
    }
    case "rating-button": {
      const answer = await press(chat, `answer:${act.stars}`);
      if (!field.buttons?.flat().some((b) => b.data === `answer:${act.stars}`)) {
        expect(answer.toasts).toEqual(["That button is no longer active."]);
        expect(answer.texts).toEqual([]);
        return true;
      }
      const last = answer.texts.at(-1);
      const saved = open.step === spec(open.dialog).fields.length - 1;
      expect(saved ? /^Saved the /.test(last ?? "") : asksField(last, open.dialog, open.step + 1)).toBe(true);
      accept(String(act.stars));
      return !saved;
    }
    case "press": {
      const answer = await press(chat, act.data);
      const isOurs = field.buttons?.flat().some((b) => b.data === act.data);
      if (act.data === "dlg:keep" && open.pendingCommand) {
        open.pendingCommand = false;
        expect(asksField(answer.texts.at(-1), open.dialog, open.step)).toBe(true);
        return true;
      }
      if (isOurs) {
        const last = answer.texts.at(-1);
        if (act.data === "answer:/skip") open.accepted.set(field.name, undefined);
        else open.accepted.set(field.name, { input: act.data.slice("answer:".length), kind });
        open.step += 1;
        const saved = open.step === spec(open.dialog).fields.length;
        expect(saved ? /^Saved the /.test(last ?? "") : asksField(last, open.dialog, open.step)).toBe(true);
        return !saved;
      }
      // Anything else: a friendly toast, no message, nothing changed.
      expect(answer.texts).toEqual([]);
      expect(answer.toasts[0]).toMatch(/no longer (active|exists)|That entry no longer exists|private/);
      return true;
    }
  }
}

const ADD_FIELDS: Record<string, Record<string, keyof StoredEntry>> = {
  add_book: { title: "title", author: "author", rating: "rating" },
  add_movie: { title: "title", year: "year", rating: "rating" },
  add_show: { title: "title", season: "season", episode: "episode", rating: "rating" },
  add_quote: { text: "quoteText", title: "title", author: "author" },
};
const KIND_OF: Record<string, string> = { add_book: "book", add_movie: "movie", add_show: "show", add_quote: "quote" };

/** The stored entry holds exactly the accepted answers, and every value is one the bot may hold. */
function expectEntryFrom(stored: StoredEntry, accepted: Open["accepted"], columns: Record<string, keyof StoredEntry>): void {
  for (const [fieldName, column] of Object.entries(columns)) {
    const answer = accepted.get(fieldName);
    if (answer === undefined) {
      expect(stored[column], `${fieldName} was skipped`).toBeNull();
      continue;
    }
    expectStoredFrom(answer.kind, answer.input, stored[column]);
    expectValid(answer.kind, stored[column]);
  }
}

describe("dialogs under random answers", () => {
  it("/add_book, /add_movie, /add_show, /add_quote: always answered, advance or re-ask with a reason, store exactly what was accepted", async () => {
    const session = fc.record({
      dialog: fc.constantFrom("add_book", "add_movie", "add_show", "add_quote"),
      actions: fc.array(action, { maxLength: 9 }),
      finish: fc.boolean(),
      finishWith: fc.record(VALID),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(session, { minLength: 1, maxLength: 3 }), async (sessions) => {
        const chat = nextChat++;
        let saved = 0;
        for (const s of sessions) {
          const start = await say(chat, `/add_${s.dialog.slice(4)}`);
          expect(asksField(start.texts.at(-1), s.dialog, 0)).toBe(true);
          const open: Open = { dialog: s.dialog, step: 0, accepted: new Map(), pendingCommand: false };
          let going = true;
          for (const act of s.actions) {
            going = await play(chat, open, act);
            if (!going) break;
          }
          while (going && s.finish) going = await play(chat, open, { type: "valid", pick: s.finishWith });
          if (going) {
            const cancel = await say(chat, "/cancel");
            expect(cancel.texts.at(-1)).toBe(`OK, I dropped the ${spec(s.dialog).noun}.`);
          } else {
            saved += 1;
          }
          const stored = entries(chat);
          expect(stored).toHaveLength(saved);
          if (!going) {
            const last = stored.at(-1)!;
            expect(last.kind).toBe(KIND_OF[s.dialog]);
            expectEntryFrom(last, open.accepted, ADD_FIELDS[s.dialog]!);
          }
        }
      }),
      { numRuns: 18, seed: SEED },
    );
    expect(t.app.db.prepare("SELECT COUNT(*) FROM inbox WHERE status != 'done'").pluck().get()).toBe(0);
  }, 120_000);

  it("edit dialogs: a field changes only to an accepted value, and a refused answer changes nothing", async () => {
    const chat = nextChat++;
    // One entry of each kind, through the real dialogs.
    for (const [command, answers] of [
      ["/add_book", ["Dune", "Frank Herbert", "4"]],
      ["/add_movie", ["Arrival", "2016", "5"]],
      ["/add_show", ["Severance", "2", "5", "/skip"]],
      ["/add_quote", ["Fear is the mind-killer.", "Dune", "Frank Herbert"]],
    ] as const) {
      await say(chat, command);
      for (const a of answers) await say(chat, a);
    }
    const [book, movie, show, quote] = entries(chat);
    const byKind: Record<string, StoredEntry> = { book: book!, movie: movie!, show: show!, quote: quote! };
    // A second edit while one is open names the one in progress (it used to say "adding a change").
    await press(chat, `ed:${book!.id}:title`);
    const busy = await press(chat, `ed:${movie!.id}:year`);
    expect(busy.texts).toEqual(["You're in the middle of changing the title. Finish it or /cancel it first, then tap the button again."]);
    const COLUMN: Record<string, keyof StoredEntry> = {
      title: "title", text: "quoteText", work: "title", author: "author", year: "year", season: "season", episode: "episode", rating: "rating", page: "currentPage", notes: "notes",
      finished: "finishedOn", watched: "watchedOn",
    };
    const EDITS: Array<[string, string]> = [
      ["book", "title"], ["book", "author"], ["book", "rating"], ["book", "page"], ["book", "finished"], ["book", "notes"],
      ["movie", "title"], ["movie", "year"], ["movie", "rating"], ["movie", "watched"], ["show", "season"], ["show", "episode"], ["show", "rating"],
      ["quote", "text"], ["quote", "work"], ["quote", "author"],
    ];
    const editAnswer = fc.oneof(
      fc.record(VALID).map((pick) => ({ type: "valid" as const, pick })),
      fc.record(INVALID).map((pick) => ({ type: "invalid" as const, pick })),
      chaos.map((text) => ({ type: "chaos" as const, text })),
      fc.constantFrom("clear", " NONE ", "/skip").map((text) => ({ type: "word" as const, text })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EDITS), fc.array(editAnswer, { minLength: 1, maxLength: 4 }), async ([kind, key], answers) => {
        // A run that failed (while shrinking) may have left its edit open: start clean.
        await say(chat, "/cancel");
        const target = byKind[kind]!;
        const column = COLUMN[key]!;
        const before = entries(chat).find((e) => e.id === target.id)!;
        const started = await press(chat, `ed:${target.id}:${key}`);
        const dialog = `edit_${key}`;
        expect(started.texts[0]).toMatch(/^Changing the /);
        expect(asksField(started.texts.at(-1), dialog, 0)).toBe(true);
        const open: Open = { dialog, step: 0, accepted: new Map(), pendingCommand: false };
        const optional = spec(dialog).fields[0]!.optional === true;
        let ended = false;
        for (const a of answers) {
          if (a.type === "word") {
            const isClear = a.text !== "/skip";
            const reply = await say(chat, a.text);
            if (!optional) {
              // Required fields: "/skip" can't skip; "clear" is just a bad (or, for text, a fine) answer.
              if (!isClear) {
                expect(outcome(open, reply)).toBe("repeated");
                continue;
              }
              if (outcome(open, reply) === "repeated") continue;
              open.accepted.set(key, { input: a.text, kind: FIELD_KIND[key]! });
              ended = true;
              break;
            }
            expect(outcome(open, reply)).toBe("saved");
            open.accepted.set(key, isClear ? { input: "", kind: FIELD_KIND[key]! } : undefined);
            expect(reply.texts[0]).toMatch(isClear ? /^Removed the / : /^Nothing changed/);
            ended = true;
            break;
          }
          ended = !(await play(chat, open, a));
          if (ended) break;
        }
        const after = entries(chat).find((e) => e.id === target.id)!;
        if (!ended) {
          expect(after).toEqual(before);
          const cancel = await say(chat, "/cancel");
          expect(cancel.texts.at(-1)).toBe("OK, I dropped the change.");
          return;
        }
        const answer = open.accepted.get(key);
        if (answer === undefined) expect(after).toEqual(before);
        else if (answer.input === "" || (optional && /^\s*none\s*$/i.test(answer.input))) expect(after[column]).toBeNull();
        else {
          expectStoredFrom(answer.kind, answer.input, after[column]);
          expectValid(answer.kind, after[column]);
        }
        // Nothing else in the entry moved.
        expect({ ...after, [column]: null }).toEqual({ ...before, [column]: null });
      }),
      { numRuns: 25, seed: SEED },
    );
    expect(t.app.db.prepare("SELECT COUNT(*) FROM inbox WHERE status != 'done'").pluck().get()).toBe(0);
  }, 120_000);
});

// The application's stores (media list, entry history, staged imports, chat settings) on every
// database of the seam, with the same expectations: one SQL must give the same answers on SQLite and
// PostgreSQL, keep hostile text as it was typed, and never show a chat another chat's rows.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../runtime/store.js";
import type { MediaWriter, NewEntry } from "../../agents/media-tracker/media-store.js";
import type { ImportWriter, StagedImport } from "../../agents/media-tracker/import/import-store.js";
import type { ImportedEntry } from "../../agents/media-tracker/import/types.js";
import { createChatSettings } from "../../src/store/chat-settings.js";
import { createImportStore } from "../../src/store/imports.js";
import { createMediaStore } from "../../src/store/media.js";
import { prepareMediaStore } from "../../src/store/prepare.js";
import { type TestStore, testStores } from "../support/test-stores.js";

const TEST_STORES = await testStores();

const CHAT = "7";
const OTHER = "-1001234567890";
const T0 = 1_700_000_000_000;

/** Text that breaks SQL built by hand, LIKE patterns, placeholders or a careless encoding. */
const HOSTILE_TITLES = [
  `O'Brien's "quoted" title`,
  "What? Why?? ?",
  "$1 and $2, $$ dollars $$",
  "100% _under_score_ %%",
  String.raw`back\slash \\ \% \_ \n`,
  "emoji 🎬📚 and 👩‍👩‍👧 and ZWJ",
  "Robert'); DROP TABLE entries;--",
  "x".repeat(10_000) + "!",
];

for (const kind of TEST_STORES) kind.describe(`the app's stores on ${kind.name}`, () => {
  let opened: TestStore;
  let store: Store;
  beforeEach(async () => {
    opened = await kind.open();
    store = opened.store;
  });
  afterEach(async () => {
    await opened.close();
  });

  const media = () => createMediaStore(store.read);
  /** One write, committed: the list inside a unit's transaction. */
  const write = <T>(work: (list: MediaWriter) => Promise<T>) => store.submit((tx) => work(media().within(tx)));
  const importWrite = <T>(work: (imports: ImportWriter) => Promise<T>) => store.submit((tx) => work(createImportStore(store.read).within(tx)));

  let n = 0;
  function entry(fields: Partial<NewEntry> & { title: string }): NewEntry {
    n += 1;
    return { id: `e${n}`, kind: "book", addedAtMs: T0 + n * 1000, ...fields };
  }

  describe("entries", () => {
    it("keep every field as it was given, and read back the same from a write and from committed data", async () => {
      const full: NewEntry = {
        id: "show-1", kind: "show", title: "Severance", addedAtMs: T0, updatedAtMs: T0 + 5,
        rating: 4.5, season: 2, episode: 7, status: "watching", notes: "line 1\nline 2", tmdbId: 95_396,
        tvmazeId: 2_147_483_647, coverUrl: "https://example.org/c.jpg", seasonEpisodes: { "1": 9, "2": 10 }, lastAlerted: "S2E6",
        importKey: "trakt:1",
      };
      const book: NewEntry = {
        id: "book-1", kind: "book", title: "Dune", author: "Frank Herbert", addedAtMs: T0 + 1, status: "finished",
        currentPage: 412, finishedOn: "2024-03-01", isbn: "9780441013593", pages: 412, readCount: 3, openLibraryKey: "OL893415W",
      };
      const added = await write((list) => list.add(CHAT, full));
      await write((list) => list.add(CHAT, book));
      expect(added).toEqual({
        ...full, chatId: CHAT,
        recent: [
          { at: new Date(T0).toISOString(), event: "episode", season: 2, episode: 7 },
          { at: new Date(T0).toISOString(), event: "rated", rating: 4.5 },
          { at: new Date(T0).toISOString(), event: "status", status: "watching" },
        ],
      });
      expect(await media().get(CHAT, "show-1")).toEqual(added);
      expect(await media().get(CHAT, "book-1")).toMatchObject({ ...book, updatedAtMs: book.addedAtMs });
      expect(await write((list) => list.get(CHAT, "book-1"))).toEqual(await media().get(CHAT, "book-1"));
    });

    it("are refused twice under one id, and a refused add leaves nothing behind", async () => {
      await write((list) => list.add(CHAT, entry({ id: "dup", title: "First", rating: 3 })));
      await expect(write((list) => list.add(CHAT, entry({ id: "dup", title: "Second", rating: 5 })))).rejects.toThrow();
      // The same inside a write that goes on: only the failed add is undone.
      await write(async (list) => {
        await expect(list.add(CHAT, entry({ id: "dup", title: "Third", rating: 1, watchedOn: "2024-01-01" }))).rejects.toThrow();
        await list.add(CHAT, entry({ id: "after", title: "After" }));
      });
      expect((await media().everything(CHAT)).map((e) => [e.id, e.title, e.history?.length])).toEqual([["dup", "First", 1], ["after", "After", undefined]]);
    });

    it("are added many at once with duplicates by import key left out, each with the history it brings", async () => {
      const imported = (key: string, title: string, history: NewEntry["history"] = []) =>
        entry({ title, kind: "movie", importKey: key, history });
      const first = await write((list) => list.addMany(CHAT, [
        imported("lb:1", "Heat", [{ at: "2023-05-01", event: "watched" }, { at: "2024-05-01", event: "watched" }]),
        imported("lb:2", "Alien"),
        imported("lb:1", "Heat again", [{ at: "2025-01-01", event: "watched" }]),
      ]));
      expect(first).toEqual({ added: 2, duplicates: 1 });
      const second = await write((list) => list.addMany(CHAT, [imported("lb:2", "Alien"), imported("lb:3", "Ran")]));
      expect(second).toEqual({ added: 1, duplicates: 1 });
      // Another chat's import keys are its own.
      expect(await write((list) => list.addMany(OTHER, [imported("lb:1", "Heat")]))).toEqual({ added: 1, duplicates: 0 });
      const heat = (await media().everything(CHAT)).find((e) => e.title === "Heat")!;
      expect(heat.history).toEqual([{ at: "2023-05-01", event: "watched" }, { at: "2024-05-01", event: "watched" }]);
      expect((await media().everything(CHAT)).map((e) => e.title)).toEqual(["Heat", "Alien", "Ran"]);
    });

    it("record a long imported history in order", async () => {
      // 234 events: statements of 100, 10 and 1 rows.
      const days = Array.from({ length: 234 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
      const history = days.map((at, i) => ({ at, event: "episode" as const, season: 1 + Math.floor(i / 10), episode: 1 + (i % 10) }));
      await write((list) => list.add(CHAT, entry({ id: "long", kind: "show", title: "Long", history })));
      expect(await media().history(CHAT, "long")).toEqual(history);
      expect(await media().history(CHAT, "long", 3)).toEqual(history.slice(-3));
      expect((await media().get(CHAT, "long"))!.recent).toEqual(history.slice(-3));
    });

    it("change by patch, with the events the change means, and not in another chat", async () => {
      await write((list) => list.add(CHAT, entry({ id: "m", kind: "movie", title: "Heat", notes: "old" })));
      const at = T0 + 10_000;
      const updated = await write((list) => list.update(CHAT, "m", { rating: 4, status: "watched", watchedOn: "2024-02-03", notes: null }, at));
      expect(updated).toMatchObject({ id: "m", rating: 4, status: "watched", watchedOn: "2024-02-03", updatedAtMs: at });
      expect(updated).not.toHaveProperty("notes");
      // Oldest first: the change was made in 2023, about a watch day in 2024.
      expect(await media().history(CHAT, "m")).toEqual([
        { at: new Date(at).toISOString(), event: "rated", rating: 4 },
        { at: new Date(at).toISOString(), event: "status", status: "watched" },
        { at: "2024-02-03", event: "watched" },
      ]);
      expect(await write((list) => list.update(OTHER, "m", { rating: 1 }, at))).toBeUndefined();
      expect(await write((list) => list.update(CHAT, "missing", { rating: 1 }, at))).toBeUndefined();
      expect((await media().get(CHAT, "m"))!.rating).toBe(4);
    });

    it("are deleted one by one or all of a chat's at once, their history with them", async () => {
      await write(async (list) => {
        await list.add(CHAT, entry({ id: "a", kind: "movie", title: "A", watchedOn: "2024-01-01" }));
        await list.add(CHAT, entry({ id: "b", title: "B" }));
        await list.add(OTHER, entry({ id: "c", kind: "movie", title: "C", watchedOn: "2024-01-02" }));
      });
      expect(await write((list) => list.remove(OTHER, "a"))).toBe(false);
      expect(await write((list) => list.remove(CHAT, "a"))).toBe(true);
      expect(await write((list) => list.remove(CHAT, "a"))).toBe(false);
      expect(await media().history(CHAT, "a")).toEqual([]);
      expect(await write((list) => list.removeAll(CHAT))).toBe(1);
      expect(await media().count(CHAT)).toBe(0);
      expect(await media().events(OTHER, "2024", "2025")).toEqual([{ at: "2024-01-02", event: "watched", entryId: "c" }]);
    });

    it("list newest first, a page at a time, by kind and status; a movie without a status counts as watched", async () => {
      await write(async (list) => {
        await list.add(CHAT, entry({ id: "b1", title: "Book one", status: "reading" }));
        await list.add(CHAT, entry({ id: "m1", kind: "movie", title: "Movie one" }));
        await list.add(CHAT, entry({ id: "m2", kind: "movie", title: "Movie two", status: "want" }));
        await list.add(CHAT, entry({ id: "m3", kind: "movie", title: "Movie three", status: "watched" }));
        await list.add(CHAT, entry({ id: "b2", title: "Book two", status: "reading" }));
      });
      const ids = async (query: Parameters<MediaWriter["list"]>[1]) => (await media().list(CHAT, query)).map((e) => e.id);
      expect(await ids({})).toEqual(["b2", "m3", "m2", "m1", "b1"]);
      expect(await ids({ limit: 2, offset: 1 })).toEqual(["m3", "m2"]);
      expect(await ids({ kind: "movie", status: "watched" })).toEqual(["m3", "m1"]);
      expect(await ids({ kind: "book", status: "reading" })).toEqual(["b2", "b1"]);
      expect(await media().count(CHAT, { kind: "movie" })).toBe(3);
      expect(await media().count(CHAT, { status: "reading" })).toBe(2);
      expect(await media().count(OTHER)).toBe(0);
    });

    it("with the same added time, sort by id byte by byte", async () => {
      // Ids a collation would order otherwise (case, punctuation): both databases order them as bytes.
      const ids = ["b-2", "B_1", "a.3", "A-4", "a-3", "Z", "_x", "-y"];
      await write(async (list) => {
        for (const id of ids) await list.add(CHAT, { id, kind: "quote", title: id, quoteText: "q", addedAtMs: T0 });
      });
      const bytewise = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect((await media().everything(CHAT)).map((e) => e.id)).toEqual(bytewise);
      expect((await media().list(CHAT)).map((e) => e.id)).toEqual([...bytewise].reverse());
    });

    it("give every chat's list for exports, chats in order, each oldest first with its history", async () => {
      await write(async (list) => {
        await list.add("9", entry({ id: "n1", kind: "movie", title: "Nine", watchedOn: "2024-01-01" }));
        await list.add(CHAT, entry({ id: "s1", title: "Seven" }));
        await list.add(OTHER, entry({ id: "o1", title: "Group" }));
        await list.add(CHAT, entry({ id: "s2", title: "Seven two", finishedOn: "2024-02-02" }));
      });
      const all = await media().everything();
      expect(all.map((e) => [e.chatId, e.id])).toEqual([[OTHER, "o1"], [CHAT, "s1"], [CHAT, "s2"], ["9", "n1"]]);
      expect(all.find((e) => e.id === "n1")!.history).toEqual([{ at: "2024-01-01", event: "watched" }]);
      expect(all.find((e) => e.id === "s2")!.history).toEqual([{ at: "2024-02-02", event: "finished" }]);
    });

    it("name the shows being watched with a TVmaze id, across chats", async () => {
      await write(async (list) => {
        await list.add(CHAT, entry({ id: "w1", kind: "show", title: "Watched", tvmazeId: 5, season: 1, episode: 2, lastAlerted: "S1E3" }));
        await list.add(OTHER, entry({ id: "w2", kind: "show", title: "Watched", tvmazeId: 5, status: "watching" }));
        await list.add(CHAT, entry({ id: "p1", kind: "show", title: "Paused", tvmazeId: 6, status: "paused" }));
        await list.add(CHAT, entry({ id: "n1", kind: "show", title: "No id", status: "watching" }));
        await list.add(CHAT, entry({ id: "big", kind: "show", title: "Big id", tvmazeId: 3_000_000_000 }));
      });
      expect(await media().watchedShows()).toEqual([
        { chatId: OTHER, entryId: "w2", tvmazeId: 5 },
        { chatId: CHAT, entryId: "w1", tvmazeId: 5, season: 1, episode: 2, lastAlerted: "S1E3" },
        { chatId: CHAT, entryId: "big", tvmazeId: 3_000_000_000 },
      ]);
    });

    it("give a chat's events between two days, oldest first", async () => {
      await write(async (list) => {
        await list.add(CHAT, entry({ id: "x", kind: "movie", title: "X", history: [
          { at: "2023-12-31T23:59:59Z", event: "watched" }, { at: "2024-01-01", event: "watched" },
          { at: "2024-06-30T10:00:00.000Z", event: "watched" }, { at: "2025-01-01", event: "watched" },
        ] }));
        await list.add(OTHER, entry({ id: "y", kind: "movie", title: "Y", history: [{ at: "2024-03-03", event: "watched" }] }));
      });
      expect((await media().events(CHAT, "2024", "2025")).map((e) => e.at)).toEqual(["2024-01-01", "2024-06-30T10:00:00.000Z"]);
      expect((await media().events(CHAT, "2024-01-01", "2024-06-30\uffff")).map((e) => e.at)).toEqual(["2024-01-01", "2024-06-30T10:00:00.000Z"]);
    });

    it("are seen by committed reads only once their write has committed", async () => {
      await store.submit(async (tx) => {
        await media().within(tx).add(CHAT, entry({ id: "pending", title: "Pending" }));
        expect(await media().within(tx).get(CHAT, "pending")).toBeDefined();
        expect(await media().get(CHAT, "pending")).toBeUndefined();
      });
      expect(await media().get(CHAT, "pending")).toBeDefined();
    });
  });

  describe("hostile text", () => {
    it("round-trips titles, authors, notes and quotes exactly, and finds each by its own words", async () => {
      await write(async (list) => {
        for (const [i, title] of HOSTILE_TITLES.entries()) {
          await list.add(CHAT, { id: `h${i}`, kind: "quote", title, author: title, quoteText: title, notes: title, addedAtMs: T0 + i });
        }
      });
      const stored = await media().everything(CHAT);
      expect(stored.map((e) => [e.title, e.author, e.quoteText, e.notes])).toEqual(HOSTILE_TITLES.map((t) => [t, t, t, t]));
      for (const [i, title] of HOSTILE_TITLES.entries()) {
        const words = title.slice(0, 12);
        expect((await media().list(CHAT, { text: words })).map((e) => e.id)).toContain(`h${i}`);
      }
      // LIKE's wildcards and the escape character are plain characters.
      const found = async (text: string) => (await media().list(CHAT, { text })).map((e) => e.id).sort();
      expect(await found("%")).toEqual(["h3", "h4"]);
      expect(await found("%%")).toEqual(["h3"]);
      expect(await found("_u")).toEqual(["h3"]);
      expect(await found("\\")).toEqual(["h4"]);
      expect(await found("\\%")).toEqual(["h4"]);
      expect(await found("\\\\")).toEqual(["h4"]);
      expect(await found("?")).toEqual(["h1"]);
      expect(await found("$1")).toEqual(["h2"]);
      expect(await found("🎬📚")).toEqual(["h5"]);
      expect(await media().count(CHAT, { text: "'" })).toBe(2);
    });

    it("keeps the same text on every database: a NUL character is dropped, the rest kept", async () => {
      const added = await write((list) => list.add(CHAT, entry({ title: "Nul\u0000in\u0000title", notes: "a\u0000b" })));
      expect(added).toMatchObject({ title: "Nulintitle", notes: "ab" });
      const changed = await write((list) => list.update(CHAT, added.id, { title: "Still\u0000here" }, T0));
      expect(changed!.title).toBe("Stillhere");
      expect((await media().list(CHAT, { text: "stillhere" })).map((e) => e.id)).toEqual([added.id]);
    });
  });

  describe("text search", () => {
    it("folds case and accents and treats wildcards as text, the same on every database", async () => {
      await write(async (list) => {
        await list.add(CHAT, entry({ id: "w", title: "Война и мир", author: "Лев Толстой" }));
        await list.add(CHAT, entry({ id: "a", kind: "movie", title: "Le Fabuleux Destin d'Amélie Poulain" }));
        await list.add(CHAT, entry({ id: "d", kind: "movie", title: "DUNE: Part Two" }));
        await list.add(CHAT, entry({ id: "p", kind: "book", title: "50% off_sale" }));
        await list.add(CHAT, entry({ id: "s", kind: "book", title: "Straße" }));
        await list.add(OTHER, entry({ id: "o", title: "Война и мир" }));
      });
      const found = async (text: string) => (await media().list(CHAT, { text })).map((e) => e.id).sort();
      expect(await found("ВОЙНА")).toEqual(["w"]);
      expect(await found("толстой")).toEqual(["w"]);
      expect(await found("AMELIE")).toEqual(["a"]);
      expect(await found("amélie")).toEqual(["a"]);
      expect(await found("dune")).toEqual(["d"]);
      expect(await found("Dune: PART")).toEqual(["d"]);
      expect(await found("strasse")).toEqual(["s"]);
      expect(await found("50%")).toEqual(["p"]);
      expect(await found("0%_o")).toEqual([]);
      expect(await found("off_sale")).toEqual(["p"]);
      expect(await found("off%sale")).toEqual([]);
      expect(await found("d_ne")).toEqual([]);
      expect(await found("e")).toEqual(["a", "d", "p", "s"]);
      expect(await media().count(CHAT, { text: "мир" })).toBe(1);
    });

    it("is prepared for rows written without folded text", async () => {
      await store.submit(async (tx) => {
        for (let i = 0; i < 1203; i++) {
          await tx.run(`INSERT INTO entries (id, chat_id, kind, title, added_at_ms, updated_at_ms) VALUES (?, ?, 'book', ?, ?, ?)`, [`old${i}`, CHAT, `Book ${i}`, i, i]);
        }
        await tx.run(`INSERT INTO entries (id, chat_id, kind, title, author, added_at_ms, updated_at_ms) VALUES ('w', ?, 'book', 'Война и мир', 'Лев Толстой', 2000, 2000)`, [CHAT]);
      });
      await prepareMediaStore(store);
      expect(await store.read.get(`SELECT id FROM entries WHERE search_text IS NULL`)).toBeUndefined();
      expect((await media().list(CHAT, { text: "война" })).map((e) => e.id)).toEqual(["w"]);
      expect(await media().count(CHAT, { text: "book 1202" })).toBe(1);
      expect(await media().get(CHAT, "w")).toMatchObject({ title: "Война и мир", addedAtMs: 2000, updatedAtMs: 2000 });
      // Done once: a second preparation finds nothing to do.
      const commits = store.stats.commits;
      await prepareMediaStore(store);
      expect(store.stats.commits).toBe(commits);
    });
  });

  describe("chats apart", () => {
    it("never show one chat another chat's entries, history, imports or settings", async () => {
      await write(async (list) => {
        await list.add(OTHER, entry({ id: "secret", kind: "movie", title: "Secret", rating: 5, watchedOn: "2024-01-01", tvmazeId: 1 }));
      });
      await importWrite((imports) => imports.stage(staged(OTHER, "imp")));
      await store.submit((tx) => createChatSettings(store.read).within(tx).setAlertsEnabled(OTHER, false));

      expect(await media().get(CHAT, "secret")).toBeUndefined();
      expect(await media().list(CHAT)).toEqual([]);
      expect(await media().list(CHAT, { text: "secret" })).toEqual([]);
      expect(await media().count(CHAT)).toBe(0);
      expect(await media().everything(CHAT)).toEqual([]);
      expect(await media().history(CHAT, "secret")).toEqual([]);
      expect(await media().events(CHAT, "0000", "9999")).toEqual([]);
      expect(await write((list) => list.update(CHAT, "secret", { title: "Mine now" }, T0))).toBeUndefined();
      expect(await write((list) => list.remove(CHAT, "secret"))).toBe(false);
      expect(await write((list) => list.removeAll(CHAT))).toBe(0);
      expect(await createImportStore(store.read).get(CHAT, "imp")).toBeUndefined();
      expect(await importWrite((imports) => imports.discard(CHAT, "imp"))).toBe(false);
      await importWrite((imports) => imports.markApplied(CHAT, "imp", T0));
      expect(await importWrite((imports) => imports.removeAll(CHAT))).toBe(0);
      expect(await createChatSettings(store.read).alertsEnabled(CHAT)).toBe(true);

      // And the other chat still has everything, untouched.
      expect(await media().get(OTHER, "secret")).toMatchObject({ title: "Secret", rating: 5 });
      expect(await createImportStore(store.read).get(OTHER, "imp")).toMatchObject({ id: "imp", entries: staged(OTHER, "imp").entries });
      expect(await createChatSettings(store.read).alertsEnabled(OTHER)).toBe(false);
    });
  });

  describe("staged imports", () => {
    it("wait one at a time per chat, are applied once (their entries let go), or dropped while waiting", async () => {
      await importWrite((imports) => imports.stage(staged(CHAT, "i1")));
      await importWrite((imports) => imports.stage(staged(CHAT, "i2")));
      const imports = createImportStore(store.read);
      expect(await imports.get(CHAT, "i1")).toBeUndefined();
      expect(await imports.get(CHAT, "i2")).toEqual(staged(CHAT, "i2"));

      await importWrite((w) => w.markApplied(CHAT, "i2", T0 + 5));
      expect(await imports.get(CHAT, "i2")).toEqual({ ...staged(CHAT, "i2"), entries: [], appliedAtMs: T0 + 5 });
      // Applied: no longer discarded, and a new one waiting leaves it be.
      expect(await importWrite((w) => w.discard(CHAT, "i2"))).toBe(false);
      await importWrite((w) => w.stage(staged(CHAT, "i3")));
      expect(await imports.get(CHAT, "i2")).toBeDefined();
      expect(await importWrite((w) => w.discard(CHAT, "i3"))).toBe(true);
      expect(await imports.get(CHAT, "i3")).toBeUndefined();
      expect(await importWrite((w) => w.removeAll(CHAT))).toBe(1);
    });

    it("keep hostile text in their entries and summary", async () => {
      const hostile = { ...staged(CHAT, "h"), summary: HOSTILE_TITLES.join("\n"), entries: HOSTILE_TITLES.map((title) => ({ kind: "book", title }) as ImportedEntry) };
      await importWrite((w) => w.stage(hostile));
      expect(await createImportStore(store.read).get(CHAT, "h")).toEqual(hostile);
    });
  });

  describe("chat settings", () => {
    it("have alerts on until a chat turns them off, and back on", async () => {
      const settings = createChatSettings(store.read);
      expect(await settings.alertsEnabled(CHAT)).toBe(true);
      await store.submit((tx) => settings.within(tx).setAlertsEnabled(CHAT, false));
      expect(await settings.alertsEnabled(CHAT)).toBe(false);
      await store.submit((tx) => settings.within(tx).setAlertsEnabled(CHAT, true));
      expect(await settings.alertsEnabled(CHAT)).toBe(true);
    });
  });
});

function staged(chatId: string, id: string): Omit<StagedImport, "appliedAtMs"> {
  return {
    id,
    chatId,
    source: "letterboxd",
    entries: [{ kind: "movie", title: "Heat", year: 1995, importKey: "lb:heat" } as ImportedEntry],
    skipped: { total: 1, first: [{ where: "row 3", reason: "no title" }] },
    summary: "Letterboxd: 1 movie.",
    createdAtMs: T0,
  };
}

// A test server may sort text byte by byte anyway (C.UTF-8): the schema must not depend on it.
const postgres = TEST_STORES.find((kind) => kind.name === "PostgreSQL")!;
postgres.describe("the media tables on PostgreSQL", () => {
  it("compare ids, chat ids and event days byte by byte (as SQLite does), whatever the database's collation", async () => {
    const { store, close } = await postgres.open();
    try {
      const columns = await store.read.all<{ table_name: string; column_name: string; collation_name: string | null }>(
        `SELECT table_name, column_name, collation_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name IN ('entries', 'entry_events', 'imports', 'chat_settings')
           AND column_name IN ('id', 'chat_id', 'entry_id', 'at') AND data_type = 'text'
         ORDER BY table_name, column_name`,
      );
      expect(columns.map((c) => `${c.table_name}.${c.column_name} ${c.collation_name}`)).toEqual([
        "chat_settings.chat_id C", "entries.chat_id C", "entries.id C", "entry_events.at C", "entry_events.chat_id C",
        "entry_events.entry_id C", "imports.chat_id C", "imports.id C",
      ]);
    } finally {
      await close();
    }
  });
});

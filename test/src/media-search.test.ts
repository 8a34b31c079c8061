// Search that folds case and accents in JavaScript (SQLite's lower() folds only ASCII): the fold
// itself, the store's search (what /find and the model's find_entries use) on every database, an
// edit refreshing it, and a SQLite file from before migration 0006 whose every row is searchable
// once the upgraded database is prepared.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MediaWriter, NewEntry } from "../../agents/media-tracker/media-store.js";
import { migrate, migrateRuntimeSchema, readMigrations } from "../../runtime/index.js";
import type { Store } from "../../runtime/store.js";
import { openSqliteStore } from "../../runtime/sqlite/sqlite-store.js";
import { createMediaStore } from "../../src/store/media.js";
import { prepareMediaStore } from "../../src/store/prepare.js";
import { foldForSearch, searchTextOf } from "../../src/store/search-text.js";
import { makeLegacyDatabase } from "../support/legacy-database.js";
import { MIGRATIONS_DIR, type TempDatabase, tempDatabase } from "../support/temp-database.js";
import { type TestStore, testStores } from "../support/test-stores.js";

const TEST_STORES = await testStores();

const CHAT = "7";
const temps: TempDatabase[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) t.close();
});

async function fresh(): Promise<TempDatabase> {
  const t = await tempDatabase();
  temps.push(t);
  return t;
}

let n = 0;
function entry(fields: Partial<NewEntry> & { title: string }): NewEntry {
  n += 1;
  return { id: `e${n}`, kind: "book", addedAtMs: 1_700_000_000_000 + n, ...fields };
}

describe("foldForSearch", () => {
  it("folds case beyond ASCII, accents and compatibility forms", () => {
    expect(foldForSearch("Война и мир")).toBe("война и мир");
    expect(foldForSearch("Amélie")).toBe("amelie");
    expect(foldForSearch("ÉLAN")).toBe("elan");
    expect(foldForSearch("Ёлка")).toBe("елка");
    // й and ў are letters of their own, not и and у with an accent; ă still folds.
    expect(foldForSearch("ЙОД Ўсё")).toBe("йод ўсе");
    expect(foldForSearch("Ăla")).toBe("ala");
    expect(foldForSearch("ＤＵＮＥ")).toBe("dune");
    expect(foldForSearch("Straße")).toBe("strasse");
    expect(foldForSearch("ΟΔΥΣΣΕΥΣ")).toBe(foldForSearch("οδυσσευς"));
    expect(foldForSearch("İstanbul")).toBe("istanbul");
    // Scripts without case or accents are left as they are (recomposed, not split into parts).
    expect(foldForSearch("가나다 かな")).toBe("가나다 かな");
  });

  it("keeps an entry's fields apart, so a match never spans two of them", () => {
    expect(searchTextOf({ title: "Dune", author: "Frank Herbert", notes: null })).toBe("dune\u001ffrank herbert");
  });
});

for (const kind of TEST_STORES) kind.describe(`the store's text search on ${kind.name}`, () => {
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
  const write = <T>(work: (list: MediaWriter) => Promise<T>) => store.submit((tx) => work(media().within(tx)));

  it("finds non-ASCII capitals and accented letters whichever way they are typed", async () => {
    await write(async (list) => {
      await list.add(CHAT, entry({ title: "Война и мир", author: "Лев Толстой" }));
      await list.add(CHAT, entry({ title: "Élan", kind: "movie" }));
      await list.add(CHAT, entry({ title: "Le Fabuleux Destin d'Amélie Poulain", kind: "movie" }));
      await list.add(CHAT, entry({ title: "Solaris", kind: "quote", quoteText: "Мы не ищем никого, кроме человека." }));
    });
    const titles = async (text: string) => (await media().list(CHAT, { text })).map((e) => e.title);

    expect(await titles("война")).toEqual(["Война и мир"]);
    expect(await titles("ВОЙНА")).toEqual(["Война и мир"]);
    expect(await titles("толстой")).toEqual(["Война и мир"]);
    expect(await titles("élan")).toEqual(["Élan"]);
    expect(await titles("elan")).toEqual(["Élan"]);
    expect(await titles("amelie")).toEqual(["Le Fabuleux Destin d'Amélie Poulain"]);
    expect(await titles("AMÉLIE")).toEqual(["Le Fabuleux Destin d'Amélie Poulain"]);
    expect(await titles("человека")).toEqual(["Solaris"]);
    expect(await media().count(CHAT, { text: "война" })).toBe(1);
    // Only within one field, only this chat's entries, and LIKE's wildcards are plain characters.
    expect(await titles("мир\u001fлев")).toEqual([]);
    expect(await titles("мир лев")).toEqual([]);
    expect(await media().list("8", { text: "война" })).toEqual([]);
    expect(await titles("%")).toEqual([]);
    expect(await titles("_")).toEqual([]);
  });

  it("follows an edit of the title, author, quote or notes", async () => {
    const added = await write((list) => list.add(CHAT, entry({ title: "Untitled" })));
    const found = async (text: string) => (await media().list(CHAT, { text })).map((e) => e.id);
    await write((list) => list.update(CHAT, added.id, { title: "Ätna", notes: "Über alles" }, 1_800_000_000_000));
    expect(await found("atna")).toEqual([added.id]);
    expect(await found("uber")).toEqual([added.id]);
    expect(await found("untitled")).toEqual([]);
    await write((list) => list.update(CHAT, added.id, { notes: null }, 1_800_000_000_001));
    expect(await found("uber")).toEqual([]);
    // A patch that leaves the text alone keeps it searchable.
    await write((list) => list.update(CHAT, added.id, { rating: 4 }, 1_800_000_000_002));
    expect(await found("ätna")).toEqual([added.id]);
  });
});

describe("a SQLite file from before migration 0006", () => {

  it("finds every row written before migration 0006, once the upgraded database is prepared", async () => {
    const t = await fresh();
    // A database as the previous release left it: every migration before 0006, rows without search_text.
    makeLegacyDatabase(`${t.dir}/old.db`, 5, {
      fill(old) {
        const insert = old.prepare(
          `INSERT INTO entries (id, chat_id, kind, title, author, quote_text, notes, added_at_ms, updated_at_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        // More rows than one fill batch, so the backfill has to go round.
        for (let i = 0; i < 1203; i++) insert.run(`old${i}`, CHAT, "book", `Book ${i}`, null, null, null, i, i);
        insert.run("w", CHAT, "book", "Война и мир", "Лев Толстой", null, null, 2000, 2000);
        insert.run("a", CHAT, "movie", "Amélie", null, null, null, 2001, 2001);
        insert.run("q", CHAT, "quote", "Dune", "Frank Herbert", "Fear is the mind-killer.", "Ésotérique", 2002, 2002);
      },
    });

    const upgraded = openSqliteStore(`${t.dir}/old.db`);
    try {
      await migrateRuntimeSchema(upgraded);
      expect(await upgraded.submit((tx) => migrate(tx, readMigrations(MIGRATIONS_DIR)))).toContain(6);
      await prepareMediaStore(upgraded);
      const media = createMediaStore(upgraded.read);
      expect(await upgraded.read.get("SELECT id FROM entries WHERE search_text IS NULL")).toBeUndefined();
      const ids = async (text: string) => (await media.list(CHAT, { text })).map((e) => e.id);
      expect(await ids("война")).toEqual(["w"]);
      expect(await ids("amelie")).toEqual(["a"]);
      expect(await ids("esoterique")).toEqual(["q"]);
      expect(await ids("MIND-KILLER")).toEqual(["q"]);
      expect(await media.count(CHAT, { text: "book 1202" })).toBe(1);
      // Nothing else changed in the old rows.
      expect(await media.get(CHAT, "w")).toMatchObject({ title: "Война и мир", author: "Лев Толстой", addedAtMs: 2000, updatedAtMs: 2000 });
    } finally {
      await upgraded.close();
    }
  });
});

// Search that folds case and accents in JavaScript (SQLite's lower() folds only ASCII): the fold
// itself, the store's search (what /find and the model's find_entries use), an edit refreshing it,
// and a database from before migration 0006 whose every row is searchable after the upgrade.
import { afterEach, describe, expect, it } from "vitest";
import type { NewEntry } from "../../agents/media-tracker/media-store.js";
import { migrate, openDatabase, readMigrations } from "../../runtime/index.js";
import { createMediaStore } from "../../src/store/media.js";
import { foldForSearch, searchTextOf } from "../../src/store/search-text.js";
import { MIGRATIONS_DIR, type TempDatabase, tempDatabase } from "../support/temp-database.js";

const CHAT = "7";
const temps: TempDatabase[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) t.close();
});

function fresh(): TempDatabase {
  const t = tempDatabase();
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

describe("the store's text search", () => {
  it("finds non-ASCII capitals and accented letters whichever way they are typed", () => {
    const { db } = fresh();
    const store = createMediaStore(db);
    store.add(CHAT, entry({ title: "Война и мир", author: "Лев Толстой" }));
    store.add(CHAT, entry({ title: "Élan", kind: "movie" }));
    store.add(CHAT, entry({ title: "Le Fabuleux Destin d'Amélie Poulain", kind: "movie" }));
    store.add(CHAT, entry({ title: "Solaris", kind: "quote", quoteText: "Мы не ищем никого, кроме человека." }));
    const titles = (text: string) => store.list(CHAT, { text }).map((e) => e.title);

    expect(titles("война")).toEqual(["Война и мир"]);
    expect(titles("ВОЙНА")).toEqual(["Война и мир"]);
    expect(titles("толстой")).toEqual(["Война и мир"]);
    expect(titles("élan")).toEqual(["Élan"]);
    expect(titles("elan")).toEqual(["Élan"]);
    expect(titles("amelie")).toEqual(["Le Fabuleux Destin d'Amélie Poulain"]);
    expect(titles("AMÉLIE")).toEqual(["Le Fabuleux Destin d'Amélie Poulain"]);
    expect(titles("человека")).toEqual(["Solaris"]);
    expect(store.count(CHAT, { text: "война" })).toBe(1);
    // Only within one field, only this chat's entries, and LIKE's wildcards are plain characters.
    expect(titles("мир\u001fлев")).toEqual([]);
    expect(titles("мир лев")).toEqual([]);
    expect(store.list("8", { text: "война" })).toEqual([]);
    expect(titles("%")).toEqual([]);
    expect(titles("_")).toEqual([]);
  });

  it("follows an edit of the title, author, quote or notes", () => {
    const { db } = fresh();
    const store = createMediaStore(db);
    const added = store.add(CHAT, entry({ title: "Untitled" }));
    store.update(CHAT, added.id, { title: "Ätna", notes: "Über alles" }, 1_800_000_000_000);
    expect(store.list(CHAT, { text: "atna" }).map((e) => e.id)).toEqual([added.id]);
    expect(store.list(CHAT, { text: "uber" }).map((e) => e.id)).toEqual([added.id]);
    expect(store.list(CHAT, { text: "untitled" })).toEqual([]);
    store.update(CHAT, added.id, { notes: null }, 1_800_000_000_001);
    expect(store.list(CHAT, { text: "uber" })).toEqual([]);
    // A patch that leaves the text alone keeps it searchable.
    store.update(CHAT, added.id, { rating: 4 }, 1_800_000_000_002);
    expect(store.list(CHAT, { text: "ätna" }).map((e) => e.id)).toEqual([added.id]);
  });

  it("finds every row written before migration 0006, once the upgraded database is opened", () => {
    const t = fresh();
    // A database as the previous release left it: every migration before 0006, rows without search_text.
    const old = openDatabase(`${t.dir}/old.db`);
    const migrations = readMigrations(MIGRATIONS_DIR);
    migrate(old, migrations.filter((m) => m.version < 6));
    const insert = old.prepare(
      `INSERT INTO entries (id, chat_id, kind, title, author, quote_text, notes, added_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // More rows than one fill batch, so the backfill has to go round.
    old.transaction(() => {
      for (let i = 0; i < 1203; i++) insert.run(`old${i}`, CHAT, "book", `Book ${i}`, null, null, null, i, i);
    })();
    insert.run("w", CHAT, "book", "Война и мир", "Лев Толстой", null, null, 2000, 2000);
    insert.run("a", CHAT, "movie", "Amélie", null, null, null, 2001, 2001);
    insert.run("q", CHAT, "quote", "Dune", "Frank Herbert", "Fear is the mind-killer.", "Ésotérique", 2002, 2002);
    old.close();

    const db = openDatabase(`${t.dir}/old.db`);
    try {
      expect(migrate(db, migrations)).toContain(6);
      const store = createMediaStore(db);
      expect(db.prepare("SELECT COUNT(*) FROM entries WHERE search_text IS NULL").pluck().get()).toBe(0);
      expect(store.list(CHAT, { text: "война" }).map((e) => e.id)).toEqual(["w"]);
      expect(store.list(CHAT, { text: "amelie" }).map((e) => e.id)).toEqual(["a"]);
      expect(store.list(CHAT, { text: "esoterique" }).map((e) => e.id)).toEqual(["q"]);
      expect(store.list(CHAT, { text: "MIND-KILLER" }).map((e) => e.id)).toEqual(["q"]);
      expect(store.count(CHAT, { text: "book 1202" })).toBe(1);
      // Nothing else changed in the old rows.
      expect(store.get(CHAT, "w")).toMatchObject({ title: "Война и мир", author: "Лев Толстой", addedAtMs: 2000, updatedAtMs: 2000 });
    } finally {
      db.close();
    }
  });
});

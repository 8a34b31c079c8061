// Looking titles up while adding: the real bot over the webhook, grammY delivering to the fake Bot
// API, and the provider clients calling the local fakes of TMDB, Open Library and TVmaze over HTTP.
// A pick fills what the provider knows; typing, "None of these", a provider that is down, slow,
// refuses the key or is off all go on the manual way.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenLibrary, startFakeOpenLibrary } from "../support/fake-openlibrary.js";
import { FAKE_TMDB_KEY, type FakeTmdb, startFakeTmdb } from "../support/fake-tmdb.js";
import { type FakeTvmaze, startFakeTvmaze } from "../support/fake-tvmaze.js";
import { type TestApp, type TestAppOptions, startTestApp } from "../support/test-app.js";

interface Fakes {
  tmdb: FakeTmdb;
  openLibrary: FakeOpenLibrary;
  tvmaze: FakeTvmaze;
}

let t: TestApp | undefined;
let fakes: Fakes | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  if (fakes) await Promise.all([fakes.tmdb.close(), fakes.openLibrary.close(), fakes.tvmaze.close()]);
  fakes = undefined;
});

async function start(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<{ t: TestApp; fakes: Fakes }> {
  fakes = { tmdb: await startFakeTmdb(), openLibrary: await startFakeOpenLibrary(), tvmaze: await startFakeTvmaze() };
  t = await startTestApp(
    {
      METADATA: "on",
      TMDB_API_KEY: FAKE_TMDB_KEY,
      TMDB_API_ROOT: fakes.tmdb.root,
      OPENLIBRARY_ROOT: fakes.openLibrary.root,
      TVMAZE_API_ROOT: fakes.tvmaze.root,
      ...env,
    },
    false,
    options,
  );
  return { t, fakes };
}

/** The bot's last message to the chat (a sendMessage), its text, buttons and id. */
function last(app: TestApp, chat: number) {
  const call = app.api.sent(chat).filter((c) => c.method === "sendMessage").at(-1)!;
  const markup = call.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> } | undefined;
  return { text: String(call.params.text), buttons: markup?.inline_keyboard?.flat() ?? [], messageId: (call.result as { message_id: number }).message_id };
}

async function says(app: TestApp, chat: number, ...texts: string[]): Promise<void> {
  for (const text of texts) {
    const before = app.replies(chat).length;
    expect((await app.say(chat, text)).status).toBe(200);
    await app.api.waitFor(() => app.replies(chat).length > before, 10_000);
  }
}

async function press(app: TestApp, chat: number, text: string): Promise<void> {
  const { buttons, messageId } = last(app, chat);
  const button = buttons.find((b) => b.text === text);
  expect(button, `a button "${text}" among ${JSON.stringify(buttons.map((b) => b.text))}`).toBeDefined();
  const before = app.replies(chat).length;
  await app.press(chat, button!.callback_data, messageId);
  await app.api.waitFor(() => app.replies(chat).length > before, 10_000);
}

function entries(app: TestApp, chat: number) {
  return app.app.db
    .prepare(
      `SELECT kind, title, author, year, season, episode, rating, tmdb_id, open_library_key, isbn, tvmaze_id, cover_url, season_episodes
       FROM entries WHERE chat_id = ?`,
    )
    .all(String(chat)) as Array<Record<string, unknown>>;
}

describe("looking titles up in /add_movie, /add_book and /add_show", () => {
  it("movie: the matches come as buttons under the year question; a pick fills title and year and keeps the TMDB id and poster", async () => {
    const { t, fakes } = await start();
    await says(t, 1, "/add_movie", "dune");
    const offer = last(t, 1);
    expect(offer.text).toMatch(/one of these/i);
    expect(offer.text).toMatch(/year/i);
    expect(offer.buttons.map((b) => b.text)).toEqual(expect.arrayContaining(["Dune (2021)", "Dune (1984)", "Dune: Part Two (2024)", "None of these"]));
    expect(offer.buttons.length).toBeLessThanOrEqual(6);
    expect(fakes.tmdb.requestsTo("/search/movie")).toHaveLength(1);

    await press(t, 1, "Dune (2021)");
    const asked = last(t, 1);
    expect(asked.text).toContain("Got it: Dune (2021).");
    expect(asked.text).toMatch(/rating/i);
    await t.api.waitFor(() => t.api.calls.some((c) => c.method === "editMessageReplyMarkup"));
    await says(t, 1, "4");
    expect(t.replies(1).at(-1)).toBe("Saved the movie: Dune (2021), ★★★★☆ 4/5.");
    expect(entries(t, 1)).toEqual([
      expect.objectContaining({ kind: "movie", title: "Dune", year: 2021, rating: 4, tmdb_id: 438631, cover_url: expect.stringMatching(/^https:\/\/image\.tmdb\.org\/.+d5NXSklXo0qyIYkgV94XAgMIckC\.jpg$/) }),
    ]);
  });

  it("book: a pick fills title and author and keeps the Open Library key, ISBN and cover; only the rating is asked", async () => {
    const { t } = await start();
    await says(t, 2, "/add_book", "Dune");
    const offer = last(t, 2);
    expect(offer.text).toMatch(/author/i);
    const dune = offer.buttons.find((b) => b.text.startsWith("Dune (1965)"));
    expect(dune?.text).toBe("Dune (1965), Frank Herbert");
    await press(t, 2, dune!.text);
    expect(last(t, 2).text).toMatch(/rating/i);
    await says(t, 2, "5");
    expect(t.replies(2).at(-1)).toMatch(/^Saved the book: Dune by Frank Herbert/);
    expect(entries(t, 2)).toEqual([
      expect.objectContaining({ kind: "book", title: "Dune", author: "Frank Herbert", open_library_key: "OL893415W", isbn: expect.stringMatching(/^(\d{13}|\d{9}[\dX])$/), cover_url: expect.stringContaining("11481354") }),
    ]);
  });

  it("show: a pick keeps the TVmaze id and the episode counts per season; season and episode are still asked", async () => {
    const { t, fakes } = await start();
    await says(t, 3, "/add_show", "Severance");
    const offer = last(t, 3);
    expect(offer.text).toMatch(/season/i);
    expect(offer.buttons[0]!.text).toBe("Severance (2022), Apple TV+");
    await press(t, 3, "Severance (2022), Apple TV+");
    expect(last(t, 3).text).toMatch(/season/i);
    await says(t, 3, "2", "5", "/skip");
    expect(t.replies(3).at(-1)).toBe("Saved the show: Severance, season 2, episode 5.");
    const [show] = entries(t, 3);
    expect(show).toMatchObject({ kind: "show", title: "Severance", season: 2, episode: 5, tvmaze_id: 44933 });
    // Episode counts, not the episode list (the special without a number is not counted).
    expect(JSON.parse(String(show!.season_episodes))).toEqual({ 1: 9, 2: 10 });
    expect(fakes.tvmaze.requestsTo("/shows/44933")).toHaveLength(1);
  });

  it("typing the next answer instead goes on the manual way, and the offer's buttons no longer count", async () => {
    const { t } = await start();
    await says(t, 4, "/add_movie", "Dune");
    const offer = last(t, 4);
    await says(t, 4, "1984", "3");
    expect(t.replies(4).at(-1)).toBe("Saved the movie: Dune (1984), ★★★☆☆ 3/5.");
    expect(entries(t, 4)).toEqual([expect.objectContaining({ title: "Dune", year: 1984, tmdb_id: null, cover_url: null })]);
    // A button of the old offer, pressed afterwards: refused, nothing changes.
    await t.press(4, offer.buttons[0]!.callback_data, offer.messageId);
    await t.api.waitFor(() => t.api.calls.some((c) => c.method === "answerCallbackQuery" && c.params.text === "That button is no longer active."));
    expect(entries(t, 4)).toHaveLength(1);
  });

  it("None of these: the buttons go, the same question is asked, and the typed answers are kept", async () => {
    const { t } = await start();
    await says(t, 5, "/add_book", "Dune");
    await press(t, 5, "None of these");
    const asked = last(t, 5);
    expect(asked.text).toMatch(/none of those/i);
    expect(asked.text).toMatch(/author/i);
    expect(asked.buttons).toEqual([]);
    await says(t, 5, "Someone Else", "2");
    expect(entries(t, 5)).toEqual([expect.objectContaining({ title: "Dune", author: "Someone Else", open_library_key: null })]);
  });

  it("nothing found: no buttons, the plain question", async () => {
    const { t } = await start();
    await says(t, 6, "/add_movie", "A film nobody has heard of");
    expect(last(t, 6)).toMatchObject({ text: expect.stringMatching(/^What year did it come out/), buttons: [] });
  });

  it.each([
    { name: "down (500)", setup: (f: Fakes) => f.tmdb.always({ status: 500 }) },
    { name: "resetting connections", setup: (f: Fakes) => f.tmdb.always("reset") },
    { name: "answering malformed JSON", setup: (f: Fakes) => f.tmdb.always({ raw: "<html>oops" }) },
  ])("a provider $name: the dialog goes on the manual way", async ({ setup }) => {
    const { t, fakes } = await start();
    setup(fakes);
    await says(t, 7, "/add_movie", "Dune");
    expect(last(t, 7)).toMatchObject({ text: expect.stringMatching(/^What year did it come out/), buttons: [] });
    await says(t, 7, "2021", "5");
    expect(entries(t, 7)).toEqual([expect.objectContaining({ title: "Dune", year: 2021, rating: 5 })]);
    expect(t.logs.some((l) => l.includes("TMDB is unavailable"))).toBe(true);
  });

  it("a slow provider (past the time limit) does not hold the dialog up", async () => {
    const { t, fakes } = await start({}, { metadataTimeoutMs: 300 });
    fakes.tvmaze.always({ hang: true });
    await says(t, 8, "/add_show", "Severance");
    expect(last(t, 8)).toMatchObject({ text: expect.stringMatching(/season/), buttons: [] });
    expect(t.logs.some((l) => l.includes("TVmaze is unavailable (timeout)"))).toBe(true);
  });

  it("a TMDB key the provider refuses (401): movies are typed, and the log says the key was rejected", async () => {
    const { t } = await start({ TMDB_API_KEY: "ffffffffffffffffffffffffffffffff" });
    await says(t, 9, "/add_movie", "Dune");
    expect(last(t, 9)).toMatchObject({ text: expect.stringMatching(/^What year/), buttons: [] });
    expect(t.logs.some((l) => l.includes("TMDB key rejected (HTTP 401): check TMDB_API_KEY."))).toBe(true);
    expect(t.logs.some((l) => l.includes("ffffffffffffffffffffffffffffffff"))).toBe(false);
  });

  it("no TMDB key: movies are typed with no call to TMDB; books are still looked up", async () => {
    const { t, fakes } = await start({ TMDB_API_KEY: "" });
    await says(t, 10, "/add_movie", "Dune");
    expect(last(t, 10).buttons).toEqual([]);
    expect(fakes.tmdb.requests).toHaveLength(0);
    await says(t, 10, "/cancel", "/add_book", "Dune");
    expect(last(t, 10).buttons.length).toBeGreaterThan(1);
  });

  it("METADATA=off: no provider is called, every dialog is typed", async () => {
    const { t, fakes } = await start({ METADATA: "off" });
    await says(t, 11, "/add_movie", "Dune", "2021", "4", "/add_book", "Dune", "Frank Herbert", "4", "/add_show", "Severance", "1", "2", "/skip");
    expect(t.api.sent(11).some((c) => JSON.stringify(c.params.reply_markup ?? {}).includes("lk:"))).toBe(false);
    expect(fakes.tmdb.requests.length + fakes.openLibrary.requests.length + fakes.tvmaze.requests.length).toBe(0);
    expect(entries(t, 11)).toHaveLength(3);
  });
});

describe("dialogs in flight from before lookups (version 1)", () => {
  it("carry over to version 2 at the same question with the same answers", async () => {
    const { addBook } = await import("../../agents/media-tracker/dialogs/add-book.js");
    const { addMovie } = await import("../../agents/media-tracker/dialogs/add-movie.js");
    const { addShow } = await import("../../agents/media-tracker/dialogs/add-show.js");
    for (const spec of [addBook, addMovie, addShow]) {
      expect(spec.version).toBe(2);
      const old = { name: spec.name, version: 1, step: 1, data: { title: "Dune" }, expiryTimerId: "t#1" };
      expect(spec.migrate!(old)).toEqual({ ...old, version: 2 });
      expect(spec.fields[1]!.name).not.toBe("title");
    }
  });
});

// Covers on cards: opening the card of an entry with a cover sends the cover (sendPhoto by URL, a
// short caption) just above the text card, through the durable outbox; the card's buttons still
// edit the text card in place; a cover Telegram cannot fetch leaves the text card alone, and the
// outbox records nothing failed. An entry without a cover gets the text card only.
import { afterEach, describe, expect, it } from "vitest";
import { seed } from "../support/entries.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const COVER = "https://image.tmdb.org/t/p/w500/d5NXSklXo0qyIYkgV94XAgMIckC.jpg";
const CHAT = 31;

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function tap(app: TestApp, data: string, messageId = 1): Promise<void> {
  const before = app.api.calls.filter((c) => c.method === "answerCallbackQuery").length;
  expect((await app.press(CHAT, data, messageId)).status).toBe(200);
  await app.api.waitFor(() => app.api.calls.filter((c) => c.method === "answerCallbackQuery").length > before, 10_000);
}

function outbox(app: TestApp) {
  return app.app.db.prepare("SELECT status FROM outbox WHERE agent_key = ?").all(String(CHAT)) as Array<{ status: string }>;
}

describe("covers on cards", () => {
  it("the cover comes as a photo above the text card, and the card's buttons still edit the card in place", async () => {
    t = await startTestApp();
    await seed(t, CHAT, [{ id: "m1", kind: "movie", title: "Dune", year: 2021, rating: 4, tmdbId: 438631, coverUrl: COVER }]);
    await tap(t, "e:m1");
    await t.api.waitFor(() => t!.api.sent(CHAT).some((c) => c.method === "sendMessage"), 10_000);
    const sent = t.api.sent(CHAT);
    expect(sent.map((c) => c.method)).toEqual(["sendPhoto", "sendMessage"]);
    expect(sent[0]!.params).toMatchObject({ photo: COVER, caption: expect.stringContaining("Dune") });
    const card = sent[1]!;
    expect(String(card.params.text)).toMatch(/^🎬 Movie\nTitle: Dune\nYear: 2021/);

    // A card button edits the text card (editMessageText), not the photo.
    const cardId = (card.result as { message_id: number }).message_id;
    await tap(t, "st:m1", cardId);
    await t.api.waitFor(() => t!.api.calls.some((c) => c.method === "editMessageText"), 10_000);
    expect(t.api.calls.find((c) => c.method === "editMessageText")!.params.message_id).toBe(cardId);
  });

  it("a cover Telegram cannot fetch: no photo, the text card as usual, nothing failed in the outbox", async () => {
    t = await startTestApp();
    await seed(t, CHAT, [{ id: "b1", kind: "book", title: "Dune", author: "Frank Herbert", coverUrl: "https://covers.example/missing.jpg" }]);
    t.api.failNext("sendPhoto", 1, { status: 400, description: "Bad Request: failed to get HTTP URL content" });
    await tap(t, "e:b1");
    await t.api.waitFor(() => t!.api.sent(CHAT).some((c) => c.method === "sendMessage"), 10_000);
    expect(t.api.calls.filter((c) => c.method === "sendPhoto").map((c) => c.failedWith !== undefined)).toEqual([true]);
    expect(String(t.api.sent(CHAT).at(-1)!.params.text)).toMatch(/^📖 Book\nTitle: Dune/);
    await t.api.waitFor(() => outbox(t!).every((r) => r.status === "sent"), 10_000);
    expect(outbox(t).map((r) => r.status)).toEqual(["sent", "sent", "sent"]);
  });

  it("the other refusal (wrong file identifier/HTTP URL specified) falls back the same way", async () => {
    t = await startTestApp();
    await seed(t, CHAT, [{ id: "s1", kind: "show", title: "Severance", season: 2, episode: 5, tvmazeId: 44933, coverUrl: "https://static.tvmaze.com/x.jpg" }]);
    t.api.failNext("sendPhoto", 1, { status: 400, description: "Bad Request: wrong file identifier/HTTP URL specified" });
    await tap(t, "e:s1");
    await t.api.waitFor(() => t!.api.sent(CHAT).some((c) => c.method === "sendMessage"), 10_000);
    expect(String(t.api.sent(CHAT).at(-1)!.params.text)).toMatch(/^📺 Show\nTitle: Severance/);
  });

  it("no cover: the text card only", async () => {
    t = await startTestApp();
    await seed(t, CHAT, [{ id: "m2", kind: "movie", title: "Heat", year: 1995 }]);
    await tap(t, "e:m2");
    await t.api.waitFor(() => t!.api.sent(CHAT).length > 0, 10_000);
    expect(t.api.sent(CHAT).map((c) => c.method)).toEqual(["sendMessage"]);
    expect(t.api.calls.some((c) => c.method === "sendPhoto")).toBe(false);
  });
});

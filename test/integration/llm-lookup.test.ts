// The lookup_title tool through the whole bot: the openai SDK against the fake OpenAI server, the
// movie provider against the fake TMDB. "I watched Dune yesterday": the model looks Dune up, sees
// both films with their TMDB ids, asks which one with buttons, and adds the one picked with its id.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAi, startFakeOpenAi } from "../support/fake-openai.js";
import { FAKE_TMDB_KEY, type FakeTmdb, startFakeTmdb } from "../support/fake-tmdb.js";
import { replies } from "../support/entries.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const closers: Array<{ close(): Promise<void> }> = [];
let t: TestApp | undefined;
afterEach(async () => {
  const replayErrors = t?.logs.filter((l) => l.includes("replay check failed")) ?? [];
  await t?.close();
  t = undefined;
  for (const c of closers.splice(0)) await c.close();
  expect(replayErrors).toEqual([]);
});

async function start(env: Record<string, string> = {}): Promise<{ app: TestApp; fake: FakeOpenAi; tmdb: FakeTmdb }> {
  const fake = await startFakeOpenAi();
  const tmdb = await startFakeTmdb();
  closers.push(fake, tmdb);
  t = await startTestApp({
    OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: "test-model", OPENAI_TIMEOUT_SECONDS: "2",
    METADATA: "on", TMDB_API_KEY: FAKE_TMDB_KEY, TMDB_API_ROOT: tmdb.root, ...env,
  });
  return { app: t, fake, tmdb };
}

/** The JSON the model was given as the result of its last tool call. */
function lastToolResult(body: { messages: Array<{ role: string; content: string }> }): Record<string, unknown> {
  // Tool results reach the model fenced as data ("<data>…</data>").
  const content = body.messages.filter((m) => m.role === "tool").at(-1)!.content;
  return JSON.parse(content.slice(content.indexOf("{"), content.lastIndexOf("}") + 1)) as Record<string, unknown>;
}

describe("lookup_title", () => {
  it("finds which Dune, asks with buttons, and adds the picked one with its TMDB id", async () => {
    const { app, fake, tmdb } = await start();
    const seen: Array<Record<string, unknown>> = [];
    fake.queue({ toolCalls: [{ name: "lookup_title", arguments: { kind: "movie", title: "Dune" } }] });
    fake.respond((body) => {
      const last = body.messages.at(-1);
      if (last.role === "tool") {
        const result = lastToolResult(body);
        seen.push(result);
        if ("matches" in result) return { toolCalls: [{ name: "ask_user", arguments: { question: "Which Dune?", choices: ["Dune (2021)", "Dune (1984)"] } }] };
        return { content: "Done." };
      }
      // The person's answer to the question: add the 1984 film with the id lookup_title gave.
      return { toolCalls: [{ name: "add_movie", arguments: { title: "Dune", year: 1984, tmdbId: 841, watchedOn: "2024-05-16" } }] };
    });
    await app.say(1, "I watched Dune yesterday");
    await replies(app, 1, 1);
    expect(app.replies(1)[0]).toContain("Which Dune?");
    expect(tmdb.requestsTo("/3/search/movie").length + tmdb.requestsTo("/search/movie").length).toBe(1);
    expect(seen[0]!.matches).toEqual(expect.arrayContaining([
      expect.objectContaining({ title: "Dune", year: 2021, tmdbId: 438631 }),
      expect.objectContaining({ title: "Dune", year: 1984, tmdbId: 841 }),
    ]));
    const question = app.api.sent(1).filter((c) => c.method === "sendMessage").at(-1)!;
    const choices = ((question.params.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }).inline_keyboard).flat();
    expect(choices.map((c) => c.text)).toEqual(["Dune (2021)", "Dune (1984)"]);
    await app.press(1, choices[1]!.callback_data);
    await app.api.waitFor(() => app.app.db.prepare("SELECT COUNT(*) FROM entries WHERE chat_id = '1'").pluck().get() === 1);
    expect(app.app.db.prepare("SELECT title, year, tmdb_id FROM entries WHERE chat_id = '1'").get()).toEqual({ title: "Dune", year: 1984, tmdb_id: 841 });
  });

  it("a provider that refuses (a bad TMDB key) is an answer the model can act on, never a stalled chat", async () => {
    const { app, fake } = await start({ TMDB_API_KEY: "ffffffffffffffffffffffffffffffff" });
    let result: Record<string, unknown> | undefined;
    fake.queue({ toolCalls: [{ name: "lookup_title", arguments: { kind: "movie", title: "Dune" } }] });
    fake.respond((body) => {
      result = lastToolResult(body);
      return { content: "I couldn't look it up; which year is your Dune?" };
    });
    await app.say(2, "I watched Dune yesterday");
    expect((await replies(app, 2, 1))[0]).toContain("which year");
    expect(result).toEqual({ error: "The title service did not answer; add it with what the person said." });
  });
});

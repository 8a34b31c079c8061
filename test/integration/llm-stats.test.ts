// Plain-language questions about the history ("how many books did I read this year?", "what did I
// watch in March?") through the fake OpenAI server: the `stats` tool reads this chat's events, and
// the person sees the numbers as stored, whatever the model says.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAi, startFakeOpenAi } from "../support/fake-openai.js";
import { replies, seed } from "../support/entries.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp | undefined;
let fake: FakeOpenAi | undefined;
afterEach(async () => {
  const replayErrors = t?.logs.filter((l) => l.includes("replay check failed")) ?? [];
  await t?.close();
  await fake?.close();
  t = undefined;
  fake = undefined;
  expect(replayErrors).toEqual([]);
});

const tool = (name: string, args: object) => ({ name, arguments: args });

describe("the stats tool", () => {
  it("answers how many books this year and what was watched in March from the history, with the stored numbers shown", async () => {
    fake = await startFakeOpenAi();
    t = await startTestApp({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: "test-model", OPENAI_TIMEOUT_SECONDS: "2" });
    await seed(t, 7, [
      { id: "b1", kind: "book", title: "Dune", history: [{ at: "2024-02-01", event: "finished" }, { at: "2023-02-01", event: "finished" }] },
      { id: "b2", kind: "book", title: "Emma", history: [{ at: "2024-08-09", event: "finished" }] },
      { id: "m1", kind: "movie", title: "Heat", history: [{ at: "2024-03-05", event: "watched" }] },
      { id: "s1", kind: "show", title: "Severance", history: [{ at: "2024-03-31T22:30:00.000Z", event: "episode", season: 1, episode: 2 }] },
    ]);
    await seed(t, 8, [{ id: "x1", kind: "movie", title: "Other chat's movie", history: [{ at: "2024-03-10", event: "watched" }] }]);
    fake.queue(
      { toolCalls: [tool("stats", { from: "2024-01-01", to: "2024-12-31", what: "books" })] },
      // The model miscounts; the person still sees the stored numbers first.
      { content: "You read 5 books this year!" },
      { toolCalls: [tool("stats", { from: "2024-03-01", to: "2024-03-31" })] },
      { content: "In March you watched Heat and an episode of Severance." },
    );
    await t.say(7, "how many books did I read this year?");
    const first = await replies(t, 7, 2);
    expect(first[0]).toBe("From your history, 2024-01-01 to 2024-12-31: 2 books finished.\n• 2024-02-01 book: Dune\n• 2024-08-09 book: Emma");
    expect(first[1]).toContain("You read 5 books this year!");
    await t.say(7, "what did I watch in March?");
    const second = await replies(t, 7, 4);
    expect(second[2]).toBe(
      "From your history, 2024-03-01 to 2024-03-31: 0 books finished, 1 movie watched, 1 episode watched.\n• 2024-03-05 movie: Heat\n• 2024-03-31 show: Severance S1E2",
    );
    const results = fake.requests.map((r) => JSON.stringify(r.body)).join("\n");
    expect(results).toContain('\\"booksFinished\\":2');
    expect(results).not.toContain("Other chat");
  });

  it("refuses a span that ends before it starts", async () => {
    fake = await startFakeOpenAi();
    t = await startTestApp({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: "test-model", OPENAI_TIMEOUT_SECONDS: "2" });
    fake.queue({ toolCalls: [tool("stats", { from: "2024-05-01", to: "2024-04-01" })] }, { content: "Which dates did you mean?" });
    await t.say(9, "what did I watch between May and April?");
    expect((await replies(t, 9, 1))[0]).toBe("Which dates did you mean?");
    expect(JSON.stringify(fake.requests[1]!.body)).toContain("from must be on or before to.");
  });
});

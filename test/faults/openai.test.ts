// The model server failing for a while, with several chats talking: timing out, answering 5xx, 429
// with a Retry-After longer than the client waits, or answering malformed output. Each person is
// told; commands keep working in other chats; a kept message is not retried before its
// Retry-After, survives a retry that fails again, and is answered once the fault ends, with its
// entry added once. test/integration/llm.test.ts covers one chat and one fault at a time.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAi, type FakeResponse, startFakeOpenAi } from "../support/fake-openai.js";
import { type TestApp, startTestApp } from "../support/test-app.js";
import { settle, waitFor } from "../support/wait-for.js";
import { bookTitles, expectBookReplies, inboxCounts, talk } from "./book-dialog.js";

const MODEL_DOWN = "I can't reach the language model right now; I'll answer this when it's back. Commands like /add_book work meanwhile.";
const STILL_DOWN = /^I still can't reach the language model; I'll answer this after your earlier message/;
const REFUSED = /^Sorry, the language model couldn't handle that request\./;

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

/** A clock that moves with real time plus what a test adds to `offset`, for the retry timers. */
function makeClock() {
  const start = Date.now();
  const clock = { offset: 0, now: () => start + (Date.now() - start) + clock.offset };
  return clock;
}

async function start(): Promise<{ t: TestApp; fake: FakeOpenAi; clock: ReturnType<typeof makeClock> }> {
  fake = await startFakeOpenAi();
  const clock = makeClock();
  // Half a second per attempt, a second for all of a call's retries: a fault is handed back quickly.
  t = await startTestApp(
    { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: fake.baseURL, OPENAI_MODEL: "test-model", OPENAI_TIMEOUT_SECONDS: "0.5" },
    false,
    { clock },
  );
  return { t, fake, clock };
}

/** The text of the person's message a request is about (its last user message). */
function userText(body: { messages: Array<{ role: string; content: unknown }> }): string {
  return String(body.messages.filter((m) => m.role === "user").at(-1)?.content ?? "");
}

/** A healthy model: "add <title>" becomes add_book, and its tool result "Added <title>." (the person sees the receipt). */
function healthy(body: { messages: Array<{ role: string; content: unknown }> }): FakeResponse {
  const title = /^add (.+)$/.exec(userText(body))?.[1] ?? "?";
  if (body.messages.at(-1)?.role === "tool") return { content: `Added ${title}.` };
  return { toolCalls: [{ name: "add_book", arguments: { title } }] };
}

function requestsAbout(model: FakeOpenAi, text: string): number {
  return model.requests.filter((r) => userText(r.body) === text && r.body.messages.at(-1)?.role === "user").length;
}

describe("the model server failing for a while", () => {
  it("timeouts, 5xx and a long 429: each person is told, commands still work, and every kept message is answered once after the fault", async () => {
    const { t, fake, clock } = await start();
    const [slow, broken, limited, commands] = [301, 302, 303, 304];
    let down = true;
    const fault: Record<string, FakeResponse> = {
      "add Dune": { delayMs: 5000 },
      "add Emma": { delayMs: 5000 },
      "add Heat": { status: 500 },
      "add Ulysses": { status: 429, retryAfter: 150 },
    };
    fake.respond((body) => (down ? (fault[userText(body)] ?? { status: 503 }) : healthy(body)));

    await t.say(slow, "add Dune");
    await t.say(broken, "add Heat");
    await t.say(limited, "add Ulysses");
    await waitFor(() => [slow, broken, limited].every((chat) => t.replies(chat).length === 1), 20_000, "each person told");
    for (const chat of [slow, broken, limited]) expect(t.replies(chat)).toEqual([MODEL_DOWN]);
    // A second message waits behind the first without asking the model.
    await t.say(slow, "add Emma");
    await waitFor(() => t.replies(slow).length === 2, 10_000, "the second message kept");
    expect(t.replies(slow)[1]).toMatch(STILL_DOWN);
    expect(requestsAbout(fake, "add Emma")).toBe(0);
    // Commands keep working in another chat meanwhile.
    await talk(t, commands, [1]);
    await waitFor(() => t.replies(commands).length === 4, 10_000, "the dialog's replies");
    expectBookReplies(t, commands, [1]);

    // The retries (from 5 seconds on) find the model still failing: asked again, nothing said.
    const asked = { slow: requestsAbout(fake, "add Dune"), broken: requestsAbout(fake, "add Heat"), limited: requestsAbout(fake, "add Ulysses") };
    clock.offset += 90_000;
    await t.app.runtime.fireDueTimers();
    await waitFor(() => requestsAbout(fake, "add Dune") > asked.slow && requestsAbout(fake, "add Heat") > asked.broken, 20_000, "the first retry");
    await waitFor(() => inboxCounts(t).pending === 0, 20_000, "the retries handled");
    // The 429 asked for 150 s: not retried after 90.
    expect(requestsAbout(fake, "add Ulysses")).toBe(asked.limited);
    expect(t.replies(slow)).toHaveLength(2);
    expect(t.replies(broken)).toHaveLength(1);

    // The fault ends; the next retries answer every kept message, in order.
    down = false;
    clock.offset += 5 * 60_000;
    await t.app.runtime.fireDueTimers();
    await waitFor(() => t.replies(slow).length === 4 && t.replies(broken).length === 2 && t.replies(limited).length === 2, 20_000, "the kept messages answered");
    expect(t.replies(slow).slice(2)).toEqual(["About your message «add Dune»:\n\n✅ Added book: Dune", "About your message «add Emma»:\n\n✅ Added book: Emma"]);
    expect(t.replies(broken)[1]).toBe("About your message «add Heat»:\n\n✅ Added book: Heat");
    expect(t.replies(limited)[1]).toBe("About your message «add Ulysses»:\n\n✅ Added book: Ulysses");

    // Nothing twice: a later timer run finds nothing waiting; each entry exists once.
    const requests = fake.requests.length;
    clock.offset += 24 * 3600_000;
    await t.app.runtime.fireDueTimers();
    await settle(300);
    await waitFor(() => inboxCounts(t).pending === 0, 10_000, "all handled");
    expect(fake.requests.length).toBe(requests);
    expect(bookTitles(t, slow)).toEqual(["Dune", "Emma"]);
    expect(bookTitles(t, broken)).toEqual(["Heat"]);
    expect(bookTitles(t, limited)).toEqual(["Ulysses"]);
    expect(bookTitles(t, commands)).toEqual([`Book ${commands}-1`]);
    expect(inboxCounts(t).parked).toBe(0);
  }, 60_000);

  it("malformed answers for a while: the person is told, nothing is added, other chats work, and the model is used again once it answers properly", async () => {
    const { t, fake } = await start();
    const [garbled, commands] = [311, 312];
    let malformed = true;
    fake.respond((body) => (malformed ? { raw: "<html><body>502 from the proxy</body></html>" } : healthy(body)));

    await t.say(garbled, "add Dune");
    await waitFor(() => t.replies(garbled).length === 1, 10_000, "the person told");
    expect(t.replies(garbled)[0]).toMatch(REFUSED);
    await t.say(garbled, "add Dune");
    await waitFor(() => t.replies(garbled).length === 2, 10_000, "told again");
    expect(t.replies(garbled)[1]).toMatch(REFUSED);
    // Each message: one retry of the malformed answer, then the refusal; no entry, no kept message.
    expect(requestsAbout(fake, "add Dune")).toBe(4);
    await talk(t, commands, [1]);
    await waitFor(() => t.replies(commands).length === 4, 10_000, "the dialog's replies");
    expectBookReplies(t, commands, [1]);
    expect(bookTitles(t, garbled)).toEqual([]);

    malformed = false;
    await t.say(garbled, "add Dune");
    await waitFor(() => t.replies(garbled).length === 3, 10_000, "answered");
    expect(t.replies(garbled)[2]).toBe("✅ Added book: Dune");
    expect(bookTitles(t, garbled)).toEqual(["Dune"]);
    expect(inboxCounts(t)).toMatchObject({ pending: 0, parked: 0 });
  }, 60_000);
});

// Groups: the list belongs to the chat, a dialog to the member who started it, and deleting all the
// data (or dropping someone else's dialog) to a group admin, asked of Telegram with getChatMember.
// Commands addressed to another bot are not ours; questions in a group ask for a reply, so that the
// answer reaches a bot in privacy mode. Through the whole app and the fake Bot API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listOf, seed } from "../support/entries.js";
import { makeCallbackUpdate, makeTextUpdate, updateInboxId } from "../support/fake-bot-api.js";
import { postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const ALICE = { id: 501, name: "Alice" };
const BOB = { id: 502, name: "Bob" };
const CAROL = { id: 503, name: "Carol" };
/** Telegram's sender of messages an anonymous admin writes as the group. */
const GROUP_ANONYMOUS_BOT = 1087968824;
const ONLY_ADMINS = "In a group, only an admin can delete the group's data.";
const CANNOT_CHECK = "I couldn't check with Telegram that you're an admin of this group. Please try again in a minute.";

let t: TestApp;
let nextUpdateId = 1;
let nextGroup = -4000;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

function named<T extends { from: { first_name: string } }>(holder: T, member: { name: string }): T {
  holder.from.first_name = member.name;
  return holder;
}

function say(chat: number, member: { id: number; name: string }, text: string) {
  const update = makeTextUpdate(nextUpdateId++, chat, text, member.id);
  named(update.message, member);
  return { update, answer: postHandled(t, chat, update) };
}
const said = async (chat: number, member: { id: number; name: string }, text: string) => say(chat, member, text).answer;
function press(chat: number, member: { id: number; name: string }, data: string) {
  const update = makeCallbackUpdate(nextUpdateId++, chat, data, 1, member.id);
  named(update.callback_query, member);
  return postHandled(t, chat, update);
}

function dialogOf(chat: number): unknown {
  const json = t.app.db.prepare("SELECT state_json FROM agent_state WHERE agent_key = ?").pluck().get(String(chat)) as string | undefined;
  return json === undefined ? undefined : (JSON.parse(json) as { dialog?: unknown }).dialog;
}
const titles = async (chat: number) => (await listOf(t.app.store, chat)).map((e) => e.title);
const memberLookups = (chat: number) =>
  t.api.calls.filter((c) => c.method === "getChatMember" && c.params.chat_id === chat).map((c) => c.params.user_id);
const lastSend = (chat: number) => t.api.sent(chat).at(-1)!.params;

describe("a dialog in a group belongs to the member who started it", () => {
  it("ignores other members' answers, refuses their buttons and /cancel, and runs their other commands beside it", async () => {
    const group = nextGroup--;
    const start = say(group, ALICE, "/add_movie");
    expect((await start.answer).texts).toEqual([expect.stringMatching(/movie's title[\s\S]*Reply to this message with your answer\.$/)]);
    // The question replies to Alice's command and opens her reply field: her answer reaches a bot in privacy mode.
    expect(lastSend(group)).toMatchObject({
      reply_markup: { force_reply: true, selective: true },
      reply_parameters: { message_id: start.update.message.message_id, allow_sending_without_reply: true },
    });
    const asked = dialogOf(group);
    expect(asked).toMatchObject({ name: "add_movie", step: 0, owner: ALICE });

    // Bob answers her question: not his, ignored without a word.
    for (const text of ["Arrival", "/skip"]) expect((await said(group, BOB, text)).all).toEqual([]);
    expect(dialogOf(group)).toEqual(asked);
    expect((await said(group, BOB, "/cancel")).texts).toEqual([
      "Alice is in the middle of adding a movie; only they or a group admin can /cancel it.",
    ]);
    expect((await said(group, BOB, "/add_book")).texts).toEqual([
      "Alice is in the middle of adding a movie. Send /add_book again when they're done.",
    ]);
    // A command that leaves her dialog alone runs for him, without repeating her question.
    expect((await said(group, BOB, "/movies")).texts).toEqual(["You haven't added any movies yet. Add one with /add_movie."]);
    expect(dialogOf(group)).toEqual(asked);

    await said(group, ALICE, "Dune");
    const rating = await said(group, ALICE, "2021");
    expect(rating.texts).toEqual([expect.stringMatching(/rating[\s\S]*To type your answer instead, reply to this message\.$/)]);
    // With buttons there is no force_reply (one keyboard per message); the text asks for a reply instead.
    expect(lastSend(group).reply_markup).toMatchObject({ inline_keyboard: expect.any(Array) });

    for (const data of ["answer:1", "dlg:drop"]) {
      const refused = await press(group, BOB, data);
      expect(refused.texts).toEqual([]);
      expect(refused.toasts).toEqual(["This question is for Alice."]);
    }
    expect((await press(group, ALICE, "answer:4")).texts).toEqual(["Saved the movie: Dune (2021), ★★★★☆ 4/5."]);
    expect(await listOf(t.app.store, group)).toEqual([expect.objectContaining({ title: "Dune", year: 2021, rating: 4 })]);
    // Only Bob's /cancel asked Telegram (whether he is an admin).
    expect(memberLookups(group)).toEqual([BOB.id]);
  });

  it("lets a group admin /cancel another member's dialog, asking Telegram once per request", async () => {
    const group = nextGroup--;
    t.api.setChatMember(group, CAROL.id, "administrator");
    await said(group, ALICE, "/add_book");
    expect((await said(group, BOB, "/cancel")).texts).toEqual([
      "Alice is in the middle of adding a book; only they or a group admin can /cancel it.",
    ]);
    const cancel = say(group, CAROL, "/cancel");
    expect((await cancel.answer).texts).toEqual(["OK, I dropped Alice's book."]);
    expect(dialogOf(group)).toBeUndefined();
    expect(memberLookups(group)).toEqual([BOB.id, CAROL.id]);
    // The answer is a journaled step: a replay uses it instead of asking again.
    const steps = t.app.db.prepare("SELECT step_name FROM journal WHERE message_id = ?").pluck().all(updateInboxId(cancel.update.update_id));
    expect(steps).toContain("run:chat-member");
  });
});

describe("/forget in a group", () => {
  it("needs an admin to ask and to answer; a member's question and press delete nothing", async () => {
    const group = nextGroup--;
    t.api.setChatMember(group, CAROL.id, "creator");
    await seed(t, group, [{ id: "g1", kind: "book", title: "Dune" }]);

    expect((await said(group, BOB, "/forget")).texts).toEqual([ONLY_ADMINS]);
    const asked = await said(group, CAROL, "/forget");
    expect(asked.texts).toEqual([expect.stringMatching(/1 entry/)]);
    const yes = asked.all.flatMap((o) => (o.type === "text" ? (o.buttons ?? []).flat() : [])).find((b) => b.data.startsWith("fg:yes:"))!.data;

    expect((await press(group, BOB, yes)).toasts).toEqual([ONLY_ADMINS]);
    expect(await titles(group)).toEqual(["Dune"]);
    expect((await press(group, CAROL, yes)).texts).toEqual([expect.stringMatching(/^Done: I deleted 1 entry/)]);
    expect(await titles(group)).toEqual([]);
    expect(memberLookups(group)).toEqual([BOB.id, CAROL.id, BOB.id, CAROL.id]);
  });

  it("says so when Telegram cannot tell, and trusts an anonymous admin writing as the group", async () => {
    const group = nextGroup--;
    t.api.setChatMember(group, CAROL.id, "administrator");
    await seed(t, group, [{ id: "g2", kind: "movie", title: "Arrival" }]);
    t.api.failNext("getChatMember", 1, { status: 502 });
    expect((await said(group, CAROL, "/forget")).texts).toEqual([CANNOT_CHECK]);
    expect(await titles(group)).toEqual(["Arrival"]);

    const anonymous = makeTextUpdate(nextUpdateId++, group, "/forget", GROUP_ANONYMOUS_BOT);
    const lookups = memberLookups(group).length;
    const asGroup = { ...anonymous, message: { ...anonymous.message, sender_chat: { id: group, type: "supergroup", title: "Test Group" } } };
    const asked = await postHandled(t, group, asGroup);
    expect(asked.texts).toEqual([expect.stringMatching(/1 entry/)]);
    expect(memberLookups(group).length).toBe(lookups);
  });
});

describe("commands addressed to a bot by name", () => {
  it("ignores another bot's commands and runs its own, named as getMe answered at start-up", async () => {
    expect(t.api.calls.some((c) => c.method === "getMe")).toBe(true);
    const group = nextGroup--;
    t.api.setChatMember(group, CAROL.id, "administrator");
    await seed(t, group, [{ id: "g3", kind: "book", title: "Solaris" }]);
    for (const text of ["/forget@other_bot", "/help@OtherBot", "/add_book@other_bot extra"]) {
      expect((await said(group, CAROL, text)).all).toEqual([]);
    }
    expect(memberLookups(group)).toEqual([]);
    expect(dialogOf(group)).toBeUndefined();
    expect((await said(group, CAROL, "/help@Test_Bot")).texts).toEqual([expect.stringMatching(/^I remember what you read/)]);

    // Inside a dialog too: "/cancel@other_bot" is not an answer and does not cancel.
    await said(group, CAROL, "/add_book@test_bot");
    expect((await said(group, CAROL, "/cancel@other_bot")).all).toEqual([]);
    expect(dialogOf(group)).toMatchObject({ name: "add_book", step: 0 });

    // And in a private chat.
    expect((await said(ALICE.id, ALICE, "/start@other_bot")).all).toEqual([]);
    expect(await titles(group)).toEqual(["Solaris"]);
  });

  it("asks a private chat's questions plainly: no reply, no force_reply", async () => {
    const answer = await said(BOB.id, BOB, "/add_movie");
    expect(answer.texts).toEqual(["What's the movie's title?\n(/cancel to stop adding a movie)"]);
    expect(lastSend(BOB.id).reply_markup).toBeUndefined();
    expect(lastSend(BOB.id).reply_parameters).toBeUndefined();
  });
});

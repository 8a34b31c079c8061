// The front door's translation of a Telegram update: the route and the chat event from one read,
// the inbox payload that carries the event with the update beside it, and the agent's reading of
// stored payloads, new and old.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChatEvent, EVENT_VERSION, eventPayload, readEvent } from "../../agents/media-tracker/incoming.js";
import { parseUpdate, translateUpdate } from "../../src/telegram/update.js";
import { updateFingerprint, updateMessage } from "../../src/telegram/update-key.js";
import { makeCallbackUpdate, makeDocumentUpdate, makeTextUpdate } from "../support/fake-bot-api.js";

/** The route of an update the test knows is routed. */
function routed(update: unknown) {
  const parsed = parseUpdate(update);
  if (!parsed.ok || parsed.route.status !== "routed") throw new Error(`not routed: ${JSON.stringify(parsed)}`);
  return parsed.route;
}

describe("translating an update", () => {
  it("reads a text, a command, a button press and a file, with who sent them", () => {
    expect(routed(makeTextUpdate(1, 42, "Dune"))).toEqual({
      status: "routed", updateId: 1, kind: "message", chatId: "42",
      event: { type: "text", text: "Dune", messageId: 1, sender: { id: 42, name: "Tester" } },
    });
    expect(routed(makeTextUpdate(2, -100, "/add_movie@test_bot", 7)).event).toEqual({
      type: "text", text: "/add_movie@test_bot", messageId: 2, sender: { id: 7, name: "Tester" },
    });
    expect(routed(makeCallbackUpdate(3, 42, "answer:4", 9))).toMatchObject({
      kind: "callback_query", chatId: "42",
      event: { type: "button", data: "answer:4", callbackQueryId: String(4_000_000_000_003), messageId: 9, sender: { id: 42, name: "Tester" } },
    });
    expect(routed(makeDocumentUpdate(4, 42, { fileId: "F1", fileName: "goodreads.csv", fileSize: 120 })).event).toEqual({
      type: "document", file: { fileId: "F1", fileName: "goodreads.csv", fileSize: 120 }, messageId: 4, sender: { id: 42, name: "Tester" },
    });
  });

  it("routes a button under an inline message to its presser's chat, without a message id", () => {
    const update = { update_id: 5, callback_query: { id: "q", from: { id: 8, is_bot: false, first_name: "Bo" }, chat_instance: "1", inline_message_id: "i", data: "x" } };
    expect(routed(update)).toMatchObject({ chatId: "8", event: { type: "button", data: "x", callbackQueryId: "q", sender: { id: 8, name: "Bo" } } });
    expect(routed(update).event).not.toHaveProperty("messageId");
  });

  it("reads an edit as an edit (never as a new answer), with whether the chat is private", () => {
    const edited = { update_id: 9, edited_message: { message_id: 3, date: 1, edit_date: 2, chat: { id: 5, type: "private" }, from: { id: 5, is_bot: false, first_name: "A" }, text: "4" } };
    expect(routed(edited).event).toEqual({ type: "edited", text: "4", messageId: 3, sender: { id: 5, name: "A" }, privateChat: true });
    const inGroup = { update_id: 10, edited_message: { message_id: 4, date: 1, chat: { id: -7, type: "group" }, from: { id: 5, is_bot: false, first_name: "A" }, caption: "x" } };
    expect(routed(inGroup).event).toEqual({ type: "edited", messageId: 4, sender: { id: 5, name: "A" }, privateChat: false });
  });

  it("marks an anonymous admin as the group, caps a long name and drops an empty one", () => {
    const asGroup = makeTextUpdate(11, -300, "/forget", 1087968824) as ReturnType<typeof makeTextUpdate> & { message: { sender_chat?: unknown } };
    asGroup.message.sender_chat = { id: -300, type: "group", title: "G" };
    expect(routed(asGroup).event).toMatchObject({ sender: { id: 1087968824, asGroup: true } });
    const long = makeTextUpdate(12, 42, "hi");
    long.message.from.first_name = `  ${"n".repeat(100)}`;
    expect(routed(long).event).toMatchObject({ sender: { name: "n".repeat(64) } });
    const blank = makeTextUpdate(13, 42, "hi");
    blank.message.from.first_name = "  ";
    expect(routed(blank).event).toMatchObject({ sender: { id: 42 } });
    expect((routed(blank).event as { sender: object }).sender).not.toHaveProperty("name");
  });

  it("says a photo is unsupported and needs no answer to a member change or a channel post", () => {
    const photo = { update_id: 14, message: { message_id: 6, date: 1, chat: { id: 42, type: "private" }, from: { id: 42, is_bot: false, first_name: "T" }, photo: [] } };
    expect(routed(photo).event).toEqual({ type: "unsupported", messageId: 6, sender: { id: 42, name: "T" } });
    const member = { update_id: 15, my_chat_member: { chat: { id: -5, type: "group" }, from: { id: 1 }, date: 1 } };
    expect(routed(member)).toMatchObject({ kind: "my_chat_member", chatId: "-5", event: { type: "ignored" } });
    const post = { update_id: 16, channel_post: { message_id: 1, chat: { id: -100, type: "channel" }, text: "news" } };
    expect(routed(post)).toMatchObject({ kind: "channel_post", event: { type: "ignored" } });
  });

  it("refuses only what routing cannot read; a field only the event reads is taken as absent", () => {
    expect(parseUpdate({ update_id: 1, message: { chat: { id: "42" }, text: "x" } })).toMatchObject({ ok: false });
    expect(parseUpdate({ update_id: -1 })).toMatchObject({ ok: false });
    expect(parseUpdate({ update_id: 17, message: { chat: { id: 42 }, text: 5, message_id: 2 } })).toMatchObject({
      ok: true, route: { event: { type: "unsupported", messageId: 2 } },
    });
    // Without a message id there is nothing to answer to: no answer, as before events were stored.
    expect(routed({ update_id: 18, message: { chat: { id: 42 }, text: "hi" } }).event).toEqual({ type: "ignored" });
  });

  it("names an update of a kind it does not read by that kind, and routes none without a chat", () => {
    expect(parseUpdate({ update_id: 19, poll: { id: "p" } })).toEqual({
      ok: true, update: { update_id: 19, poll: { id: "p" } }, route: { status: "unroutable", updateId: 19, kind: "poll" },
    });
    expect(parseUpdate({ update_id: 20 })).toMatchObject({ route: { status: "unroutable", kind: "empty" } });
  });
});

describe("the inbox payload", () => {
  it("carries the event and the update as it came, the same from the webhook's text and from polling", () => {
    const update = makeTextUpdate(21, 42, "/help");
    const text = JSON.stringify(update, null, 2);
    const route = routed(JSON.parse(text));
    const fromWebhook = updateMessage("123456", JSON.parse(text) as Record<string, unknown>, route, text);
    const fromPolling = updateMessage("123456", update, route);
    expect(JSON.parse(fromWebhook.payloadJson!)).toEqual({ eventVersion: EVENT_VERSION, event: route.event, update });
    expect(fromPolling.payload).toEqual({ eventVersion: EVENT_VERSION, event: route.event, update });
    // The update's own text is kept inside, not serialised again.
    expect(fromWebhook.payloadJson).toContain(text);
    // Deduplication still keys on the update alone, as it did when the payload was the update.
    expect(fromWebhook.fingerprint).toBe(updateFingerprint(update));
    expect(fromPolling.fingerprint).toBe(fromWebhook.fingerprint);
    expect(fromWebhook).toMatchObject({ id: "tg:123456:21", agentKey: "42", kind: "message" });
  });
});

describe("the fingerprint", () => {
  it("is the one earlier releases stored, so an update redelivered across an upgrade is still a duplicate", () => {
    // Fingerprints computed by the release before this one (its canonical JSON was built from arrays of parts).
    const pinned: Array<[unknown, string]> = [
      [{ update_id: 1, message: { message_id: 1, date: 1716000000, chat: { id: 42, type: "private", first_name: "Tester" }, from: { id: 42, is_bot: false, first_name: "Tester", language_code: "en" }, text: "/add_movie", entities: [{ type: "bot_command", offset: 0, length: 10 }] } }, "lvhnlK4H97VWG9PL"],
      [{ update_id: 2, callback_query: { id: "4000000000002", from: { id: 42, is_bot: false, first_name: "Zoë \"Z\" \u2028" }, chat_instance: "-1", data: "answer:4", message: { message_id: 7, chat: { id: 42, type: "private" }, date: 0 } } }, "j5WHOScD35zGZGM1"],
      [{ update_id: 3, poll: { id: "p", options: [], is_closed: true, total_voter_count: 0, "é": null, "10": 1.5, "2": -0 } }, "Za79PAa4CSSOmjc7"],
    ];
    for (const [update, fingerprint] of pinned) expect(updateFingerprint(update)).toBe(fingerprint);
  });

  it("builds the same canonical text as that release for any JSON value", () => {
    const earlier = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(earlier).join(",")}]`;
      if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${earlier(record[key])}`).join(",")}}`;
      }
      return JSON.stringify(value) ?? "null";
    };
    const hash = (text: string) => createHash("sha256").update(text).digest("base64url").slice(0, 16);
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const parsed = JSON.parse(JSON.stringify(value)) as unknown;
      expect(updateFingerprint(parsed)).toBe(hash(earlier(parsed)));
    }), { numRuns: 300, seed: 17 });
  });
});

describe("reading a stored payload", () => {
  const neverCalled = (): ChatEvent => {
    throw new Error("translated again");
  };

  it("takes the stored event as it is", () => {
    const event: ChatEvent = { type: "text", text: "hi", messageId: 1 };
    expect(readEvent(JSON.parse(JSON.stringify(eventPayload(event, makeTextUpdate(1, 42, "hi")))), neverCalled)).toEqual(event);
    expect(readEvent(eventPayload(event), neverCalled)).toEqual(event);
  });

  it("translates a row stored as a bare update (before an upgrade), and an event of another version from its update", () => {
    const update = makeTextUpdate(22, 42, "/movies");
    const expected = routed(update).event;
    expect(readEvent(JSON.parse(JSON.stringify(update)), translateUpdate)).toEqual(expected);
    expect(readEvent({ eventVersion: EVENT_VERSION + 1, event: { type: "someday" }, update }, translateUpdate)).toEqual(expected);
  });

  it("ignores what holds no update", () => {
    expect(readEvent(null, neverCalled)).toEqual({ type: "ignored" });
    expect(readEvent({ eventVersion: EVENT_VERSION + 1, event: {} }, neverCalled)).toEqual({ type: "ignored" });
    expect(readEvent({ update_id: "x" }, translateUpdate)).toEqual({ type: "ignored" });
  });
});

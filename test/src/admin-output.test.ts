// What the admin CLI prints comes from chat members (titles, messages, file names): an escape
// sequence or a direction override in it must reach the operator's terminal as visible text, in
// the tables and in --json alike, and a long text is cut to one line without splitting a character.
import { describe, expect, it } from "vitest";
import { eventPayload } from "../../agents/media-tracker/incoming.js";
import { describeIncoming, describeOutgoing } from "../../src/admin/summaries.js";
import { json, table } from "../../src/cli/admin/output.js";

const HOSTILE = "Dune\u001b[2J\u001b]0;pwned\u0007\u202egnp.exe\u009b31m\r\nnext line";

describe("admin output", () => {
  it("shows control characters and direction overrides as \\u{…} in tables", () => {
    const out = table([{ what: describeIncoming("message", { message: { text: HOSTILE } }), error: HOSTILE }], [
      { title: "WHAT", value: (r) => r.what },
      { title: "ERROR", value: (r) => r.error },
    ], "none");
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(out).toContain("Dune\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{202e}gnp.exe\\u{9b}31m");
    expect(out.trimEnd().split("\n")).toHaveLength(2);
  });

  it("keeps --json valid JSON with the same characters escaped", () => {
    const text = json([{ error: HOSTILE }]);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(JSON.parse(text)).toEqual([{ error: HOSTILE }]);
  });

  it("says what a message or a send was, in one short line", () => {
    expect(describeIncoming("callback_query", { callback_query: { data: "ex:csv" } })).toBe("button ex:csv");
    expect(describeIncoming("message", { message: { document: { file_name: "goodreads.csv" } } })).toBe("file goodreads.csv");
    expect(describeIncoming("timer", { timerId: "t", kind: "weekly-export" })).toBe("timer weekly-export");
    expect(describeIncoming("message", "not an update")).toBe("(message)");
    // Chat events, as the front door and the console store them since they stopped storing bare updates.
    const sender = { id: 5, name: "A" };
    expect(describeIncoming("message", eventPayload({ type: "text", text: "/add_movie", messageId: 1, sender }, { update_id: 1 }))).toBe('"/add_movie"');
    expect(describeIncoming("callback_query", eventPayload({ type: "button", data: "ex:csv", callbackQueryId: "q", sender }))).toBe("button ex:csv");
    expect(describeIncoming("message", eventPayload({ type: "document", file: { fileId: "f", fileName: "goodreads.csv" }, messageId: 2 }))).toBe("file goodreads.csv");
    expect(describeIncoming("message", eventPayload({ type: "document", file: { fileId: "f" }, messageId: 2 }))).toBe("file");
    expect(describeIncoming("my_chat_member", eventPayload({ type: "ignored" }, { update_id: 3 }))).toBe("(my_chat_member)");
    expect(describeOutgoing({ type: "document", fileName: "media-tracker.csv", content: "…" })).toBe("document media-tracker.csv");
    const long = describeOutgoing({ type: "text", text: "🎬".repeat(100) });
    expect(long).toBe(`"${"🎬".repeat(59)}…"`);
  });
});

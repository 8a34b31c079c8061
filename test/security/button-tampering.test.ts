// Forged callback_data through the whole app: a chat's buttons carry entry, import and forget ids,
// and a client can send any data. Another chat's ids, random ids, malformed and over-long data get
// a friendly toast, change nothing in either chat, and never show the other chat's entries.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Entry } from "../../agents/media-tracker/media-store.js";
import { listOf, seed } from "../support/entries.js";
import { makeCallbackUpdate, makeDocumentUpdate, makeTextUpdate } from "../support/fake-bot-api.js";
import { type Answer, postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const VICTIM = 1001;
const ATTACKER = 1002;
/** Every title in the victim's list contains this, so a leak to the attacker is easy to see. */
const MARK = "VICTIM-ONLY";

let t: TestApp;
let nextUpdateId = 1;
let victim: Entry[];
let own: Entry;
let importId: string;
let forgetToken: string;

const say = (chat: number, text: string) => postHandled(t, chat, makeTextUpdate(nextUpdateId++, chat, text));
async function press(chat: number, data: string): Promise<Answer> {
  const answer = await postHandled(t, chat, makeCallbackUpdate(nextUpdateId++, chat, data, 7));
  expect(answer.all.filter((o) => o.type === "answer-button")).toHaveLength(1);
  return answer;
}
function buttonsOf(answer: Answer): string[] {
  return answer.all.flatMap((o) => (o.type === "text" ? (o.buttons ?? []).flat().map((b) => b.data) : []));
}

async function snapshot(chat: number) {
  const db = t.app.db;
  return {
    entries: await listOf(t.app.store, chat),
    imports: db.prepare("SELECT id, applied_at_ms, entries_json FROM imports WHERE chat_id = ? ORDER BY id").all(String(chat)),
    state: db.prepare("SELECT state_json FROM agent_state WHERE agent_key = ?").pluck().get(String(chat)),
  };
}

beforeAll(async () => {
  t = await startTestApp();
  await seed(t, VICTIM, [
    { id: "v-book", kind: "book", title: `${MARK} book`, author: "A", rating: 4, status: "reading", currentPage: 10 },
    { id: "v-movie", kind: "movie", title: `${MARK} movie`, year: 2000, rating: 3 },
    { id: "v-show", kind: "show", title: `${MARK} show`, season: 1, episode: 2, status: "watching" },
    { id: "v-quote", kind: "quote", title: `${MARK} quote`, quoteText: "q", author: "B" },
  ]);
  await seed(t, ATTACKER, [{ id: "a-book", kind: "book", title: "Attacker's book", rating: 2 }]);
  victim = await listOf(t.app.store, VICTIM);
  own = (await listOf(t.app.store, ATTACKER))[0]!;

  // The victim has an import waiting for its button and a /forget question open.
  t.api.addFile("V-FILE", "export.csv", `kind,title,id\nbook,${MARK} imported,v-imp\n`);
  const staged = await postHandled(t, VICTIM, makeDocumentUpdate(nextUpdateId++, VICTIM, { fileId: "V-FILE", fileName: "export.csv", fileSize: 40 }));
  importId = buttonsOf(staged).find((d) => d.startsWith("im:"))!.slice(3);
  forgetToken = buttonsOf(await say(VICTIM, "/forget")).find((d) => d.startsWith("fg:yes:"))!.slice("fg:yes:".length);
});
afterAll(async () => {
  await t.close();
});

/** Presses `data` in the attacker's chat: only a toast, and neither chat's data changes. */
async function expectRefused(data: string): Promise<string> {
  const before = { victim: await snapshot(VICTIM), attacker: await listOf(t.app.store, ATTACKER) };
  const answer = await press(ATTACKER, data);
  expect(answer.texts, `texts after ${JSON.stringify(data)}`).toEqual([]);
  expect(answer.edits, `edits after ${JSON.stringify(data)}`).toEqual([]);
  expect(answer.all.filter((o) => o.type === "document")).toEqual([]);
  expect(await snapshot(VICTIM)).toEqual(before.victim);
  expect(await listOf(t.app.store, ATTACKER)).toEqual(before.attacker);
  return answer.toasts[0]!;
}

describe("forged button data", () => {
  it("another chat's entry ids, for every entry button, are refused with a toast", async () => {
    const prefixes = (id: string) => [
      `e:${id}`, `ef:${id}`, `ed:${id}:title`, `ed:${id}:rating`, `rt:${id}`, `rs:${id}:1`, `st:${id}`, `ss:${id}:dropped`, `ss:${id}:finished`,
      `dl:${id}`, `dy:${id}`, `dn:${id}`, `wt:${id}`, `wt:${id}:c`, `bk:${id}`, `ns:${id}`, `pp:${id}:99`,
    ];
    for (const entry of victim) {
      for (const data of prefixes(entry.id)) {
        expect(await expectRefused(data)).toMatch(/^(That entry no longer exists\.|That button is no longer active\.)$/);
      }
    }
  });

  it("another chat's import and forget buttons are refused", async () => {
    for (const data of [`im:${importId}`, `ic:${importId}`, `fg:yes:${forgetToken}`, `fg:no:${forgetToken}`]) {
      expect(await expectRefused(data)).toMatch(/no longer active/);
    }
    // The victim's own buttons still work.
    expect((await press(VICTIM, `fg:no:${forgetToken}`)).texts).toEqual(["OK, I kept everything."]);
    expect((await press(VICTIM, `ic:${importId}`)).texts).toEqual(["OK, I imported nothing from that file."]);
  });

  it("malformed, injected and over-long data about the chat's own entry changes nothing", async () => {
    const id = own.id;
    for (const data of [
      "", ":", "::::", "dy", "dy:", "dy::", "rs", `rs:${id}`, `rs:${id}:9`, `rs:${id}:0`, `rs:${id}:1.5`, `rs:${id}:-1`, `rs:${id}: 5`,
      `ss:${id}`, `ss:${id}:banana`, `ss:${id}:watching`, `ed:${id}`, `ed:${id}:chat_id`, `ed:${id}:__proto__`, `ed:${id}:constructor`,
      `pp:${id}:-1`, `pp:${id}:1e3`, `pp:${id}`, "e:' OR '1'='1", "dy:' OR 1=1 --", "dy:%", "dy:_", "dy:*", `dy:${id}%`, `dy: ${id}`,
      `dy:${id}\u0000`, `dy:${id.toUpperCase()}`, `dy:${id}${"x".repeat(200)}`, `e:${"9".repeat(5000)}`, `${"dy:".repeat(100)}${id}`,
      "pg:-1", "pg:99999999", "pg:1", "pg:x:1", "pg::8", "lc:x:0", "ex:../../etc/passwd", "im:", "ic:../x", "fg:yes:", "fg:yes:undefined", "dlg:drop", "answer:5", "\u202edy",
    ]) {
      await expectRefused(data);
    }
  });

  it("random data with other chats' ids mixed in: always a toast, nothing changes, nothing of the other chat is shown", async () => {
    const ids = [...victim.map((e) => e.id), importId, forgetToken, "a-book-x", "v-book "];
    const data = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.tuple(
        fc.constantFrom("e", "ef", "ed", "rt", "rs", "st", "ss", "dl", "dy", "dn", "wt", "ns", "pp", "im", "ic", "fg", "pg", "lc", "answer", "dlg"),
        fc.array(fc.oneof(fc.constantFrom(...ids), fc.string({ maxLength: 12 }), fc.integer().map(String)), { maxLength: 4 }),
      ).map(([prefix, args]) => [prefix, ...args].join(":")),
    ).filter((d) => !d.startsWith("ex:") && !d.startsWith(`dy:${own.id}`) && !d.startsWith(`rs:${own.id}`) && !d.startsWith(`ss:${own.id}`) && !d.startsWith(`pp:${own.id}`));
    await fc.assert(
      fc.asyncProperty(data, async (d) => {
        const before = await snapshot(VICTIM);
        const answer = await press(ATTACKER, d);
        expect(JSON.stringify(answer.all)).not.toContain(MARK);
        expect(await snapshot(VICTIM)).toEqual(before);
      }),
      { numRuns: 60, seed: SEED },
    );
    expect(t.app.db.prepare("SELECT COUNT(*) FROM inbox WHERE status != 'done'").pluck().get()).toBe(0);
  }, 60_000);
});

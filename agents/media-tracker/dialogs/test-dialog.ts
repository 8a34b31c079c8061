// A dialog that exists only for the deploy test (test/crash/dialog-version.test.ts): the same
// dialog in three releases, so a test can start it under one version and finish it under another.
//   v1: a, b                  — the "old release"
//   v2: a, c, b (no migrate)  — a field added in the middle: an old dialog restarts with an apology
//   v3: a, b, c + migrate     — a field added at the end: an old dialog carries on with its answers
// It saves a quote entry (title a, quote text b, author c) so the test can check what was stored.
import { parseAuthor, parseQuoteText, parseTitle } from "../fields.js";
import { type DialogSpec, type FieldSpec, saveNewEntry } from "./dialog.js";

const FIELDS: Record<string, FieldSpec> = {
  a: { name: "a", prompt: "Test dialog: what's field a (a title)?", parse: parseTitle },
  b: { name: "b", prompt: "Test dialog: what's field b (a quote text)?", parse: parseQuoteText },
  c: { name: "c", prompt: "Test dialog: what's field c (an author)?", parse: parseAuthor },
};

const ORDER: Record<number, string[]> = { 1: ["a", "b"], 2: ["a", "c", "b"], 3: ["a", "b", "c"] };

/** The test dialog as release `version` (1, 2 or 3) has it; undefined for any other version. */
export function testDialog(version: number): DialogSpec | undefined {
  const order = ORDER[version];
  if (!order) return undefined;
  const spec: DialogSpec = {
    name: "test_dialog",
    version,
    noun: "test entry",
    description: "a test-only dialog",
    listed: false,
    fields: order.map((name) => FIELDS[name]!),
    async save(turn, data) {
      const entry = await saveNewEntry(turn, () => ({
        kind: "quote",
        title: data.a as string,
        quoteText: data.b as string,
        ...(data.c !== undefined ? { author: data.c as string } : {}),
      }));
      return `Saved the test entry (v${version}): a=${entry.title}, b=${entry.quoteText!}, c=${entry.author ?? "-"}.`;
    },
  };
  if (version === 3) {
    // v1's fields keep their places in v3 (c is new, at the end), so a v1 dialog's step and
    // answers mean the same here: the question asked under v1 is the one v3 is waiting on.
    spec.migrate = (old) => (old.version === 1 ? { ...old, version: 3, data: { ...old.data } } : undefined);
  }
  return spec;
}

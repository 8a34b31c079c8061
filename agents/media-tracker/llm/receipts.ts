// Receipts: what the bot says it stored, changed or deleted comes from what the tools really
// stored (one "✅ …" line per change, made from the entry as saved), never from the model's words.
// The model's prose is shown beside them only where it claims no change: a sentence that says
// something was added, saved, updated, rated, marked or deleted is dropped (the receipts say that,
// truthfully), and when nothing changed the person is told so plainly. Its text is also capped, so
// one runaway answer cannot become hundreds of messages.
import { KIND_NOUNS, formatEntryLine } from "../entry-view.js";
import type { Entry } from "../media-store.js";

/** The most characters of one model answer relayed to the person. */
export const MAX_RELAYED_CHARS = 4000;
/** Marks a model answer that was cut (by MAX_RELAYED_CHARS or the server's token limit). */
export const CUT_MARK = "…(cut)";
/** The most receipt lines one message shows; the rest are counted. */
export const MAX_RECEIPT_LINES = 20;

export const NOTHING_CHANGED_TEXT = "Nothing was saved or changed.";

export function addedReceipt(entry: Entry): string {
  return `✅ Added ${KIND_NOUNS[entry.kind]}: ${formatEntryLine(entry)}`;
}

export function changedReceipt(verb: string, entry: Entry): string {
  return `✅ ${verb}: ${formatEntryLine(entry)}`;
}

/** The receipts as one block: a line each, the ones past MAX_RECEIPT_LINES counted. */
export function receiptBlock(receipts: readonly string[]): string {
  if (receipts.length <= MAX_RECEIPT_LINES) return receipts.join("\n");
  const more = receipts.length - MAX_RECEIPT_LINES;
  return [...receipts.slice(0, MAX_RECEIPT_LINES), `…and ${more} more ${more === 1 ? "change" : "changes"} (see /list).`].join("\n");
}

/** A model's text cut to MAX_RELAYED_CHARS, marked when cut here or by the server (`truncated`). */
export function capModelText(text: string, truncated = false): string {
  if (text.length <= MAX_RELAYED_CHARS) return truncated ? `${text}${CUT_MARK}` : text;
  let end = MAX_RELAYED_CHARS;
  // Never split a surrogate pair (an emoji) in two.
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}${CUT_MARK}`;
}

// === Claims of a change in the model's words

/** Words that report a change as done. */
const DONE = "added|saved|stored|recorded|logged|tracked|updated|changed|set|marked|rated|deleted|removed|moved|edited|created|noted|entered|erased|cleared|renamed|corrected";
/** The same as a promise ("I'll add"); not "track" or "note", which describe what the bot does in general. */
const DO = "add|save|store|update|change|set|mark|rate|delete|remove|move|edit|erase|clear|rename|correct";

/** A receipt's mark, copied by a model that saw receipts in the conversation. */
const RECEIPT_MARK = /[✅✔☑]/u;
/** "Added Dune (2021).", "OK, I've saved it", "Great! Marked as finished." */
const STARTS_WITH_DONE = new RegExp(
  String.raw`^[^\p{L}\p{N}]*(?:(?:ok(?:ay)?|great|sure|alright|all right|perfect|nice|got it|excellent|awesome|cool|done|there you go)[^\p{L}\p{N}]+)*` +
    String.raw`(?:i\s*['’]\s*ve\s+|i\s+have\s+|i\s+)?(?:(?:just|now|also|already|successfully)\s+)*(?:${DONE})\b`,
  "iu",
);
/** "I've added", "I have marked", "I'll add", "I just rated" (the pronoun as written: capital I). */
const I_DID = new RegExp(
  String.raw`\bI(?:\s*['’]\s*(?:ve|ll)|\s+(?:have|will))?(?:\s+(?:just|now|also|already|successfully|gone ahead and|went ahead and))*\s+(?:${DONE}|${DO})\b`,
  "u",
);
/** "has been added", "is now marked", "is now on your list". */
const NOW_DONE = new RegExp(
  String.raw`\b(?:(?:has|have)\s+been\s+(?:${DONE})|(?:is|are)\s+now\s+(?:${DONE}|(?:on|in)\s+your\b))`,
  "iu",
);
/** "Done.", "All set!" */
const JUST_DONE = /^[^\p{L}\p{N}]*(?:done|all set|all done)\b/iu;

/** True when a sentence of the model's claims it changed the list. */
export function claimsChange(sentence: string): boolean {
  if (RECEIPT_MARK.test(sentence)) return true;
  // A question ("Should I add it?") claims nothing.
  if (/\?\s*$/.test(sentence)) return false;
  return STARTS_WITH_DONE.test(sentence) || I_DID.test(sentence) || NOW_DONE.test(sentence) || JUST_DONE.test(sentence);
}

/** The model's text without the sentences that claim a change, and how many were dropped. */
export function withoutClaims(text: string): { kept: string; dropped: number } {
  let dropped = 0;
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (lines.length > 0 && lines.at(-1) !== "") lines.push("");
      continue;
    }
    const sentences = line.split(/(?<=[.!?…])\s+(?=\S)/u);
    const kept = sentences.filter((s) => {
      if (!claimsChange(s)) return true;
      dropped += 1;
      return false;
    });
    if (kept.length > 0) lines.push(kept.join(" "));
  }
  return { kept: lines.join("\n").trim(), dropped };
}

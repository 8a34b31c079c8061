// Text folded for search, in JavaScript: SQLite's lower() and LIKE fold only ASCII letters, so
// "война" never found "Война" and "amelie" never found "Amélie". An entry keeps its folded text in
// the search_text column (src/store/media.ts); a search folds its query the same way.

/**
 * Combining marks left after decomposition (accents, the diaeresis of ё), except the breve of
 * Cyrillic й and ў: those are letters of their own, not и and у with an accent.
 */
const MARKS = /(?<![\u0438\u0443])\u0306|[\u0300-\u0305\u0307-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
/** Letters that do not decompose into a base letter and a mark, and what a search takes them for. */
const SPECIAL: Readonly<Record<string, string>> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", ł: "l", đ: "d", ı: "i", ς: "σ" };
const SPECIAL_LETTERS = /[ßæœøłđıς]/g;
/** Joins an entry's fields: a query never holds it, so a match never spans two fields. */
const FIELD_SEPARATOR = "\u001f";

/** Lower case, accents and compatibility forms out: "Amélie" → "amelie", "ＤＵＮＥ" → "dune", "Straße" → "strasse". */
export function foldForSearch(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(MARKS, "")
    .replace(SPECIAL_LETTERS, (letter) => SPECIAL[letter] ?? letter)
    .normalize("NFC");
}

/** What a search looks in: the title, author, quote text and notes, each folded. */
export function searchTextOf(fields: { title: string; author?: string | null; quoteText?: string | null; notes?: string | null }): string {
  return [fields.title, fields.author, fields.quoteText, fields.notes]
    .filter((field): field is string => typeof field === "string" && field !== "")
    .map(foldForSearch)
    .join(FIELD_SEPARATOR);
}

/** A query folded like the entries it is compared with. */
export function foldQuery(query: string): string {
  return foldForSearch(query).replaceAll(FIELD_SEPARATOR, "");
}

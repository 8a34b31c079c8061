// Rewrites the seam's `?` placeholders as PostgreSQL's `$1, $2, …`. A `?` inside a string literal,
// a quoted identifier, a dollar-quoted body or a comment is text, not a placeholder, and is kept.

/** The SQL texts are a fixed set; this bounds the odd dynamic one. */
const MAX_CACHED = 500;
const rewritten = new Map<string, string>();

/** `sql` with every placeholder `?` numbered in order (`$1`, `$2`, …); cached per text. */
export function toNumberedPlaceholders(sql: string): string {
  const cached = rewritten.get(sql);
  if (cached !== undefined) return cached;
  const result = rewrite(sql);
  if (rewritten.size >= MAX_CACHED) rewritten.delete(rewritten.keys().next().value as string);
  rewritten.set(sql, result);
  return result;
}

function rewrite(sql: string): string {
  if (!sql.includes("?")) return sql;
  let out = "";
  let copiedUpTo = 0;
  let count = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "?") {
      out += sql.slice(copiedUpTo, i) + `$${++count}`;
      copiedUpTo = ++i;
    } else if (c === "'") {
      i = endOfQuoted(sql, i, "'", isEscapeString(sql, i));
    } else if (c === '"') {
      i = endOfQuoted(sql, i, '"', false);
    } else if (c === "-" && next === "-") {
      const newline = sql.indexOf("\n", i);
      i = newline === -1 ? sql.length : newline + 1;
    } else if (c === "/" && next === "*") {
      i = endOfBlockComment(sql, i);
    } else if (c === "$") {
      i = endOfDollarQuoted(sql, i);
    } else {
      i++;
    }
  }
  return out + sql.slice(copiedUpTo);
}

/** An E'…' string, where a backslash escapes the next character. */
function isEscapeString(sql: string, quote: number): boolean {
  const prefix = sql[quote - 1];
  if (prefix !== "E" && prefix !== "e") return false;
  // The E must start a token, not end an identifier such as `name'`.
  return quote < 2 || !/[A-Za-z0-9_$]/.test(sql[quote - 2]!);
}

/** The index after a quoted token that starts at `start`; a doubled quote is part of the text. */
function endOfQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === "\\") {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** Block comments nest in PostgreSQL. */
function endOfBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** `$tag$ … $tag$` (tag possibly empty); a `$` that opens no such quote (`$1`) is passed over. */
function endOfDollarQuoted(sql: string, start: number): number {
  const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(start, start + 64));
  // A `$` inside an identifier (`a$b`) is not a quote either.
  if (!tag || (start > 0 && /[A-Za-z0-9_]/.test(sql[start - 1]!))) return start + 1;
  const close = sql.indexOf(tag[0], start + tag[0].length);
  return close === -1 ? sql.length : close + tag[0].length;
}

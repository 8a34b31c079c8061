// Text as every database of the seam can hold it. PostgreSQL's TEXT refuses U+0000, which SQLite
// keeps: a NUL in an imported title would fail the whole import there. It never means anything in
// a title or a note, so the stores drop it on both databases alike, and both keep the same text.

/** `value` without NUL characters when it is a string; any other value as it is. */
export function storable<T>(value: T): T {
  return (typeof value === "string" && value.includes("\u0000") ? value.replaceAll("\u0000", "") : value) as T;
}

// Table and column names in SQL that copy-db builds from what the databases list: quoted, so any
// name is read as a name (never as SQL), the same way by SQLite and PostgreSQL.

/** `name` as a quoted identifier: "name", with any double quote in it doubled. */
export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// Reads a postgres:// URL for people and tools: where it points, said without its password, and the
// same server's URL for another database.

/** "host:port/database" of a postgres:// URL, for messages: never the user's password. */
export function describePostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "an unreadable DATABASE_URL";
  }
  // A Unix socket is given as ?host=/path; the URL's host part is then empty.
  const host = parsed.hostname || parsed.searchParams.get("host") || "localhost";
  const port = parsed.port || parsed.searchParams.get("port") || "5432";
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || decodeURIComponent(parsed.username) || "postgres";
  return `${host}:${port}/${database}`;
}

/** The URL of `database` on the server `url` points at, with the same user and options. */
export function postgresUrlFor(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

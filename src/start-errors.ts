// What stops the bot or a command-line tool, as one line a person can act on (as config errors
// already are): a database that cannot be opened or is too new, a port in use, a token Telegram
// refuses, Telegram out of reach. Never a stack, never the token (grammY's network errors carry URLs).
import { GrammyError, HttpError } from "grammy";
import { AgentBusyError, DatabaseTooNewError } from "../runtime/index.js";
import { ConfigError } from "./config.js";

/**
 * The database could not be opened (the SQLite file created, the PostgreSQL server reached); the
 * message names where it is (`file`: the file, or the URL without its password) and why. `secrets`
 * (a password) are masked should the driver's own words contain them.
 */
export class DatabaseOpenError extends Error {
  constructor(readonly file: string, cause: unknown, options: { secrets?: readonly string[] } = {}) {
    super(mask(`Cannot open the database ${file}: ${databaseReason(cause)}.`, options.secrets ?? []), { cause });
    this.name = "DatabaseOpenError";
  }
}

export interface StartContext {
  /** TELEGRAM_API_ROOT, named when Telegram cannot be reached. */
  apiRoot?: string;
}

/** One line describing why a start (or a command) failed. */
export function describeStartError(error: unknown, context: StartContext = {}): string {
  if (error instanceof ConfigError || error instanceof DatabaseOpenError || error instanceof DatabaseTooNewError) {
    return firstLine(error.message);
  }
  if (error instanceof AgentBusyError) {
    if (error.holder !== undefined) {
      return `Chat ${error.agentKey} is busy in another process (${error.holder}): quit the console that has it open, or try again in a moment.`;
    }
    return `Chat ${error.agentKey} is open in another console (pid ${error.pid}); quit that one first.`;
  }
  if (error instanceof GrammyError) {
    if (error.error_code === 401 || error.error_code === 404) {
      return `Telegram refused the bot token (${error.error_code} ${error.description}): check TELEGRAM_BOT_TOKEN (BotFather's /mybots shows it).`;
    }
    return `Telegram refused ${error.method} (${error.error_code} ${firstLine(error.description)}).`;
  }
  if (error instanceof HttpError) {
    const code = (error.error as { code?: string } | undefined)?.code;
    const where = context.apiRoot ?? "https://api.telegram.org";
    return `Could not reach Telegram at ${where} (${NETWORK_REASONS[code ?? ""] ?? code ?? "network error"}): check the network connection, or TELEGRAM_API_ROOT.`;
  }
  const system = error as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  if (system?.syscall === "listen") {
    const at = `${system.address ?? "?"}:${system.port ?? "?"}`;
    if (system.code === "EADDRINUSE") return `Port ${system.port} is already in use on ${system.address} (is the bot running already?): stop that process or set PORT.`;
    if (system.code === "EACCES") return `Not allowed to listen on ${at} (ports below 1024 need privileges): set PORT to 1024 or more.`;
    if (system.code === "EADDRNOTAVAIL") return `HOST ${system.address} is not an address of this machine: set HOST (127.0.0.1, or 0.0.0.0 for every interface).`;
    return `Cannot listen on ${at} (${system.code}): check HOST and PORT.`;
  }
  if (system?.syscall === "getaddrinfo") return `HOST ${system.hostname ?? ""} is not a known host name: set HOST to an address of this machine.`;
  return firstLine(error instanceof Error ? error.message : String(error));
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found; no network or no DNS?",
  EAI_AGAIN: "host name lookup failed; no network or no DNS?",
  ETIMEDOUT: "timed out",
  ABORT_ERR: "no answer in time",
  ECONNRESET: "connection reset",
  ENETUNREACH: "network unreachable",
  EHOSTUNREACH: "host unreachable",
};

function databaseReason(cause: unknown): string {
  const error = withCode(cause) as NodeJS.ErrnoException & { code?: string };
  switch (error?.code) {
    case "ENOENT":
      return error.path ? `${error.path} cannot be created` : "a folder on its path cannot be created";
    case "ENOTDIR":
      return "a part of its path is a file, not a folder";
    case "EACCES":
    case "EPERM":
      return `permission denied${error.path ? ` on ${error.path}` : ""}`;
    case "EROFS":
      return "the file system is read-only";
    case "EISDIR":
      return "it is a folder";
    case "ENOSPC":
    case "SQLITE_FULL":
      return "the disk is full";
    case "SQLITE_NOTADB":
      return "it is not a SQLite database";
    case "SQLITE_CORRUPT":
      return "it is damaged; restore a backup";
    case "SQLITE_READONLY":
      return "it is read-only";
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return "another process holds a lock on it";
    case "SQLITE_CANTOPEN":
      return "SQLite cannot open it; check that its folder exists and is writable";
    // PostgreSQL (DATABASE_URL): the network, then the server's own SQLSTATE codes.
    case "ECONNREFUSED":
      return "connection refused; check that PostgreSQL runs there and listens on that port";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found; check the host name in DATABASE_URL";
    case "ETIMEDOUT":
      return "no answer in time; check the host and port in DATABASE_URL, and the firewall";
    case "ECONNRESET":
      return "the server closed the connection; check that it accepts this client (SSL, pg_hba.conf)";
    case "28P01":
      return "password authentication failed; check the user and password in DATABASE_URL";
    case "28000":
      return `the server refused the user (${firstLine(error.message).replace(/\.$/, "")}); check DATABASE_URL and pg_hba.conf`;
    case "3D000":
      return `${firstLine(error.message).replace(/\.$/, "")}; create it first (createdb), or fix the name in DATABASE_URL`;
    case "57P03":
      return "the server is starting up or shutting down; try again in a moment";
    case "53300":
      return "the server has too many connections";
    default: {
      // The driver's own words: a wrapper's message would only say again where.
      const inner = innermost(error);
      return firstLine(inner instanceof Error ? inner.message : String(cause)).replace(/\.$/, "");
    }
  }
}

/** The first error with a code, following causes (a driver's error wrapped once or twice). */
function withCode(cause: unknown): unknown {
  let error = cause;
  for (let depth = 0; depth < 4 && error instanceof Error; depth++) {
    if (typeof (error as { code?: unknown }).code === "string") return error;
    error = error.cause;
  }
  return cause;
}

/** The error at the end of the cause chain (a driver's), or `cause` itself. */
function innermost(cause: unknown): unknown {
  let error = cause;
  for (let depth = 0; depth < 4 && error instanceof Error && error.cause instanceof Error; depth++) error = error.cause;
  return error;
}

function mask(text: string, secrets: readonly string[]): string {
  return secrets.reduce((masked, secret) => (secret ? masked.split(secret).join("***") : masked), text);
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}

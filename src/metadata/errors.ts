// What can go wrong when a title is looked up, one class per cause, so a caller knows what to do:
// every one of them means "go on the manual way"; only ProviderUnavailableError is worth a retry later.
import type { ProviderName } from "./types.js";

/** The base of every lookup failure. Its message names the provider and never holds a key. */
export class MetadataError extends Error {
  constructor(
    readonly provider: ProviderName,
    message: string,
  ) {
    super(message);
    this.name = "MetadataError";
  }
}

/** Why a provider could not give an answer we can use. */
export type UnavailableReason =
  | "timeout" // no complete answer within the time allowed
  | "network" // refused, reset, DNS: nothing came back
  | "http" // an error status (5xx, an unexpected 4xx)
  | "rate-limited" // 429, also after the one retry
  | "malformed" // not JSON, or JSON of the wrong shape
  | "too-large"; // a body past the size we read

/** The provider is down, slow, rate-limiting us, or answered something we cannot read. Try later. */
export class ProviderUnavailableError extends MetadataError {
  /** The HTTP status, when there was one. */
  readonly status?: number;
  /** How long the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(
    provider: ProviderName,
    readonly reason: UnavailableReason,
    detail: string,
    extra: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(provider, `${label(provider)} is unavailable (${reason}): ${detail}`);
    this.name = "ProviderUnavailableError";
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
  }
}

/** The provider refused our key (HTTP 401): retrying cannot help; the setting must be fixed. */
export class ProviderKeyRejectedError extends MetadataError {
  constructor(
    provider: ProviderName,
    readonly variable: string,
  ) {
    super(provider, `${label(provider)} key rejected (HTTP 401): check ${variable}.`);
    this.name = "ProviderKeyRejectedError";
  }
}

/** The provider has no title with this id (404, or an id that cannot be one of theirs). */
export class TitleNotFoundError extends MetadataError {
  constructor(
    provider: ProviderName,
    readonly id: string,
  ) {
    super(provider, `${label(provider)} has no title with id ${JSON.stringify(id.slice(0, 40))}.`);
    this.name = "TitleNotFoundError";
  }
}

const LABELS: Record<ProviderName, string> = { tmdb: "TMDB", openlibrary: "Open Library", tvmaze: "TVmaze" };

export function label(provider: ProviderName): string {
  return LABELS[provider];
}

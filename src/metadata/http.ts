// The one way the lookup clients call a provider: GET, JSON, with the project's User-Agent, a time
// limit for the whole call (headers and body), a cap on the body's size, and zod on the answer.
// Every failure comes out as a MetadataError (or the caller's own abort reason), never as a raw
// fetch or parse error, and no message ever holds a key or a URL with one.
import type { z } from "zod";
import { MetadataError, ProviderKeyRejectedError, ProviderUnavailableError, TitleNotFoundError } from "./errors.js";
import type { ProviderName } from "./types.js";

export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export interface HttpClientOptions {
  provider: ProviderName;
  userAgent: string;
  /** The limit for one call, headers and body together. */
  timeoutMs: number;
  /** Test aid; the global fetch (undici) otherwise. */
  fetch?: typeof fetch;
  /** The variable holding this provider's key: a 401 becomes ProviderKeyRejectedError naming it. */
  keyVariable?: string;
  /** Texts never to show in an error message (the key). */
  secrets?: string[];
  /** "error" where a key travels with the request, so a redirect cannot carry it elsewhere. */
  redirect?: RequestRedirect;
}

export interface GetJsonOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  maxBytes?: number;
  /** The id being fetched: a 404 then becomes TitleNotFoundError for it. */
  notFoundId?: string;
}

export interface HttpClient {
  readonly provider: ProviderName;
  getJson<T>(url: URL, schema: z.ZodType<T>, options?: GetJsonOptions): Promise<T>;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { provider } = options;
  const doFetch = options.fetch ?? fetch;
  const secrets = (options.secrets ?? []).filter((s) => s.length > 0);
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join("[redacted]"), text).slice(0, 300);
  const unavailable = (reason: ConstructorParameters<typeof ProviderUnavailableError>[1], detail: string, extra = {}) =>
    new ProviderUnavailableError(provider, reason, scrub(detail), extra);

  async function getJson<T>(url: URL, schema: z.ZodType<T>, get: GetJsonOptions = {}): Promise<T> {
    const caller = get.signal;
    caller?.throwIfAborted();
    // globalThis: a bare AbortSignal makes esbuild rename grammY's polyfilled class in the bundle
    // (npm start), and node-fetch then refuses that class's signals (as in telegram/members.ts).
    const timeout = globalThis.AbortSignal.timeout(options.timeoutMs);
    const signal = caller ? globalThis.AbortSignal.any([caller, timeout]) : timeout;
    const maxBytes = get.maxBytes ?? DEFAULT_MAX_BYTES;
    let body: string;
    try {
      const response = await doFetch(url, {
        method: "GET",
        headers: { accept: "application/json", "user-agent": options.userAgent, ...get.headers },
        signal,
        redirect: options.redirect ?? "follow",
      });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw statusError(response, get.notFoundId);
      }
      body = await readText(response, maxBytes);
    } catch (error) {
      if (caller?.aborted) throw caller.reason;
      if (error instanceof MetadataError) throw error;
      if (timeout.aborted) throw unavailable("timeout", `no complete answer within ${options.timeoutMs} ms`);
      throw unavailable("network", networkDetail(error));
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw unavailable("malformed", "the answer is not JSON");
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? issue.path.join(".") : "the answer";
      throw unavailable("malformed", `unexpected shape at ${where}: ${issue?.message ?? "invalid"}`);
    }
    return parsed.data;
  }

  function statusError(response: Response, notFoundId: string | undefined): MetadataError {
    const status = response.status;
    if (status === 401 && options.keyVariable) return new ProviderKeyRejectedError(provider, options.keyVariable);
    if (status === 404 && notFoundId !== undefined) return new TitleNotFoundError(provider, notFoundId);
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      return unavailable("rate-limited", "too many requests (HTTP 429)", {
        status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (status >= 300 && status < 400) return unavailable("http", `a redirect (HTTP ${status}) we do not follow`, { status });
    return unavailable("http", `HTTP ${status}`, { status });
  }

  async function readText(response: Response, maxBytes: number): Promise<string> {
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw unavailable("too-large", `an answer of ${declared} bytes (at most ${maxBytes} are read)`);
    }
    if (!response.body) return "";
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw unavailable("too-large", `an answer of more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
    return new TextDecoder().decode(Buffer.concat(chunks));
  }

  return { provider, getJson };
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === "string") return `no answer (${cause.code})`;
  if (cause && typeof cause.message === "string") return `no answer (${cause.message})`;
  return `no answer (${error instanceof Error ? error.message : String(error)})`;
}

/** Joins a configured root (with or without a trailing slash) and a path, with query parameters. */
export function endpoint(root: string, path: string, query: Record<string, string | number | undefined> = {}): URL {
  const url = new URL(root.replace(/\/+$/, "") + path);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url;
}

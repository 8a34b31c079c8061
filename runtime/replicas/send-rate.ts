// Telegram's global send limit (30 messages a second per bot), shared by every process on the
// database. One row holds the time of the next free send slot on the database's clock: a token
// bucket in its "virtual scheduling" form (GCRA). Each send takes a slot with one UPDATE … RETURNING,
// always granted, possibly in the future: the process then waits until the slot's time. No
// process polls for a token or retries, slots go out in the order they were asked for across all
// processes, and a process's clock plays no part.
//
// Slots are evenly spaced with no burst. A send leaves a little after its slot (the answer's trip
// from the database, a late timer), so a window of `windowMs` can hold sends whose slots span
// `windowMs + latenessMarginMs`; the spacing makes that span hold `perWindow` slots at most, so a
// send up to the margin late still keeps every window within the limit.
//
// The per-chat limits (one message a second to a chat) stay in the outbox lane of the chat's lease
// holder: one process sends a chat's messages.
import type { Sql } from "../store.js";
import { DB_NOW_MS, requirePostgres } from "./replica-sql.js";

export interface SharedSendRateOptions {
  /** Sends allowed in any window of `windowMs`. Default 30. */
  perWindow?: number;
  /** Default 1,050 ms: Telegram counts arrivals, so a little over a second. */
  windowMs?: number;
  /** How late after its slot a send may leave and still keep within the limit. Default 50 ms. */
  latenessMarginMs?: number;
  /** The row's name: one bucket per bot token. Default "telegram". */
  bucket?: string;
}

export class SharedSendRate {
  /** Least time between two slots, whole milliseconds (the row holds integers), rounded up. */
  readonly spacingMs: number;
  private readonly bucket: string;

  /** @param sql A connection whose statements commit on their own (the store's pool, `read`). */
  constructor(private readonly sql: Sql, options: SharedSendRateOptions = {}) {
    requirePostgres(sql, "SharedSendRate");
    const perWindow = options.perWindow ?? 30;
    const span = (options.windowMs ?? 1050) + (options.latenessMarginMs ?? 50);
    this.spacingMs = Math.ceil(span / perWindow);
    this.bucket = options.bucket ?? "telegram";
  }

  /**
   * Reserves the next send slot and waits until its time; resolves when the send may go. With
   * `signal` aborted while waiting, resolves at once with false (the slot is left unused).
   */
  async take(signal?: AbortSignal): Promise<boolean> {
    const waitMs = await this.reserve();
    if (waitMs <= 0) return !signal?.aborted;
    return waitOrAbort(waitMs, signal);
  }

  /** Reserves the next send slot; returns how long from now until it, in milliseconds (≤ 0: now). */
  async reserve(): Promise<number> {
    const { slotMs, nowMs } = await this.reserveSlot();
    return slotMs - nowMs;
  }

  /** Reserves the next send slot: its time and the time of the reservation, on the database's clock. */
  async reserveSlot(): Promise<{ slotMs: number; nowMs: number }> {
    const row = await this.sql.get<{ slotMs: number; nowMs: number }>(
      `INSERT INTO send_rate (bucket, next_slot_ms) VALUES (?, ${DB_NOW_MS} + ?)
       ON CONFLICT (bucket) DO UPDATE SET next_slot_ms = greatest(send_rate.next_slot_ms, ${DB_NOW_MS}) + ?
       RETURNING next_slot_ms - ? AS "slotMs", ${DB_NOW_MS} AS "nowMs"`,
      [this.bucket, this.spacingMs, this.spacingMs, this.spacingMs],
    );
    if (!row) throw new Error("The send-rate row was not returned.");
    return row;
  }
}

function waitOrAbort(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

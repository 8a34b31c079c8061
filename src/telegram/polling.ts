// Long polling front door: getUpdates, store the batch in the inbox, and only after the commit move
// the offset past it (Telegram forgets an update once a later offset confirms it). A crash before
// the commit just means Telegram sends the same updates again; the inbox drops the repeats.
import { type Api, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import type { AppLogger } from "../log.js";
import { type UpdateRoute, parseUpdate } from "./update.js";

export interface PollingOptions {
  api: Api;
  /** Stores a batch of routed updates; resolves after the commit. */
  acceptBatch(batch: Array<{ update: Record<string, unknown>; route: Extract<UpdateRoute, { status: "routed" }> }>): Promise<void>;
  rejected(reason: string): void;
  log: AppLogger;
  /** Seconds Telegram holds a getUpdates open. Default 30. */
  timeoutSeconds?: number;
  /**
   * Replicas taking turns at polling (replica-polling.ts): Telegram's 409 is the last poller's long
   * poll still open on its side during a takeover, so wait and retry instead of stopping.
   */
  conflictIsTransient?: boolean;
}

export interface Poller {
  /** Resolves when polling has stopped (after stop(), or on a fatal error, which it rethrows). */
  done: Promise<void>;
  stop(): void;
}

export function startPolling(options: PollingOptions): Poller {
  const controller = new AbortController();
  const done = loop(options, controller.signal);
  return { done, stop: () => controller.abort() };
}

async function loop(options: PollingOptions, signal: AbortSignal): Promise<void> {
  const { api, log } = options;
  let offset: number | undefined;
  let failures = 0;
  while (!signal.aborted) {
    let updates: Update[];
    try {
      // grammY types its signal with the abort-controller polyfill; the platform signal is the same thing.
      updates = await api.getUpdates({ offset, timeout: options.timeoutSeconds ?? 30, limit: 100 }, signal as never);
      failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      const waitMs = handlePollingError(error, ++failures, log, options.conflictIsTransient ?? false);
      await sleep(waitMs, signal);
      continue;
    }
    if (updates.length === 0) continue;

    const batch = [];
    for (const update of updates) {
      const parsed = parseUpdate(update);
      if (!parsed.ok) options.rejected("not-an-update");
      else if (parsed.route.status === "unroutable") options.rejected("unroutable");
      else batch.push({ update: parsed.update, route: parsed.route });
    }
    try {
      if (batch.length > 0) await options.acceptBatch(batch);
    } catch (error) {
      // Not stored, so the offset stays: the same updates come again.
      log.error({ err: error }, "could not store polled updates; fetching them again shortly");
      await sleep(1000, signal);
      continue;
    }
    offset = updates.at(-1)!.update_id + 1;
  }
}

/**
 * 401 and 409 cannot heal by waiting: stop with a message saying what to do (409 can, in a takeover
 * between replicas: `conflictIsTransient`). Else: how long to wait.
 */
function handlePollingError(error: unknown, failures: number, log: AppLogger, conflictIsTransient: boolean): number {
  if (error instanceof GrammyError) {
    if (error.error_code === 401) {
      throw new Error("Telegram refused the bot token (401): check TELEGRAM_BOT_TOKEN with @BotFather.");
    }
    if (error.error_code === 409 && conflictIsTransient) {
      // The previous poller's long poll ends within its timeout on Telegram's side.
      const waitMs = Math.min(1000 * failures, 5_000);
      log.info({ waitMs }, "Telegram still sees the previous poller (409); retrying");
      return waitMs;
    }
    if (error.error_code === 409) {
      throw new Error("Another process is polling with this token, or a webhook is set (409): stop the other one.");
    }
    if (error.error_code === 429) return (error.parameters.retry_after ?? 1) * 1000;
  }
  const waitMs = Math.min(1000 * 2 ** (failures - 1), 30_000);
  log.warn({ err: error, waitMs }, "getUpdates failed; retrying");
  return waitMs;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const handle = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(handle);
      resolve();
    }, { once: true });
  });
}

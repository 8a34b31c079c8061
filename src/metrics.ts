// Prometheus metrics (prom-client) for GET /metrics, fed by the runtime's events and the front door.
import client from "prom-client";
import type { RuntimeEvents } from "../runtime/index.js";

export interface Metrics {
  registry: client.Registry;
  events: RuntimeEvents;
  /** Updates refused at the front door, by reason (bad secret, malformed, too large, ignored). */
  rejected: client.Counter<"reason">;
  /** Scheduled backups (BACKUP_EVERY_HOURS), by outcome: ok or failed. */
  backups: client.Counter<"outcome">;
}

/** Each read when /metrics is asked for; counts of rows are reads of the database, hence may be promises. */
export interface MetricGauges {
  outboxPending(): number | Promise<number>;
  inboxPending(): number | Promise<number>;
  agentsResident(): number;
  /** Parked messages and failed sends: what `npm run admin parked` and `admin outbox` list. */
  inboxParked(): number | Promise<number>;
  outboxFailed(): number | Promise<number>;
  /** The group committer's transactions (each one fsync) and the units they carried. */
  commits(): { commits: number; units: number };
}

export function createMetrics(gauges: MetricGauges): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "media_tracker_" });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new client.Counter<L>({ name: `media_tracker_${name}`, help, labelNames, registers: [registry] });

  const received = counter("updates_received_total", "Messages stored in the inbox, by kind.", ["kind"]);
  const duplicates = counter("updates_duplicate_total", "Messages already in the inbox, acknowledged and ignored.", ["kind"]);
  const processed = counter("updates_processed_total", "Messages an agent handled to completion.", ["kind"]);
  const failed = counter("updates_failed_total", "Failed attempts at handling a message.", ["kind", "retry"]);
  const parked = counter("updates_parked_total", "Messages given up after repeated failures or a replay mismatch.", ["kind"]);
  const sent = counter("sends_total", "Outgoing messages delivered.");
  const sendRetries = counter("send_retries_total", "Outgoing messages that failed transiently and will be retried.");
  const sendFailures = counter("send_failures_total", "Outgoing messages refused for good or given up.");
  const resent = counter("sends_resent_after_crash_total", "Sends interrupted by a crash and sent again (may be duplicates).");
  const rejected = counter("webhook_rejected_total", "Webhook requests refused or ignored, by reason.", ["reason"]);
  const backups = counter("backups_total", "Scheduled database backups (BACKUP_EVERY_HOURS), by outcome (ok, failed).", ["outcome"]);
  const handleSeconds = new client.Histogram({
    name: "media_tracker_handle_seconds",
    help: "Time to handle one message, from start to commit.",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number | Promise<number>) =>
    new client.Gauge({ name: `media_tracker_${name}`, help, registers: [registry], async collect() { this.set(await read()); } });
  gauge("outbox_pending", "Outgoing messages not yet delivered.", gauges.outboxPending);
  gauge("inbox_pending", "Messages waiting to be handled.", gauges.inboxPending);
  gauge("agents_resident", "Agents held in memory.", gauges.agentsResident);
  gauge("inbox_parked", "Messages parked after failing too often, until an operator retries or drops them (npm run admin parked).", gauges.inboxParked);
  const commitCounter = (name: string, help: string, read: () => number) =>
    new client.Counter({ name: `media_tracker_${name}`, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  commitCounter("db_commits_total", "Database transactions committed (one fsync each).", () => gauges.commits().commits);
  commitCounter("db_commit_units_total", "Units of work those transactions carried.", () => gauges.commits().units);
  gauge("outbox_failed", "Outgoing messages given up, until an operator resends them (npm run admin outbox).", gauges.outboxFailed);

  return {
    registry,
    rejected,
    backups,
    events: {
      accepted: (kind, outcome) => (outcome === "stored" ? received : duplicates).inc({ kind }),
      processed: (kind, ms) => {
        processed.inc({ kind });
        handleSeconds.observe(ms / 1000);
      },
      failed: (kind, willRetry) => failed.inc({ kind, retry: String(willRetry) }),
      parked: (kind) => parked.inc({ kind }),
      sendSucceeded: () => sent.inc(),
      sendRetried: () => sendRetries.inc(),
      sendFailed: () => sendFailures.inc(),
      sendsResentAfterCrash: (count) => resent.inc(count),
    },
  };
}

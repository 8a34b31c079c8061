// What the main thread and the ingest thread say to each other (plain, structured-clone data only).
import type { CommittedMessage } from "../../runtime/index.js";

/** Given to the ingest thread at its start. */
export interface IngestSettings {
  /** SQLite: the file, shared with the main thread under `lockMemory`'s write lock. */
  databasePath: string;
  /** PostgreSQL (DATABASE_URL): the thread opens a small pool of its own; no lock is shared. */
  databaseUrl?: string;
  /**
   * PostgreSQL: the main thread's runtime's id in the chat leases (Runtime.replicaHolder). The unit
   * that stores an update tells the chat's holder when that is another process (notifyHolder).
   */
  replicaHolder?: string;
  host: string;
  port: number;
  webhookPath: string;
  secret: string;
  botId: string;
  logLevel: string;
  /** SQLite: the write lock shared with the main thread's store (write-lock.ts). */
  lockMemory?: SharedArrayBuffer;
  maxBodyBytes?: number;
}

export type ToIngest =
  /** The main thread's readiness: /healthz answers 200 once `ready`; the webhook answers 503 until `accepting`. */
  | { type: "state"; ready: boolean; accepting: boolean }
  | { type: "metrics"; id: number; contentType: string; body: string }
  /** Stop taking requests, commit what is queued, tell the main thread, close the database. */
  | { type: "close" };

export type FromIngest =
  | { type: "listening"; port: number }
  /** The server could not listen: the error's fields that describeStartError reads. */
  | { type: "listen-failed"; error: { message: string; code?: string; port?: number; address?: string; syscall?: string } }
  /** Updates stored and committed (durable), in commit order. */
  | { type: "stored"; messages: CommittedMessage[] }
  | { type: "rejected"; reason: string }
  /** A pino line logged on the ingest thread, for the main thread's logger. */
  | { type: "log"; line: string }
  | { type: "metrics"; id: number }
  | { type: "closed" };

// Error classes that tell the runtime what to do with a failure: retry it, record it, or park.

/** A failure that will never succeed on retry. Recorded as the step's outcome and rethrown on replay. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentError";
  }
}

/** A failure worth retrying, optionally not before `retryAfterMs` (e.g. an HTTP 429's retry_after). */
export class RetryableError extends Error {
  constructor(message: string, readonly retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RetryableError";
  }
}

/**
 * The handler asked for a different step than the journal holds at that position: the code changed
 * under a message in flight. Replaying further would misread data, so the message is parked.
 */
export class NonDeterminismError extends Error {
  constructor(readonly messageId: string, readonly seq: number, readonly expected: string, readonly actual: string) {
    super(
      `Bad replay of message ${messageId}: step ${seq} is "${expected}" in the journal, but the code asked for "${actual}".`,
    );
    this.name = "NonDeterminismError";
  }
}

/**
 * The handler used its context out of turn: a ctx call while another step was still running (a call
 * not awaited, or one made inside a step's function), or after the handler returned. Its position in
 * the journal would depend on timing, so the message is parked, as for a replay mismatch.
 */
export class StepMisuseError extends Error {
  constructor(readonly messageId: string, message: string) {
    super(message);
    this.name = "StepMisuseError";
  }
}

/** A runtime for one agent could not start: another live process serves that agent alone. */
export class AgentBusyError extends Error {
  constructor(readonly agentKey: string, readonly pid: number) {
    super(`Agent ${agentKey} is being served by another process (pid ${pid}).`);
    this.name = "AgentBusyError";
  }
}

/** Serialises an error for the journal or a log line: name and message only, never a stack of secrets. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

/**
 * The database failed, not the work given to it: locked past the busy timeout, disk full, an I/O
 * error, out of memory, the server gone or restarting. Nothing of the unit was written (on
 * PostgreSQL a connection lost during COMMIT leaves that unknown; see runtime/postgres/). The same
 * work can succeed once the fault passes, so it is never a message's or a step's own outcome.
 */
export class StoreUnavailableError extends Error {
  /** The driver's code for the fault (SQLITE_FULL, PostgreSQL's SQLSTATE, ECONNRESET), shown in logs. */
  readonly code: string | undefined;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.name = "StoreUnavailableError";
    this.code = options?.code;
  }
}

/**
 * The connection to the database was lost while its COMMIT was on the way: the batch may or may not
 * be durable. Retrying is safe only for writes that are idempotent (see runtime/postgres/), and
 * anything the caller keeps in memory about those writes (a cached state, a claim) must be read
 * back from the database rather than trusted.
 */
export class CommitOutcomeUnknownError extends StoreUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CommitOutcomeUnknownError";
  }
}

/**
 * With replicas on PostgreSQL: a unit tried to write for a chat this process no longer holds at the
 * epoch its work started under (another process serves the chat now). The unit wrote nothing; the
 * chat's work stops here, uncharged, and goes on at its new holder (runtime/replicas/chat-leases.ts).
 */
export class LeaseLostError extends Error {
  constructor(readonly agentKey: string, readonly epoch: number) {
    super(`The lease on chat ${agentKey} (epoch ${epoch}) is no longer this process's: another process serves the chat now.`);
    this.name = "LeaseLostError";
  }
}

// What an agent is: its versioned state and one handler that takes one message at a time.
// Agents reach the outside world only through the AgentContext they are handed.
import type { Tx } from "./store.js";

export interface Message {
  /** Unique id: the inbox's deduplication key. */
  id: string;
  kind: string;
  payload: unknown;
  /** Failed or crashed tries before this one. */
  attempts: number;
}

export interface RunOptions {
  /** Tries before giving up on a transient error (the message then fails and is retried later). Default 3. */
  maxAttempts?: number;
  /** First backoff between tries; doubles each time. Default 200 ms. */
  initialBackoffMs?: number;
}

/**
 * The only door from an agent to non-determinism and side effects. Every call takes the next
 * position in the message's journal; on a replay a recorded position returns its recorded result.
 * A handler must call these in the same order for the same message and state, or it is parked.
 */
export interface AgentContext<S> {
  /** The agent's address (for a chat bot: the chat id). */
  readonly key: string;
  readonly message: Message;
  /** A working copy of the state; saved when the handler returns, dropped if it throws. */
  state: S;
  /** True when the stored state was too old to migrate and was started over for this message. */
  readonly stateWasReset: boolean;
  /** The current time in ms, recorded: a replay sees the same time. */
  now(): number;
  /** A random UUID, recorded. */
  randomId(): string;
  /**
   * Runs an external call (an LLM, an HTTP API) once: its result is committed before this resolves,
   * so after a crash it is returned from the journal and `fn` is not called again. Transient errors
   * are retried (`options`); a PermanentError is recorded and rethrown on every replay.
   * After a crash during `fn` itself, `fn` runs again: at most the last run repeats.
   */
  run<T>(name: string, fn: () => Promise<T>, options?: RunOptions): Promise<T>;
  /**
   * Runs a data write inside the same transaction as its journal record, exactly once: `fn` is given
   * that transaction (`tx`) and does database work only, through it. If `fn` throws, its writes are
   * undone and the error is recorded and rethrown as a PermanentError.
   */
  write<T>(name: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Queues an outgoing message; it is delivered in order after the handler's transaction commits. */
  send(payload: unknown): void;
  /** Arms a durable timer; when due, the agent receives a message of kind "timer". Returns its id. */
  setTimer(kind: string, fireAtMs: number, payload: unknown): string;
  /** Disarms one of this agent's timers (no-op when already fired or canceled). */
  cancelTimer(timerId: string): void;
  /**
   * Deletes the runtime's record of this agent's past messages (payloads, journals, sent messages,
   * spent timers), exactly once, like a write step. Pending work and this message are kept; the
   * past messages' ids stay, without content, so a redelivery is still known. Resolves with how many rows went. For "forget me" requests; the agent resets its own state.
   */
  eraseHistory(): Promise<number>;
}

/** What the payload of a "timer" message holds. */
export interface TimerMessage {
  timerId: string;
  kind: string;
  payload: unknown;
}

export interface AgentDefinition<S> {
  name: string;
  /** Bump when the shape of the state changes; give `migrateState` to carry old states over. */
  stateVersion: number;
  initialState(): S;
  /** Old state → current state, or undefined to start over (the handler then sees `stateWasReset`). */
  migrateState?(old: unknown, fromVersion: number): S | undefined;
  handle(ctx: AgentContext<S>): Promise<void>;
  /** Outgoing messages that tell the sender their message could not be handled. */
  onParked?(key: string, message: Message, reason: string): unknown[];
}

/** Declares an agent; a typed identity function. */
export function defineAgent<S>(definition: AgentDefinition<S>): AgentDefinition<S> {
  return definition;
}

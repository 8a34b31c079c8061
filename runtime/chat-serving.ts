// Which chats this process serves. One process (the SQLite default) serves every chat and its units
// need no check: the router, the runner and the outbox worker then get no ChatServing at all. With
// replicas on PostgreSQL a chat is served by the holder of its lease (runtime/replicas/): work for a
// chat starts only once `serve` gave an epoch, and every unit that writes for the chat calls the
// guard of that epoch first, so a process that lost the chat meanwhile writes nothing for it.
import type { Tx } from "./store.js";

/**
 * Called first in every unit that writes for one chat: throws LeaseLostError when the chat is no
 * longer this process's at the epoch the work started under (the unit then writes nothing).
 */
export type ChatGuard = (tx: Tx) => Promise<void>;

export interface ChatServing {
  /**
   * The epoch this process serves the chat at: from memory while it holds the chat, else it takes
   * the chat's lease first (a chat taken over is treated as after a crash). Undefined: another live
   * process serves the chat, and was told to look at it.
   */
  serve(agentKey: string): Promise<number | undefined>;
  /** The epoch this process serves the chat at now, from memory; undefined when it does not. */
  epochOf(agentKey: string): number | undefined;
  guard(agentKey: string, epoch: number): ChatGuard;
  /** A guard of this epoch threw LeaseLostError: the chat is another process's now. */
  lost(agentKey: string, epoch: number): void;
}

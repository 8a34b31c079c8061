// Conversation memory: the last turns of the chat, the model's context, bounded by an estimate of
// their tokens (characters / 4), oldest dropped first. It lives in the chat's state; /cancel and
// /forget clear it, along with a pending question and requests waiting for the model.
import type { LlmMemoryTurn } from "../state.js";
import type { Turn } from "../turn.js";
import type { ChatMessage } from "./model.js";

/** The memory's budget, in estimated tokens. */
export const MEMORY_TOKEN_BUDGET = 3000;
/** Longest single turn kept in memory, in characters. */
const MAX_TURN_CHARS = 4000;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

/** The memory as chat messages for the model. */
export function memoryMessages(turn: Turn): ChatMessage[] {
  return (turn.state.llm?.turns ?? []).map((t) => ({ role: t.role, content: t.content }));
}

/** Adds the turns of a finished exchange and drops the oldest until the memory fits its budget. */
export function remember(turn: Turn, turns: LlmMemoryTurn[]): void {
  const llm = (turn.state.llm ??= {});
  llm.turns = trimMemory([...(llm.turns ?? []), ...turns.map((t) => ({ role: t.role, content: t.content.slice(0, MAX_TURN_CHARS) }))]);
}

export function trimMemory(turns: LlmMemoryTurn[], budget = MEMORY_TOKEN_BUDGET): LlmMemoryTurn[] {
  let total = turns.reduce((sum, t) => sum + estimateTokens(t.content), 0);
  let start = 0;
  while (start < turns.length && total > budget) {
    total -= estimateTokens(turns[start]!.content);
    start += 1;
  }
  // The context starts with something the person said.
  while (start < turns.length && turns[start]!.role !== "user") start += 1;
  return turns.slice(start);
}

/**
 * Forgets the conversation: memory, a pending question and requests waiting for the model (their
 * retry timer is disarmed). Returns true when there was something to forget.
 */
export function clearConversation(turn: Turn): boolean {
  const llm = turn.state.llm;
  if (!llm) return false;
  if (llm.retryTimerId !== undefined) turn.ctx.cancelTimer(llm.retryTimerId);
  delete turn.state.llm;
  return (llm.turns?.length ?? 0) > 0 || llm.question !== undefined || (llm.waiting?.length ?? 0) > 0;
}

// Group members' standing, from Telegram's getChatMember: the agent asks it (inside a journaled
// step) before deleting a group's data. A user Telegram does not know in the chat counts as gone.
import { type Api, GrammyError } from "grammy";
import type { ChatMembers } from "../../agents/media-tracker/group.js";

/** A hanging Bot API must not hold the chat: past this the person is told to try again. */
const TIMEOUT_MS = 10_000;

export function createChatMembers(api: Api): ChatMembers {
  return {
    async status(chatId, userId) {
      try {
        // grammY types its signal with the abort-controller polyfill; the platform signal is the same thing.
        // Through globalThis: a bare `AbortSignal` makes esbuild rename the polyfill's class in the
        // bundle (npm start), and node-fetch, which checks that class's name, then refuses every request.
        const signal = globalThis.AbortSignal.timeout(TIMEOUT_MS);
        return (await api.getChatMember(Number(chatId), userId, signal as never)).status;
      } catch (error) {
        // 400 "user not found" / "participant_id_invalid": not a member. Anything else is Telegram's trouble.
        if (error instanceof GrammyError && error.error_code === 400) return "left";
        throw error;
      }
    },
  };
}

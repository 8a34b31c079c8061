// Files sent to the bot: imports from Goodreads, Letterboxd, Yamtrack and our own exports.
import type { ButtonRoute, SentFile } from "../routes.js";
import type { Turn } from "../turn.js";

export const importButtons: ButtonRoute[] = [];

/** Handles a file sent to the chat. */
export async function receiveFile(turn: Turn, file: SentFile): Promise<void> {
  void file;
  turn.reply("I can't import files yet.");
}

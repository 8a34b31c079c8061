// How the agent finds what handles a message: slash commands by name, button presses by the
// prefix of their callback data ("<prefix>:<args…>"), and sent files. Each commands/ module
// exports its own routes; agent.ts puts them together.
import type { Turn } from "./turn.js";

export interface CommandRoute {
  /** Without the slash: "add_movie". */
  name: string;
  aliases?: string[];
  /** One line for /help and Telegram's command menu. */
  description: string;
  /** Listed in /help and the menu (aliases and internal commands are not). Default true. */
  listed?: boolean;
  /** True for commands that start a dialog: the open dialog is asked about first. */
  startsDialog?: boolean;
  run(turn: Turn, args: string): void | Promise<void>;
}

export interface ButtonPress {
  callbackQueryId: string;
  /** The message the button was under, when Telegram says. */
  messageId: number | undefined;
  /** Answers the press now (stops the button's spinner) before slow work such as a model call. */
  acknowledge(): void;
}

export interface ButtonRoute {
  /** The part of the callback data before the first ":", e.g. "del". */
  prefix: string;
  /**
   * Handles a press; `args` are the data's ":"-separated parts after the prefix. Data comes from
   * the user's client and may be forged: check every id against the chat's own data. Return the
   * short text to show on the button's toast, if any (the press is always answered).
   */
  run(turn: Turn, args: string[], press: ButtonPress): void | string | Promise<void | string>;
}

/** A file sent to the chat (part of a stored chat event: what Telegram did not say is absent). */
export interface SentFile {
  fileId: string;
  fileName?: string;
  fileSize?: number;
  mimeType?: string;
}

/** Telegram's limit on callback_data. */
export const MAX_BUTTON_DATA_BYTES = 64;

export function buttonData(prefix: string, ...args: Array<string | number>): string {
  const data = [prefix, ...args].join(":");
  if (Buffer.byteLength(data, "utf8") > MAX_BUTTON_DATA_BYTES) {
    throw new Error(`Button data over ${MAX_BUTTON_DATA_BYTES} bytes: ${data}`);
  }
  return data;
}

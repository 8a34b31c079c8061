// One turn of the conversation: the runtime's context for this message, the agent's dependencies
// and a way to reply. Everything the agent does to the world goes through `ctx`.
import type { AgentContext } from "../../runtime/index.js";
import type { MetadataProviders } from "../../src/metadata/types.js";
import type { FileSource } from "./import/file-source.js";
import type { ChatMembers } from "./group.js";
import type { ImportStore } from "./import/import-store.js";
import type { Sender, UpdateReader } from "./incoming.js";
import type { LanguageModel } from "./llm/model.js";
import type { MediaStore } from "./media-store.js";
import type { ChatSettings } from "./alerts/settings.js";
import type { PostedMessage } from "./alerts/check.js";
import { type Button, MAX_TEXT_LENGTH, type Outgoing, text } from "./outgoing.js";
import type { ChatState } from "./state.js";

export type { FileSource } from "./import/file-source.js";

export interface MediaTrackerDeps {
  media: MediaStore;
  /**
   * The front door's translation of a Telegram update into a chat event: for inbox rows stored with
   * the raw update only (before an upgrade) or with an event of another version.
   */
  readUpdate: UpdateReader;
  /** The allowlist (ALLOWED_USER_IDS); undefined lets everyone in. */
  allowedUserIds?: ReadonlySet<string>;
  /** Fetches files people send (imports); undefined where there is no Telegram (console chat). */
  files?: FileSource;
  /** Where imports wait for their confirmation; imports are refused without it. */
  imports?: ImportStore;
  /** The language model for plain-language messages; undefined when no OPENAI_API_KEY is set. */
  model?: LanguageModel;
  /** A dialog left unanswered this long is dropped with a short note. Default 24 hours. */
  dialogTimeoutMs?: number;
  /**
   * The bot's own username (from getMe at start-up): "/forget@other_bot" is for another bot and is
   * ignored. Undefined in the console chat, where no other bot can be addressed.
   */
  botUsername?: string;
  /** Per-chat settings (new-episode alerts on or off). */
  settings?: ChatSettings;
  /**
   * The new-episode check (alerts/check.ts): how often, and how it posts messages to chats' agents
   * (the runtime's accept). Undefined where there is no check (the console chat).
   */
  episodeCheck?: { intervalMs: number; post(messages: PostedMessage[]): Promise<void> };
  /** Group members' standing (Telegram's getChatMember); reached only inside ctx.run. Undefined in the console chat. */
  members?: ChatMembers;
  /**
   * Title providers (books, movies, shows) that are on (METADATA): dialogs' lookups, the lookup_title tool
   * and the new-episode check. Reached only inside ctx.run. Empty or undefined: everything is typed.
   */
  metadata?: MetadataProviders;
}

export class Turn {
  /** Who sent this message or pressed this button (set once the event is read; none for a timer). */
  sender: Sender | undefined;
  /** The person's message this turn answers, when it is a message (not a button press or a timer). */
  messageId: number | undefined;

  constructor(
    readonly ctx: AgentContext<ChatState>,
    readonly deps: MediaTrackerDeps,
  ) {}

  get chatId(): string {
    return this.ctx.key;
  }

  /** A group or supergroup: Telegram gives those negative ids, private chats the user's (positive) id. */
  get inGroup(): boolean {
    return this.chatId.startsWith("-");
  }

  get state(): ChatState {
    return this.ctx.state;
  }

  reply(body: string, buttons?: Button[][]): void {
    for (const out of text(body, buttons)) this.ctx.send(out);
  }

  /**
   * Asks a dialog's question. In a group the bot in privacy mode sees only commands and replies to
   * its own messages, so the question asks for a reply and, when it answers the person's message and
   * has no buttons, opens their reply field (force_reply, selective: only for the person replied to).
   */
  ask(question: string, buttons?: Button[][]): void {
    if (!this.inGroup) return this.reply(question, buttons);
    const hint = buttons ? "To type your answer instead, reply to this message." : "Reply to this message with your answer.";
    const target = this.messageId;
    const askFor = target === undefined ? {} : { replyTo: target, ...(buttons ? {} : { forceReply: true as const }) };
    for (const out of text(`${question}\n${hint}`, buttons, askFor)) this.ctx.send(out);
  }

  /**
   * Shows `body` in place of the bot's message `messageId` (the one a pressed button was under);
   * without that message, or for a text too long for one message, it is sent as a new one.
   */
  edit(messageId: number | undefined, body: string, buttons?: Button[][]): void {
    if (messageId === undefined || body.length > MAX_TEXT_LENGTH) return this.reply(body, buttons);
    this.ctx.send({ type: "edit-text", messageId, text: body, ...(buttons ? { buttons } : {}) });
  }

  send(out: Outgoing): void {
    this.ctx.send(out);
  }
}

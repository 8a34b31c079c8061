// One turn of the conversation: the runtime's context for this message, the agent's dependencies
// and a way to reply. Everything the agent does to the world goes through `ctx`.
import type { AgentContext } from "../../runtime/index.js";
import type { FileSource } from "./import/file-source.js";
import type { ImportStore } from "./import/import-store.js";
import type { LanguageModel } from "./llm/model.js";
import type { MediaStore } from "./media-store.js";
import { type Button, type Outgoing, text } from "./outgoing.js";
import type { ChatState } from "./state.js";

export type { FileSource } from "./import/file-source.js";

export interface MediaTrackerDeps {
  media: MediaStore;
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
}

export class Turn {
  constructor(
    readonly ctx: AgentContext<ChatState>,
    readonly deps: MediaTrackerDeps,
  ) {}

  get chatId(): string {
    return this.ctx.key;
  }

  get state(): ChatState {
    return this.ctx.state;
  }

  reply(body: string, buttons?: Button[][]): void {
    for (const out of text(body, buttons)) this.ctx.send(out);
  }

  send(out: Outgoing): void {
    this.ctx.send(out);
  }
}

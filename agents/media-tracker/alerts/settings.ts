// A chat's settings as the agent sees them: for now whether new-episode alerts are on. The
// application implements it for SQLite and PostgreSQL (src/store/chat-settings.ts). A change runs
// inside a journaled ctx.write step, through `within(tx)`.
import type { Tx } from "../../../runtime/store.js";

export interface ChatSettingsReader {
  /** True unless the chat turned alerts off (/alerts off). */
  alertsEnabled(chatId: string): Promise<boolean>;
}

/** The settings inside one write's transaction. */
export interface ChatSettingsWriter extends ChatSettingsReader {
  setAlertsEnabled(chatId: string, enabled: boolean): Promise<void>;
}

/** What the agent is given: reads of committed data, and the settings bound to a write's transaction. */
export interface ChatSettings extends ChatSettingsReader {
  within(tx: Tx): ChatSettingsWriter;
}

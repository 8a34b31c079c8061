// A chat's settings as the agent sees them: for now whether new-episode alerts are on. The
// application implements it on SQLite (src/store/chat-settings.ts). Synchronous, so that a change
// runs inside a journaled ctx.write step.
export interface ChatSettings {
  /** True unless the chat turned alerts off (/alerts off). */
  alertsEnabled(chatId: string): boolean;
  setAlertsEnabled(chatId: string, enabled: boolean): void;
}

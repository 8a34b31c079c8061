// Per-chat settings on any database of the seam: the chat_settings table (SQLite 0008, PostgreSQL
// 0011_media). A chat without a row has the defaults, so only a chat that changed something gets one.
import type { Sql, Tx } from "../../runtime/store.js";
import type { ChatSettings, ChatSettingsReader, ChatSettingsWriter } from "../../agents/media-tracker/alerts/settings.js";

const ALERTS = `SELECT alerts_enabled FROM chat_settings WHERE chat_id = ?`;
const SET_ALERTS = `INSERT INTO chat_settings (chat_id, alerts_enabled) VALUES (?, ?)
  ON CONFLICT (chat_id) DO UPDATE SET alerts_enabled = excluded.alerts_enabled`;

/** Settings on `sql` (reads; give it `store.read`); `within(tx)` gives them inside a write. */
export function createChatSettings(sql: Sql): ChatSettings {
  return { ...settingsReader(sql), within: settingsWriter };
}

function settingsReader(sql: Sql): ChatSettingsReader {
  return {
    async alertsEnabled(chatId) {
      const row = await sql.get<{ alerts_enabled: number }>(ALERTS, [chatId]);
      return (row?.alerts_enabled ?? 1) === 1;
    },
  };
}

function settingsWriter(tx: Tx): ChatSettingsWriter {
  return {
    ...settingsReader(tx),
    async setAlertsEnabled(chatId, enabled) {
      await tx.run(SET_ALERTS, [chatId, enabled ? 1 : 0]);
    },
  };
}

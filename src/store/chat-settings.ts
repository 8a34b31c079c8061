// Per-chat settings on SQLite: the chat_settings table (migration 0008). A chat without a row has
// the defaults, so only a chat that changed something gets one.
import type { Database } from "../../runtime/index.js";
import type { ChatSettings } from "../../agents/media-tracker/alerts/settings.js";

export function createChatSettings(db: Database): ChatSettings {
  const alerts = db.prepare(`SELECT alerts_enabled FROM chat_settings WHERE chat_id = ?`).pluck();
  const setAlerts = db.prepare(
    `INSERT INTO chat_settings (chat_id, alerts_enabled) VALUES (?, ?)
     ON CONFLICT (chat_id) DO UPDATE SET alerts_enabled = excluded.alerts_enabled`,
  );
  return {
    alertsEnabled: (chatId) => (alerts.get(chatId) ?? 1) === 1,
    setAlertsEnabled: (chatId, enabled) => void setAlerts.run(chatId, enabled ? 1 : 0),
  };
}

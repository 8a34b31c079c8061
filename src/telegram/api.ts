// The one Telegram Bot API client of the process: grammY's Api, pointed at TELEGRAM_API_ROOT.
import { Api } from "grammy";

export function createTelegramApi(token: string, apiRoot: string): Api {
  // sensitiveLogs stays off: grammY then keeps the token-bearing URL out of its error messages.
  return new Api(token, { apiRoot: apiRoot.replace(/\/+$/, ""), timeoutSeconds: 60 });
}

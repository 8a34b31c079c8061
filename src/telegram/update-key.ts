// How a Telegram update is keyed in the inbox, so that a redelivery is recognised and nothing else:
// - by bot and update_id, "tg:<bot id>:<update_id>": update ids are unique per bot only, so a token
//   for another bot or a second bot on the same database cannot collide;
// - with a fingerprint of the body: Telegram restarts update ids after a week without updates, and
//   an update reusing a stored id with another body is new (the inbox stores it as "<id>~<fingerprint>");
// - an update stored by an earlier release under "tg:<update_id>" is recognised only within
//   Telegram's redelivery horizon, since that key does not say which bot it came from.
import { createHash } from "node:crypto";
import type { NewMessage } from "../../runtime/index.js";
import { eventPayload, eventPayloadJson } from "../../agents/media-tracker/incoming.js";
import type { UpdateRoute } from "./update.js";

/** Telegram keeps an update it could not deliver for 24 hours; twice that allows for a clock that was off. */
export const REDELIVERY_HORIZON_MS = 48 * 3600_000;

/** The bot's id: the number before the ':' in its token. */
export function botIdOf(token: string): string {
  const id = token.split(":", 1)[0]!;
  if (!/^\d+$/.test(id)) throw new Error("The bot token must start with the bot's numeric id (123456:ABC-def).");
  return id;
}

export function inboxId(botId: string, updateId: number): string {
  return `tg:${botId}:${updateId}`;
}

/**
 * The inbox message for a routed update: its chat event with the update beside it. `json` is the
 * update's body as received, when there is one (stored as is inside the payload's text).
 */
export function updateMessage(
  botId: string,
  update: Record<string, unknown>,
  route: Extract<UpdateRoute, { status: "routed" }>,
  json?: string,
): NewMessage {
  return {
    id: inboxId(botId, route.updateId),
    agentKey: route.chatId,
    kind: route.kind,
    payload: eventPayload(route.event, update),
    payloadJson: json === undefined ? undefined : eventPayloadJson(route.event, json),
    fingerprint: updateFingerprint(update, json),
    formerId: { id: `tg:${route.updateId}`, withinMs: REDELIVERY_HORIZON_MS },
  };
}

/**
 * A short hash of the update's content with its keys in a fixed order, so that the same update
 * fetched by polling or posted to the webhook, whatever its spacing or key order, hashes the same.
 * 96 bits: no two updates of one bot collide in practice, and nothing of the content can be read back.
 */
export function updateFingerprint(update: unknown, json?: string): string {
  let text: string;
  try {
    text = canonicalJson(update);
  } catch {
    // Nested too deep to walk (only a hostile body is): its text identifies it as well.
    text = json ?? String((update as { update_id?: unknown }).update_id);
  }
  return createHash("sha256").update(text).digest("base64url").slice(0, 16);
}

/** JSON with every object's keys sorted; built by appending (no arrays of parts): it runs on every update. */
function canonicalJson(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) text += (i === 0 ? "" : ",") + canonicalJson(value[i]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    text += `${i === 0 ? "" : ","}${JSON.stringify(key)}:${canonicalJson(record[key])}`;
  }
  return `${text}}`;
}

// How history events read in chat: on cards (the last few) and in /history (all of them).
import { formatRating } from "../fields.js";
import type { HistoryEvent } from "../media-store.js";

/** "2024-03-15" for a day; "2024-03-15 18:04 UTC" for an instant. */
export function formatAt(at: string): string {
  if (at.length <= 10) return at;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? at : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "2024-03-15: watched", "2024-03-15 18:04 UTC: watched S2E5", "…: rated ★★★★☆ 4/5", "…: status → finished". */
export function formatEvent(e: HistoryEvent): string {
  return `${formatAt(e.at)}: ${eventWords(e)}`;
}

function eventWords(e: HistoryEvent): string {
  switch (e.event) {
    case "watched":
      return "watched";
    case "finished":
      return "finished reading";
    case "episode":
      return `watched S${e.season}E${e.episode}`;
    case "rated":
      return `rated ${formatRating(e.rating)}`;
    case "status":
      return `status → ${e.status}`;
  }
}

// /export: the chat's whole list as two documents (CSV and JSON, the contract's format), then
// buttons for the files other services import (ex:goodreads, ex:letterboxd, ex:yamtrack).
// `/export goodreads` (or letterboxd, yamtrack, csv, json) sends just that file.
import {
  EXPORT_FORMATS, type ExportFormat, SERVICE_FORMATS, SERVICE_KINDS, SERVICE_NAMES, type ServiceFormat, exportFile,
} from "../export/formats.js";
import { countOf } from "../entry-view.js";
import { type ButtonRoute, type CommandRoute, buttonData } from "../routes.js";
import type { Turn } from "../turn.js";
import { SCHEDULE_WORDS, scheduleExport } from "./export-schedule.js";

export const EXPORT_BUTTON = "ex";
/** A document over this is not sent (Telegram bots may send up to 50 MB); the CLI has no limit. */
export const MAX_DOCUMENT_BYTES = 45 * 1024 * 1024;

const KIND_WORDS: Record<ServiceFormat, string> = { goodreads: "books", letterboxd: "movies", yamtrack: "books, movies and shows" };

export const exportCommands: CommandRoute[] = [
  {
    name: "export",
    description: "get your whole list as files (CSV, JSON, Goodreads, Letterboxd, Yamtrack); /export weekly sends it every week",
    async run(turn, args) {
      const wanted = args.trim().toLowerCase();
      if ((SCHEDULE_WORDS as readonly string[]).includes(wanted)) return scheduleExport(turn, wanted as (typeof SCHEDULE_WORDS)[number]);
      if (wanted) {
        if (!(EXPORT_FORMATS as readonly string[]).includes(wanted)) {
          turn.reply(`I can export as ${EXPORT_FORMATS.join(", ")}: send /export to get CSV and JSON, or name one, like /export goodreads.`);
          return;
        }
        const left = await sendExport(turn, wanted as ExportFormat);
        if (left) turn.reply(left);
        return;
      }
      if (!(await sendListFiles(turn, "Your list"))) {
        turn.reply("Your list is empty, so there's nothing to export yet.");
        return;
      }
      turn.reply("Moving to another service? Get a file it can import:", [
        SERVICE_FORMATS.map((f) => ({ text: `${SERVICE_NAMES[f]} (${KIND_WORDS[f]})`, data: buttonData(EXPORT_BUTTON, f) })),
      ]);
    },
  },
];

export const exportButtons: ButtonRoute[] = [
  {
    prefix: EXPORT_BUTTON,
    run(turn, [format]) {
      if (!(SERVICE_FORMATS as readonly string[]).includes(format ?? "")) return "That button is no longer active.";
      return sendExport(turn, format as ServiceFormat);
    },
  },
];

/** Sends the whole list as CSV and JSON documents ("<label>: N entries (CSV)"); false when it is empty. */
export async function sendListFiles(turn: Turn, label: string): Promise<boolean> {
  const entries = await turn.deps.media.everything(turn.chatId);
  if (entries.length === 0) return false;
  for (const format of ["csv", "json"] as const) {
    const file = exportFile(entries, format);
    if (tooBig(turn, file.content, format)) return true;
    turn.send({ type: "document", fileName: file.fileName, content: file.content, caption: `${label}: ${count(entries.length)} (${format.toUpperCase()})` });
  }
  return true;
}

/** Sends one format's file; returns what to say instead when there is nothing to send. */
async function sendExport(turn: Turn, format: ExportFormat): Promise<string | undefined> {
  const entries = await turn.deps.media.everything(turn.chatId);
  const file = exportFile(entries, format);
  if (file.count === 0) {
    const service = format in SERVICE_NAMES ? (format as ServiceFormat) : undefined;
    if (!service) return "Your list is empty, so there's nothing to export yet.";
    return [`You have no ${orList(SERVICE_KINDS[service].map((k) => `${k}s`))} to export for ${SERVICE_NAMES[service]}.`, ...file.notes].join("\n");
  }
  if (tooBig(turn, file.content, format)) return undefined;
  const name = format in SERVICE_NAMES ? SERVICE_NAMES[format as ServiceFormat] : format.toUpperCase();
  const left = file.left > 0 ? `; ${count(file.left)} left out (${name} has no place for them)` : "";
  // What the format could not keep as it was (whole stars, a status it needs) is said with the file.
  const caption = [`${name}: ${count(file.count)}${left}.`, ...file.notes].join("\n");
  turn.send({ type: "document", fileName: file.fileName, content: file.content, caption });
  return undefined;
}

function tooBig(turn: Turn, content: string, format: ExportFormat): boolean {
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes <= MAX_DOCUMENT_BYTES) return false;
  turn.reply(
    `Your list is too big to send here (${Math.ceil(bytes / (1024 * 1024))} MB as ${format}; I send files up to 45 MB). ` +
      `Whoever runs this bot can export it with: npm run --silent export -- --chat ${turn.chatId} --format ${format} --out list.${format === "json" ? "json" : "csv"}`,
  );
  return true;
}

/** "books", "books or movies", "books, movies or shows". */
function orList(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)!}`;
}

function count(n: number): string {
  return countOf(n, "entry", "entries");
}

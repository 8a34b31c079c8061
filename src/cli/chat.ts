// `npm run chat -- --chat <id>`: the same agent and database as the bot, in the terminal, for one
// chat only. Lines typed become chat events; replies are printed; buttons are shown as numbered choices
// that a bare number picks; "/file <path>" sends a file (an import); files the bot sends are saved
// to a temporary folder. No Telegram token needed. The runtime serves this chat alone: it never
// handles, sends or recovers another chat's work, even with the bot running on the same database,
// and the allowlist still holds for everyone but the console's own user. Logs never reach the
// conversation: they go to stderr when it is not the terminal, else to a file whose path is printed.
import "dotenv/config";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Command, InvalidArgumentError } from "commander";
import type pino from "pino";
import { type Runtime, createRuntime } from "../../runtime/index.js";
import { createMediaTrackerAgent } from "../../agents/media-tracker/agent.js";
import { type ChatEvent, eventPayload } from "../../agents/media-tracker/incoming.js";
import type { Button, Outgoing } from "../../agents/media-tracker/outgoing.js";
import { type Config, ConfigError, parseConfig } from "../config.js";
import { createLogger } from "../log.js";
import { createAgentDeps } from "../agent-deps.js";
import { describeStartError } from "../start-errors.js";
import { fail, openStorageOrFail } from "./files.js";

const FILE_USAGE = "(send a file with /file <path>, like /file ~/Downloads/goodreads_library_export.csv)";

const program = new Command()
  .name("chat")
  .description("Talk to the media tracker in the terminal, as chat <id>, on the bot's database.")
  .requiredOption("--chat <id>", "the chat id to talk as", chatId)
  .option("--database <file>", "SQLite file (default: DATABASE_URL, else DATABASE_PATH)")
  .action(async (options: { chat: string; database?: string }) => {
    let config: Config;
    try {
      config = parseConfig(process.env);
    } catch (error) {
      return fail(error instanceof ConfigError ? error.message : String(error));
    }
    // --database names a SQLite file and wins over DATABASE_URL, as in the other tools.
    const storage = options.database === undefined ? config : { ...config, DATABASE_PATH: options.database, DATABASE_URL: undefined };
    await runConsole(options.chat, storage);
  });

/** Resolves when every message of this chat is handled and every reply printed. */
async function idle(runtime: Runtime): Promise<void> {
  while ((await runtime.stats.pendingCount()) > 0 || (await runtime.stats.unsentCount()) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Where files the bot sends (exports) and the log are saved: one private folder per run, made on first use. */
let sessionDir: string | undefined;
function outputDir(): string {
  sessionDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "media-tracker-files-"));
  return sessionDir;
}

function chatId(value: string): string {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError("a chat id is a whole number, like 42.");
  return value;
}

/** `~/x` as a shell would read it: the line is not passed through one. */
function expandHome(file: string): string {
  return file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
}

/**
 * Logs at warn, never onto the conversation: stderr when it is redirected (not the terminal), else
 * a file in the session folder, made on the first line, whose path `announce` prints once.
 */
function logDestination(announce: (line: string) => void): pino.DestinationStream {
  if (!process.stderr.isTTY) return process.stderr;
  let file: string | undefined;
  return {
    write(line: string) {
      if (file === undefined) {
        file = path.join(outputDir(), "console.log");
        announce(`(something went wrong; details are in ${file})`);
      }
      fs.appendFileSync(file, line, { mode: 0o600 });
    },
  };
}

async function runConsole(chat: string, config: Config): Promise<void> {
  const storage = await openStorageOrFail(config, { postgres: { poolSize: 4, applicationName: "media-tracker-chat" } });
  const { store } = storage;
  const chatNumber = Number(chat);
  let buttons: Button[] = [];
  let lastButtonsMessageId = 0;
  let nextMessageId = 1;
  // Ids only need to be unique per chat and run; the clock keeps them apart across runs.
  const session = Date.now().toString(36);
  let counter = 0;

  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: "you> " });
  // Taken now, so lines piped in while the runtime starts (a database round trip or more) are kept,
  // not emitted to nobody.
  const lines = rl[Symbol.asyncIterator]();
  /** A line for the person, written over the prompt when one is shown. */
  const say = (text: string) => {
    if (process.stdout.isTTY) process.stdout.write("\r\x1b[K");
    console.log(text);
  };
  const print = (out: Outgoing): unknown => {
    switch (out.type) {
      case "text": {
        say(`bot> ${out.text.replace(/\n/g, "\n     ")}`);
        const messageId = nextMessageId++;
        buttons = out.buttons?.flat() ?? [];
        if (buttons.length > 0) {
          lastButtonsMessageId = messageId;
          console.log(`     ${buttons.map((b, i) => `[${i + 1}] ${b.text}`).join("  ")}`);
        }
        return { messageId };
      }
      case "edit-text": {
        // A terminal cannot change what it printed: print the new version, marked as such.
        console.log(`bot> (updated) ${out.text.replace(/\n/g, "\n     ")}`);
        buttons = out.buttons?.flat() ?? [];
        if (buttons.length > 0) {
          lastButtonsMessageId = out.messageId;
          console.log(`     ${buttons.map((b, i) => `[${i + 1}] ${b.text}`).join("  ")}`);
        }
        return { messageId: out.messageId };
      }
      case "answer-button":
        if (out.text) say(`bot> (${out.text})`);
        return null;
      case "document": {
        // A terminal cannot show a file: save it where the person can open it, and say where.
        const saved = path.join(outputDir(), out.fileName);
        fs.writeFileSync(saved, out.content, { mode: 0o600 });
        say(`bot> [file ${out.fileName} saved to ${saved}]${out.caption ? ` ${out.caption}` : ""}`);
        return { messageId: nextMessageId++ };
      }
      case "photo": {
        if ("url" in out) {
          // A terminal cannot show an image: its address, to open in a browser.
          console.log(`bot> [cover: ${out.url}]`);
          return { messageId: nextMessageId++ };
        }
        const saved = path.join(outputDir(), out.fileName);
        fs.writeFileSync(saved, Buffer.from(out.base64, "base64"));
        console.log(`bot> [picture ${out.fileName} saved to ${saved}]${out.caption ? ` ${out.caption}` : ""}`);
        return { messageId: nextMessageId++ };
      }
      case "clear-buttons":
      case "typing":
        return null;
    }
  };

  const log = createLogger("warn", [config.OPENAI_API_KEY], logDestination(say));
  // The allowlist guards the bot's chats; the console's own user is the person at the terminal.
  const allowedUserIds = config.ALLOWED_USER_IDS ? new Set([...config.ALLOWED_USER_IDS, chat]) : undefined;
  const runtime = createRuntime({
    store,
    // "/file <path>" sends a local file, as attaching one in Telegram would (imports).
    agent: createMediaTrackerAgent({
      ...createAgentDeps(store, config, { download: async (fileId) => fs.readFileSync(fileId) }, log),
      allowedUserIds,
    }),
    deliver: async (_key, payload) => {
      const result = print(payload as Outgoing);
      if (process.stdin.isTTY) rl.prompt();
      return { status: "sent", result };
    },
    logger: log,
    onlyAgentKey: chat,
  });
  try {
    await runtime.start();
  } catch (error) {
    await runtime.stop();
    await storage.close();
    fail(describeStartError(error));
  }
  console.log(`Chatting as chat ${chat} on ${storage.describe()}. Try /help; Ctrl+D to quit.`);
  rl.prompt();

  for await (const line of lines) {
    const text = line.trim();
    if (text === "") {
      rl.prompt();
      continue;
    }
    const choice = /^\d+$/.test(text) ? buttons[Number(text) - 1] : undefined;
    const id = `console:${chat}:${session}:${++counter}`;
    const sender = { id: chatNumber, name: "Console" };
    const fileCommand = /^\/file(?:@\S*)?(?:\s+(.*))?$/.exec(text);
    const file = fileCommand ? expandHome(fileCommand[1]?.trim() ?? "") : undefined;
    if (file === "") {
      say(FILE_USAGE);
      rl.prompt();
      continue;
    }
    if (file !== undefined && !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      say(`(no file at ${file})`);
      rl.prompt();
      continue;
    }
    // The console has no Telegram update: it says directly what happened, as the front door would.
    const event: ChatEvent = choice
      ? { type: "button", data: choice.data, callbackQueryId: id, messageId: lastButtonsMessageId, sender }
      : file !== undefined
        ? { type: "document", file: { fileId: path.resolve(file), fileName: path.basename(file), fileSize: fs.statSync(file).size }, messageId: nextMessageId++, sender }
        : { type: "text", text, messageId: nextMessageId++, sender };
    await runtime.accept([{ id, agentKey: chat, kind: choice ? "callback_query" : "message", payload: eventPayload(event) }]);
    // One line at a time, as a person reads the answer before typing: a number then picks from the
    // buttons of the reply it answers, also when a script pipes the lines in.
    await idle(runtime);
  }
  await idle(runtime);
  await runtime.stop();
  await storage.close();
}

await program.parseAsync();

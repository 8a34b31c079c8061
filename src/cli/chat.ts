// `npm run chat -- --chat <id>`: the same agent, runtime and database as the bot, in the terminal.
// Lines typed become messages; replies are printed; buttons are shown as numbered choices that a
// bare number picks; "/file <path>" sends a file (an import); files the bot sends are saved to a
// temporary folder. No Telegram token needed.
import "dotenv/config";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Command, InvalidArgumentError } from "commander";
import { type Runtime, createRuntime } from "../../runtime/index.js";
import { createMediaTrackerAgent } from "../../agents/media-tracker/agent.js";
import type { Button, Outgoing } from "../../agents/media-tracker/outgoing.js";
import { openAppDatabase } from "../app.js";
import { type Config, ConfigError, parseConfig } from "../config.js";
import { createLogger } from "../log.js";
import { createAgentDeps } from "../agent-deps.js";

const program = new Command()
  .name("chat")
  .description("Talk to the media tracker in the terminal, as chat <id>, on the bot's database.")
  .requiredOption("--chat <id>", "the chat id to talk as", chatId)
  .option("--database <file>", "SQLite file (default: DATABASE_PATH)")
  .action(async (options: { chat: string; database?: string }) => {
    let config;
    try {
      config = parseConfig(process.env);
    } catch (error) {
      program.error(error instanceof ConfigError ? error.message : String(error));
    }
    await runConsole(options.chat, { ...config!, DATABASE_PATH: options.database ?? config!.DATABASE_PATH });
  });

/** Resolves when every message is handled and every reply printed. */
async function idle(runtime: Runtime): Promise<void> {
  while (runtime.stats.pendingCount() > 0 || runtime.stats.unsentCount() > 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Where files the bot sends (exports) are saved: one folder per run, made on first use. */
let savedFilesDir: string | undefined;
function outputDir(): string {
  savedFilesDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "media-tracker-files-"));
  return savedFilesDir;
}

function chatId(value: string): string {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError("a chat id is a whole number, like 42.");
  return value;
}

async function runConsole(chat: string, config: Config): Promise<void> {
  const database = config.DATABASE_PATH;
  const db = openAppDatabase(database);
  const chatNumber = Number(chat);
  let buttons: Button[] = [];
  let lastButtonsMessageId = 0;
  let nextMessageId = 1;
  // Ids only need to be unique per chat and run; the clock keeps them apart across runs.
  const session = Date.now().toString(36);
  let counter = 0;

  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: "you> " });
  const print = (out: Outgoing): unknown => {
    // Replies arrive while the prompt is shown: write over it, then show it again.
    if (process.stdout.isTTY) process.stdout.write("\r\x1b[K");
    switch (out.type) {
      case "text": {
        console.log(`bot> ${out.text.replace(/\n/g, "\n     ")}`);
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
        if (out.text) console.log(`bot> (${out.text})`);
        return null;
      case "document": {
        // A terminal cannot show a file: save it where the person can open it, and say where.
        const saved = path.join(outputDir(), out.fileName);
        fs.writeFileSync(saved, out.content);
        console.log(`bot> [file ${out.fileName} saved to ${saved}]${out.caption ? ` ${out.caption}` : ""}`);
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

  const log = createLogger("warn", [config.OPENAI_API_KEY], process.stderr);
  const runtime = createRuntime({
    db,
    // "/file <path>" sends a local file, as attaching one in Telegram would (imports).
    // The allowlist guards Telegram; whoever runs the console already has the database.
    agent: createMediaTrackerAgent({
      ...createAgentDeps(db, config, { download: async (fileId) => fs.readFileSync(fileId) }, log),
      allowedUserIds: undefined,
    }),
    deliver: async (_key, payload) => {
      const result = print(payload as Outgoing);
      if (process.stdin.isTTY) rl.prompt();
      return { status: "sent", result };
    },
    logger: log,
  });
  await runtime.start();
  console.log(`Chatting as chat ${chat} on ${database}. Try /help; Ctrl+D to quit.`);
  rl.prompt();

  for await (const line of rl) {
    const text = line.trim();
    if (text === "") {
      rl.prompt();
      continue;
    }
    const choice = /^\d+$/.test(text) ? buttons[Number(text) - 1] : undefined;
    const id = `console:${chat}:${session}:${++counter}`;
    const user = { id: chatNumber, is_bot: false, first_name: "Console" };
    const chatRef = { id: chatNumber, type: chatNumber > 0 ? "private" : "group" };
    const message = { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat: chatRef, from: user };
    const file = /^\/file\s+(.+)$/.exec(text)?.[1]?.trim();
    if (file !== undefined && !fs.existsSync(file)) {
      console.log(`bot> (no file at ${file})`);
      rl.prompt();
      continue;
    }
    const update = choice
      ? { update_id: 0, callback_query: { id, from: user, chat_instance: chat, data: choice.data, message: { ...message, message_id: lastButtonsMessageId } } }
      : file !== undefined
        ? { update_id: 0, message: { ...message, document: { file_id: path.resolve(file), file_name: path.basename(file), file_size: fs.statSync(file).size } } }
        : { update_id: 0, message: { ...message, text } };
    await runtime.accept([{ id, agentKey: chat, kind: choice ? "callback_query" : "message", payload: update }]);
    // One line at a time, as a person reads the answer before typing: a number then picks from the
    // buttons of the reply it answers, also when a script pipes the lines in.
    await idle(runtime);
  }
  await idle(runtime);
  await runtime.stop();
  db.close();
}

await program.parseAsync();

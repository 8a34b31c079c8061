// The media-tracker chat agent: one per chat. Reads the incoming update, enforces the allowlist,
// then sends it to the open dialog, a command, a button's handler or the file handler. All
// effects go through the runtime's context.
import { type AgentDefinition, defineAgent } from "../../runtime/index.js";
import { basicCommands, cancel, helpText } from "./commands/basics.js";
import { entryButtons } from "./commands/entry-actions.js";
import { exportButtons, exportCommands, sendListFiles } from "./commands/export.js";
import { EXPORT_TIMER, handleExportTimer } from "./commands/export-schedule.js";
import { listButtons, listCommands } from "./commands/lists.js";
import { privacyButtons, privacyCommands } from "./commands/privacy.js";
import { progressButtons, progressCommands } from "./commands/progress.js";
import { ANSWER_PREFIX, type DialogSpec, activityOf, answerDialog, askAgain, endDialog, startDialog } from "./dialogs/dialog.js";
import { handleTimer } from "./dialogs/expiry.js";
import { DIALOGS, dialogCommands } from "./dialogs/index.js";
import { importButtons, receiveFile } from "./import/receive.js";
import { readCommand, readIncoming } from "./incoming.js";
import { LLM_RETRY_TIMER, handleRetryTimer, llmButtons, receiveFreeText } from "./llm/conversation.js";
import { type ButtonPress, type ButtonRoute, type CommandRoute, buttonData } from "./routes.js";
import { type ChatState, CHAT_STATE_VERSION, type DialogState, initialChatState } from "./state.js";
import { type MediaTrackerDeps, Turn } from "./turn.js";

export type { MediaTrackerDeps } from "./turn.js";

/** Button data prefix of the "drop the dialog?" question. */
const DIALOG_BUTTON = "dlg";

/** Every command, in the order /help and the menu show them. */
export const COMMANDS: readonly CommandRoute[] = [
  ...dialogCommands,
  ...listCommands,
  ...progressCommands,
  ...exportCommands,
  ...privacyCommands,
  ...basicCommands(() => COMMANDS),
];

const BUTTONS: readonly ButtonRoute[] = [
  ...listButtons, ...entryButtons, ...progressButtons, ...exportButtons, ...importButtons, ...privacyButtons, ...llmButtons, ...dialogButtons(),
];

const commandsByName = new Map<string, CommandRoute>();
for (const command of COMMANDS) for (const name of [command.name, ...(command.aliases ?? [])]) commandsByName.set(name, command);
const buttonsByPrefix = new Map(BUTTONS.map((b) => [b.prefix, b]));

/** The commands Telegram's menu shows (setMyCommands). */
export const COMMAND_MENU = COMMANDS.filter((c) => c.listed !== false).map((c) => ({ command: c.name, description: c.description }));

export function createMediaTrackerAgent(deps: MediaTrackerDeps): AgentDefinition<ChatState> {
  return defineAgent<ChatState>({
    name: "media-tracker",
    stateVersion: CHAT_STATE_VERSION,
    initialState: initialChatState,
    handle: (ctx) => handle(new Turn(ctx, deps)),
    onParked: () => [
      {
        type: "text",
        text: "Sorry, something went wrong with your last message and I had to set it aside. Please try again, or /cancel to start over.",
      },
    ],
  });
}

async function handle(turn: Turn): Promise<void> {
  // A durable timer came due (a dialog left unanswered, a retry of the language model, a weekly export); it carries no Telegram update.
  if (turn.ctx.message.kind === "timer") {
    if (timerKind(turn) === EXPORT_TIMER) return handleExportTimer(turn, sendListFiles);
    return timerKind(turn) === LLM_RETRY_TIMER ? handleRetryTimer(turn) : handleTimer(turn);
  }
  const incoming = readIncoming(turn.ctx.message.payload);
  if (incoming.type === "ignored") return;

  if (!isAllowed(turn.deps, incoming.userId)) {
    if (incoming.type === "button") turn.send({ type: "answer-button", callbackQueryId: incoming.callbackQueryId, text: "This bot is private." });
    else turn.reply("Sorry, this is a private bot.");
    return;
  }

  switch (incoming.type) {
    case "unsupported":
      turn.reply("I can only read text messages and files I can import. Send /help to see what I can do.");
      return askOpenQuestion(turn);
    case "document":
      await receiveFile(turn, incoming.file);
      return askOpenQuestion(turn);
    case "button":
      return pressButton(turn, incoming.data, { callbackQueryId: incoming.callbackQueryId, messageId: incoming.messageId });
    case "text":
      return receiveText(turn, incoming.text);
  }
}

async function receiveText(turn: Turn, text: string): Promise<void> {
  const parsed = readCommand(text);
  const command = parsed ? commandsByName.get(parsed.name) : undefined;
  const open = openDialog(turn);
  if (open === "restarted") {
    // The old dialog's answer cannot be read by the new code; the restart asked its first question.
    if (command?.name === "cancel") cancel(turn, undefined);
    return;
  }
  if (command?.name === "cancel") return cancel(turn, open?.spec.noun);
  if (open && (!parsed || parsed.name === "skip")) return answerDialog(turn, open.spec, open.state, text);
  // Plain words: the language model's conversation, or a short hint at the commands without one.
  if (!parsed) return receiveFreeText(turn, text);
  if (!command) {
    turn.reply(`I don't know /${parsed.name}. Here's what I can do:\n\n${helpText(COMMANDS)}`);
    return askOpenQuestion(turn);
  }
  if (open && command.name === "help") {
    await command.run(turn, parsed.args);
    return askAgain(turn, open.spec, open.state);
  }
  if (open) {
    // Nothing typed into a dialog is dropped silently: ask first, and run the command if told to.
    turn.state.pendingCommand = text;
    turn.reply(`You're in the middle of ${activityOf(open.spec)}. Drop it and run /${parsed.name}?`, [[
      { text: `Drop the ${open.spec.noun}`, data: buttonData(DIALOG_BUTTON, "drop") },
      { text: "Keep going", data: buttonData(DIALOG_BUTTON, "keep") },
    ]]);
    return;
  }
  await command.run(turn, parsed.args);
}

async function pressButton(turn: Turn, data: string, press: Omit<ButtonPress, "acknowledge">): Promise<void> {
  const [prefix = "", ...args] = data.split(":");
  const route = buttonsByPrefix.get(prefix);
  let answered = false;
  const answer = (toast?: string) => {
    if (answered) return;
    answered = true;
    turn.send({ type: "answer-button", callbackQueryId: press.callbackQueryId, ...(toast ? { text: toast } : {}) });
  };
  const toast = route ? await route.run(turn, args, { ...press, acknowledge: () => answer() }) : "That button is no longer active.";
  answer(toast || undefined);
}

// === Dialog glue: the answer buttons and the "drop the dialog?" question

function dialogButtons(): ButtonRoute[] {
  return [
    {
      // "answer:<value>": a button under the question being asked answers it.
      prefix: ANSWER_PREFIX.slice(0, -1),
      async run(turn, args, press) {
        const open = openDialog(turn);
        const data = `${ANSWER_PREFIX}${args.join(":")}`;
        const field = open && open !== "restarted" ? open.spec.fields[open.state.step] : undefined;
        // Only the buttons of the question being asked count; an old message's buttons are stale.
        if (!open || open === "restarted" || !field?.buttons?.flat().some((b) => b.data === data)) {
          return "That button is no longer active.";
        }
        if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
        await answerDialog(turn, open.spec, open.state, args.join(":"));
      },
    },
    {
      prefix: DIALOG_BUTTON,
      async run(turn, [choice], press) {
        const pending = turn.state.pendingCommand;
        if (pending === undefined) return "That button is no longer active.";
        delete turn.state.pendingCommand;
        if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
        const open = openDialog(turn);
        if (choice === "keep") {
          if (open && open !== "restarted") askAgain(turn, open.spec, open.state);
          return;
        }
        if (open && open !== "restarted") {
          endDialog(turn);
          turn.reply(`OK, I dropped the ${open.spec.noun}.`);
        }
        await receiveText(turn, pending);
      },
    },
  ];
}

/** The open dialog, if its code is still the version it started under; else it restarts visibly. */
function openDialog(turn: Turn): { spec: DialogSpec; state: DialogState } | "restarted" | undefined {
  const state = turn.state.dialog;
  if (!state) return undefined;
  const spec = DIALOGS.get(state.name);
  if (spec && spec.version === state.version) return { spec, state };
  // A dialog the new release knows how to carry over goes on where it was.
  const migrated = spec?.migrate?.(state);
  if (spec && migrated && migrated.version === spec.version && migrated.step >= 0 && migrated.step < spec.fields.length) {
    turn.state.dialog = { ...migrated, name: spec.name, ...(state.expiryTimerId !== undefined ? { expiryTimerId: state.expiryTimerId } : {}) };
    return { spec, state: turn.state.dialog };
  }
  endDialog(turn);
  if (spec) {
    turn.reply(`Sorry, I was updated and the way I ask for a ${spec.noun} changed, so let's start that one again.`);
    startDialog(turn, spec);
    return "restarted";
  }
  turn.reply("Sorry, I was updated and the dialog you were in no longer exists. Send /help to see what I can do.");
  return undefined;
}

/** After an aside (a sticker, an unknown command), repeat the question the dialog is waiting on. */
function askOpenQuestion(turn: Turn): void {
  const open = openDialog(turn);
  if (open && open !== "restarted") askAgain(turn, open.spec, open.state);
}

function timerKind(turn: Turn): unknown {
  const payload = turn.ctx.message.payload;
  return typeof payload === "object" && payload !== null ? (payload as { kind?: unknown }).kind : undefined;
}

function isAllowed(deps: MediaTrackerDeps, userId: number | undefined): boolean {
  if (!deps.allowedUserIds) return true;
  return userId !== undefined && deps.allowedUserIds.has(String(userId));
}

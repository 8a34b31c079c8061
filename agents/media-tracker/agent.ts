// The media-tracker chat agent: one per chat. Reads the chat event, enforces the allowlist,
// then sends it to the open dialog, a command, a button's handler or the file handler. In a group,
// a dialog belongs to the member who started it (group.ts). All effects go through the runtime's context.
import { type AgentDefinition, defineAgent } from "../../runtime/index.js";
import { alertButtons, receiveEpisodeNews } from "./alerts/alert.js";
import { EPISODE_ALERT, EPISODE_CHECK_KEY, handleEpisodeCheck } from "./alerts/check.js";
import { alertCommands } from "./commands/alerts.js";
import { basicCommands, cancel, helpText } from "./commands/basics.js";
import { entryButtons } from "./commands/entry-actions.js";
import { exportButtons, exportCommands, sendListFiles } from "./commands/export.js";
import { EXPORT_TIMER, handleExportTimer } from "./commands/export-schedule.js";
import { historyButtons, historyCommands } from "./commands/history.js";
import { statsCommands } from "./commands/stats.js";
import { listButtons, listCommands } from "./commands/lists.js";
import { privacyButtons, privacyCommands } from "./commands/privacy.js";
import { progressButtons, progressCommands } from "./commands/progress.js";
import { ANSWER_PREFIX, type DialogSpec, activityOf, answerDialog, askAgain, endDialog, pickMatch, startDialog } from "./dialogs/dialog.js";
import { handleTimer } from "./dialogs/expiry.js";
import { DIALOGS, dialogCommands } from "./dialogs/index.js";
import { LOOKUP_BUTTON, currentOffer } from "./dialogs/lookup.js";
import { CANNOT_CHECK_ADMIN, type DialogOwner, mayManageChat, nameOf, otherMembersDialog } from "./group.js";
import { importButtons, receiveFile } from "./import/receive.js";
import { readCommand, readEvent } from "./incoming.js";
import { LLM_RETRY_TIMER, handleRetryTimer, llmButtons, receiveFreeText, resumeWaiting } from "./llm/conversation.js";
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
  ...alertCommands,
  ...historyCommands,
  ...statsCommands,
  ...exportCommands,
  ...privacyCommands,
  ...basicCommands(() => COMMANDS),
];

const BUTTONS: readonly ButtonRoute[] = [
  ...listButtons, ...entryButtons, ...progressButtons, ...alertButtons, ...historyButtons, ...exportButtons, ...importButtons, ...privacyButtons, ...llmButtons, ...dialogButtons(),
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
    handle: async (ctx) => {
      // The new-episode check's own agent: no chat, no Telegram update.
      if (ctx.key === EPISODE_CHECK_KEY) {
        if (deps.episodeCheck) await handleEpisodeCheck(ctx, { media: deps.media, shows: deps.metadata?.show, ...deps.episodeCheck });
        return;
      }
      const turn = new Turn(ctx, deps);
      await handle(turn);
      // Messages that waited for the model while a dialog or its question was open go on once the chat is free.
      resumeWaiting(turn);
    },
    // The check and its alerts came from no message of the person's: nothing to apologize for.
    onParked: (key, message) => (key === EPISODE_CHECK_KEY || message.kind === EPISODE_ALERT ? [] : [
      {
        type: "text",
        text: "Sorry, something went wrong with your last message and I had to set it aside. Please try again, or /cancel to start over.",
      },
    ]),
  });
}

async function handle(turn: Turn): Promise<void> {
  // A durable timer came due (a dialog left unanswered, a retry of the language model, a weekly export); it carries no Telegram update.
  if (turn.ctx.message.kind === EPISODE_ALERT) return receiveEpisodeNews(turn);
  if (turn.ctx.message.kind === "timer") {
    if (timerKind(turn) === EXPORT_TIMER) return handleExportTimer(turn, sendListFiles);
    return timerKind(turn) === LLM_RETRY_TIMER ? handleRetryTimer(turn) : handleTimer(turn);
  }
  const event = readEvent(turn.ctx.message.payload, turn.deps.readUpdate);
  if (event.type === "ignored") return;
  // "/forget@other_bot" in a group is another bot's command: not a word from us, not even a refusal.
  if (event.type === "text" && isForAnotherBot(turn.deps, event.text)) return;
  turn.sender = event.sender;
  if (event.type !== "button") turn.messageId = event.messageId;

  if (!isAllowed(turn.deps, event.sender?.id)) {
    // A stranger's edit: the message it edits was refused already.
    if (event.type === "edited") return;
    if (event.type === "button") turn.send({ type: "answer-button", callbackQueryId: event.callbackQueryId, text: "This bot is private." });
    else turn.reply("Sorry, this is a private bot.");
    return;
  }

  switch (event.type) {
    case "unsupported":
      return answerAside(turn, "I can only read text messages and files I can import. Send /help to see what I can do.");
    case "edited":
      return receiveEdit(turn, event.text, event.privateChat);
    case "document":
      await receiveFile(turn, event.file);
      return askOpenQuestion(turn);
    case "button":
      return pressButton(turn, event.data, { callbackQueryId: event.callbackQueryId, messageId: event.messageId });
    case "text":
      return receiveText(turn, event.text);
  }
}

async function receiveText(turn: Turn, text: string): Promise<void> {
  const parsed = deepLink(readCommand(text));
  const command = parsed ? commandsByName.get(parsed.name) : undefined;
  const owner = otherMembersDialog(turn);
  if (owner) return fromAnotherMember(turn, owner, parsed, command);
  const found = openDialog(turn);
  if (found === "restarted") {
    // The old dialog's answer cannot be read by the new code; the restart asked its first question.
    if (command?.name === "cancel") cancel(turn, undefined);
    return;
  }
  // Words meant for a dialog that no longer exists answer nothing else either (the apology was said).
  if (found === "gone" && !parsed) return;
  const open = found === "gone" ? undefined : found;
  if (command?.name === "cancel") return cancel(turn, open?.spec.noun);
  if (open && (!parsed || parsed.name === "skip")) return answerDialog(turn, open.spec, open.state, text);
  // Plain words: the language model's conversation, or a short hint at the commands without one.
  if (!parsed) return receiveFreeText(turn, text);
  if (!command) {
    if (open) return askAgain(turn, open.spec, open.state, `I don't know /${parsed.name}. Send /help to see what I can do.`);
    turn.reply(`I don't know /${parsed.name}. Here's what I can do:\n\n${helpText(COMMANDS)}`);
    return;
  }
  // Help in a dialog: the commands and the question waiting, in one message.
  if (open && command.name === "help") return askAgain(turn, open.spec, open.state, helpText(COMMANDS));
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

/**
 * A message from a group member while another member's dialog is open. Answers (plain text, /skip)
 * are ignored: the question is not theirs, and in a group people talk among themselves. A command
 * that would replace the dialog is refused; /cancel drops it only for a group admin; any other
 * command runs beside it.
 */
async function fromAnotherMember(turn: Turn, owner: DialogOwner, parsed: ReturnType<typeof readCommand>, command: CommandRoute | undefined): Promise<void> {
  if (!parsed || parsed.name === "skip") return;
  const spec = DIALOGS.get(turn.state.dialog!.name);
  const doing = `${nameOf(owner)} is in the middle of ${spec ? activityOf(spec) : "a dialog"}`;
  if (!command) {
    turn.reply(`I don't know /${parsed.name}. Here's what I can do:\n\n${helpText(COMMANDS)}`);
    return;
  }
  if (command.name === "cancel") {
    const admin = await mayManageChat(turn);
    if (admin === "unknown") return turn.reply(CANNOT_CHECK_ADMIN);
    if (admin === "no") return turn.reply(`${doing}; only they or a group admin can /cancel it.`);
    endDialog(turn);
    delete turn.state.pendingCommand;
    turn.reply(`OK, I dropped ${owner.name ? `${owner.name}'s` : "the"} ${spec?.noun ?? "dialog"}.`);
    return;
  }
  if (command.startsDialog) {
    turn.reply(`${doing}. Send /${command.name} again when they're done.`);
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
        const owner = otherMembersDialog(turn);
        if (owner) return `This question is for ${nameOf(owner)}.`;
        const open = openDialog(turn);
        const data = `${ANSWER_PREFIX}${args.join(":")}`;
        const field = typeof open === "object" ? open.spec.fields[open.state.step] : undefined;
        // Only the buttons of the question being asked count; an old message's buttons are stale.
        if (typeof open !== "object" || !field?.buttons?.flat().some((b) => b.data === data)) {
          return "That button is no longer active.";
        }
        if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
        await answerDialog(turn, open.spec, open.state, args.join(":"));
      },
    },
    {
      // "lk:<token>:<n|none>": a match the provider found for the title, or "None of these".
      prefix: LOOKUP_BUTTON,
      async run(turn, [token, choice], press) {
        const owner = otherMembersDialog(turn);
        if (owner) return `This question is for ${nameOf(owner)}.`;
        const open = openDialog(turn);
        if (typeof open !== "object" || !currentOffer(open.state, token)) return "That button is no longer active.";
        if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
        // A show's details may take a moment: stop the button's spinner first.
        press.acknowledge();
        return pickMatch(turn, open.spec, open.state, token, choice);
      },
    },
    {
      prefix: DIALOG_BUTTON,
      async run(turn, [choice], press) {
        const owner = otherMembersDialog(turn);
        if (owner) return `This question is for ${nameOf(owner)}.`;
        const pending = turn.state.pendingCommand;
        if (pending === undefined) return "That button is no longer active.";
        delete turn.state.pendingCommand;
        if (press.messageId !== undefined) turn.send({ type: "clear-buttons", messageId: press.messageId });
        const open = openDialog(turn);
        if (choice === "keep") {
          if (typeof open === "object") askAgain(turn, open.spec, open.state);
          return;
        }
        if (typeof open === "object") {
          endDialog(turn);
          turn.reply(`OK, I dropped the ${open.spec.noun}.`);
        }
        await receiveText(turn, pending);
      },
    },
  ];
}

/**
 * The open dialog, if its code is still the version it started under; else it restarts visibly
 * ("restarted": its first question was asked), or, when this release no longer has it, it ends
 * with an apology ("gone").
 */
function openDialog(turn: Turn): { spec: DialogSpec; state: DialogState } | "restarted" | "gone" | undefined {
  const state = turn.state.dialog;
  if (!state) return undefined;
  const spec = DIALOGS.get(state.name);
  if (spec && spec.version === state.version) return { spec, state };
  // A dialog the new release knows how to carry over goes on where it was.
  const migrated = spec?.migrate?.(state);
  if (spec && migrated && migrated.version === spec.version && migrated.step >= 0 && migrated.step < spec.fields.length) {
    turn.state.dialog = {
      ...migrated,
      name: spec.name,
      ...(state.expiryTimerId !== undefined ? { expiryTimerId: state.expiryTimerId } : {}),
      ...(state.owner ? { owner: state.owner } : {}),
    };
    return { spec, state: turn.state.dialog };
  }
  endDialog(turn);
  if (spec) {
    startDialog(turn, spec, `Sorry, I was updated and the way I ask for a ${spec.noun} changed, so let's start that one again.`);
    return "restarted";
  }
  turn.reply("Sorry, I was updated and the dialog you were in no longer exists. Send /help to see what I can do.");
  return "gone";
}

/** After something sent beside a dialog (a file), repeat the question the dialog is waiting on (to its owner). */
function askOpenQuestion(turn: Turn): void {
  if (otherMembersDialog(turn)) return;
  const open = openDialog(turn);
  if (typeof open === "object") askAgain(turn, open.spec, open.state);
}

/** A note about an aside (a sticker); in a dialog, the note and the question waiting, in one message. */
function answerAside(turn: Turn, note: string): void {
  // Another member's dialog is theirs: the note alone, without their question.
  if (otherMembersDialog(turn)) return turn.reply(note);
  const open = openDialog(turn);
  if (typeof open === "object") askAgain(turn, open.spec, open.state, note);
  else if (open === undefined) turn.reply(note);
}

/**
 * An edited message: an answer or a command already handled cannot be taken back, so the edit
 * changes nothing; the person is told once, so they don't believe it counted. In a group, only
 * an edit that may be meant for the bot (a command, or during a dialog) gets the note.
 */
function receiveEdit(turn: Turn, text: string | undefined, privateChat: boolean): void {
  const ownDialog = turn.state.dialog !== undefined && !otherMembersDialog(turn);
  if (!privateChat && !ownDialog && !readCommand(text ?? "")) return;
  turn.reply("I can't take edited messages, so that edit changed nothing. Please send it again as a new message.");
}

/** "/start add_movie" (a t.me/<bot>?start=add_movie link) runs /add_movie; any other payload is a plain /start. */
function deepLink(parsed: { name: string; args: string } | undefined): { name: string; args: string } | undefined {
  if (parsed?.name !== "start" || !/^[a-z0-9_]{1,64}$/i.test(parsed.args)) return parsed;
  const name = parsed.args.toLowerCase();
  return name !== "start" && commandsByName.has(name) ? { name, args: "" } : parsed;
}

function timerKind(turn: Turn): unknown {
  const payload = turn.ctx.message.payload;
  return typeof payload === "object" && payload !== null ? (payload as { kind?: unknown }).kind : undefined;
}

/** A command addressed to a bot other than this one ("/help@other_bot"); without a known username, none is. */
function isForAnotherBot(deps: MediaTrackerDeps, text: string): boolean {
  const bot = readCommand(text)?.bot;
  return bot !== undefined && deps.botUsername !== undefined && bot.toLowerCase() !== deps.botUsername.toLowerCase();
}

function isAllowed(deps: MediaTrackerDeps, userId: number | undefined): boolean {
  if (!deps.allowedUserIds) return true;
  return userId !== undefined && deps.allowedUserIds.has(String(userId));
}

// The media-tracker chat agent: one per chat. Reads the incoming update, enforces the allowlist,
// then sends it to a command or to the open dialog. All effects go through the runtime's context.
import { type AgentDefinition, defineAgent } from "../../runtime/index.js";
import { cancel, help, listMovies, start } from "./commands.js";
import { ANSWER_PREFIX, type DialogSpec, answerDialog, startDialog } from "./dialogs/dialog.js";
import { addMovie } from "./dialogs/add-movie.js";
import { readCommand, readIncoming } from "./incoming.js";
import { type ChatState, CHAT_STATE_VERSION, initialChatState } from "./state.js";
import { type MediaTrackerDeps, Turn } from "./turn.js";

export type { MediaTrackerDeps } from "./turn.js";

const DIALOGS: Record<string, DialogSpec> = { [addMovie.name]: addMovie };

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
  const incoming = readIncoming(turn.ctx.message.payload);
  if (incoming.type === "ignored") return;

  if (!isAllowed(turn.deps, incoming.userId)) {
    if (incoming.type === "button") turn.send({ type: "answer-button", callbackQueryId: incoming.callbackQueryId, text: "This bot is private." });
    else turn.reply("Sorry, this is a private bot.");
    return;
  }

  switch (incoming.type) {
    case "unsupported":
      turn.reply("I can only read text messages. Send /help to see what I can do.");
      return;
    case "button":
      return pressButton(turn, incoming.data, incoming.callbackQueryId, incoming.messageId);
    case "text":
      return receiveText(turn, incoming.text);
  }
}

async function receiveText(turn: Turn, text: string): Promise<void> {
  const command = readCommand(text);
  const isCancel = command?.name === "cancel" || command?.name === "reset";
  const open = openDialog(turn);
  if (open === "restarted") {
    // The old dialog's answer cannot be read by the new code; the restart asked its first question.
    if (isCancel) cancel(turn, undefined);
    return;
  }

  if (isCancel) return cancel(turn, open?.spec.noun);
  if (open && (!command || command.name === "skip")) return answerDialog(turn, open.spec, open.state, text);

  if (open && command) {
    // A new command ends the dialog in progress; say so, so nothing is lost silently.
    delete turn.state.dialog;
    turn.reply(`(I dropped the ${open.spec.noun} you were adding.)`);
  }
  if (!command) {
    turn.reply("I didn't understand that. Here's what I can do:\n\n" + helpLines());
    return;
  }
  const dialog = DIALOGS[command.name];
  if (dialog) return startDialog(turn, dialog);
  switch (command.name) {
    case "start":
      return start(turn);
    case "help":
      return help(turn);
    case "movies":
      return listMovies(turn);
    case "skip":
      turn.reply("There's nothing to skip right now.");
      return;
    default:
      turn.reply(`I don't know /${command.name}. Here's what I can do:\n\n${helpLines()}`);
  }
}

async function pressButton(turn: Turn, data: string, callbackQueryId: string, messageId: number | undefined): Promise<void> {
  const opened = openDialog(turn);
  const open = opened === "restarted" ? undefined : opened;
  const field = open?.spec.fields[open.state.step];
  const answer = data.startsWith(ANSWER_PREFIX) ? data.slice(ANSWER_PREFIX.length) : undefined;
  // Only the buttons of the question being asked count; an old message's buttons are stale.
  if (!open || !field?.buttons || answer === undefined || !field.buttons.flat().some((b) => b.data === data)) {
    turn.send({ type: "answer-button", callbackQueryId, text: "That button is no longer active." });
    return;
  }
  turn.send({ type: "answer-button", callbackQueryId });
  if (messageId !== undefined) turn.send({ type: "clear-buttons", messageId });
  await answerDialog(turn, open.spec, open.state, answer);
}

/** The open dialog, if its code is still the version it started under; else it restarts visibly. */
function openDialog(turn: Turn): { spec: DialogSpec; state: NonNullable<ChatState["dialog"]> } | "restarted" | undefined {
  const state = turn.state.dialog;
  if (!state) return undefined;
  const spec = DIALOGS[state.name];
  if (spec && spec.version === state.version) return { spec, state };
  delete turn.state.dialog;
  if (spec) {
    turn.reply(`Sorry, I was updated and the way I ask for a ${spec.noun} changed, so let's start that one again.`);
    startDialog(turn, spec);
    return "restarted";
  }
  turn.reply("Sorry, I was updated and the dialog you were in no longer exists. Send /help to see what I can do.");
  return undefined;
}

function isAllowed(deps: MediaTrackerDeps, userId: number | undefined): boolean {
  if (!deps.allowedUserIds) return true;
  return userId !== undefined && deps.allowedUserIds.has(String(userId));
}

function helpLines(): string {
  return "/add_movie, /movies, /cancel, /help";
}

// /privacy says what the bot keeps and where; /forget deletes all of the chat's data (entries,
// dialog progress, the runtime's record of its messages) after a confirmation button. The messages'
// ids stay, without content (see runtime/agent-history.ts): a redelivered update is still a duplicate.
// In a group only an admin may ask and answer (group.ts).
import { CANNOT_CHECK_ADMIN, mayManageChat } from "../group.js";
import { type ButtonRoute, type CommandRoute, buttonData } from "../routes.js";
import { countOf } from "../entry-view.js";
import { clearConversation } from "../llm/memory.js";
import { initialChatState } from "../state.js";
import type { Turn } from "../turn.js";

const FORGET_BUTTON = "fg";
const ONLY_ADMINS = "In a group, only an admin can delete the group's data.";

const PRIVACY_TEXT = [
  "What I keep about this chat:",
  "• your entries: titles, authors, years, ratings, progress, quotes and notes;",
  "• where you are in a dialog, so we can carry on later;",
  "• with a language model set up: the last few messages you typed in plain words and my answers, so it can follow the conversation (/cancel clears them);",
  "• a record of your recent messages and my replies, so that nothing is lost or done twice if I restart (finished ones are deleted after 30 days).",
  "",
  "Where: in one SQLite file on the server of whoever runs this bot. It is not shared with anyone else. " +
    "If this bot has a language model set up, messages you type in plain words are sent to that model's server to be understood.",
  "",
  "/export gives you a copy of your list. /forget deletes everything I keep about this chat. " +
    "Only the numbers Telegram gave your past messages stay, with no content, for up to 30 days, so that a message Telegram sends me twice isn't handled again.",
].join("\n");

async function askToForget(turn: Turn): Promise<void> {
  const admin = await mayManageChat(turn);
  if (admin !== "yes") return turn.reply(admin === "no" ? ONLY_ADMINS : CANNOT_CHECK_ADMIN);
  const entries = await turn.deps.media.count(turn.chatId);
  // Only this question's buttons may delete: an old "Delete everything" button pressed later is refused.
  const token = turn.ctx.randomId().slice(0, 8);
  turn.state.forgetToken = token;
  turn.reply(
    `This deletes everything I keep about this chat: ${countOf(entries, "entry", "entries")}, ` +
      "any dialog in progress and my record of your messages. It can't be undone. Export first with /export if you want a copy.",
    [[
      { text: "Delete everything", data: buttonData(FORGET_BUTTON, "yes", token) },
      { text: "Keep my data", data: buttonData(FORGET_BUTTON, "no", token) },
    ]],
  );
}

async function forget(turn: Turn, choice: string | undefined, token: string | undefined, messageId: number | undefined): Promise<string | void> {
  if (!token || token !== turn.state.forgetToken) return "That button is no longer active.";
  // Checked again at the press: any member can tap the buttons under an admin's question.
  const admin = await mayManageChat(turn);
  if (admin !== "yes") return admin === "no" ? ONLY_ADMINS : CANNOT_CHECK_ADMIN;
  delete turn.state.forgetToken;
  if (messageId !== undefined) turn.send({ type: "clear-buttons", messageId });
  if (choice !== "yes") {
    turn.reply("OK, I kept everything.");
    return;
  }
  const timer = turn.state.dialog?.expiryTimerId;
  if (timer) turn.ctx.cancelTimer(timer);
  // The conversation memory goes with the state below; a retry of waiting requests must not fire.
  clearConversation(turn);
  const entries = await turn.ctx.write("forget-entries", async (tx) => {
    await turn.deps.imports?.within(tx).removeAll(turn.chatId);
    return turn.deps.media.within(tx).removeAll(turn.chatId);
  });
  await turn.ctx.eraseHistory();
  turn.ctx.state = initialChatState();
  turn.reply(`Done: I deleted ${countOf(entries, "entry", "entries")} and everything else I kept about this chat.`);
}

export const privacyCommands: CommandRoute[] = [
  { name: "privacy", description: "what I keep about you, and where", run: (turn) => turn.reply(PRIVACY_TEXT) },
  { name: "forget", description: "delete all your data (asks first)", run: askToForget },
];

export const privacyButtons: ButtonRoute[] = [
  { prefix: FORGET_BUTTON, run: (turn, [choice, token], press) => forget(turn, choice, token, press.messageId) },
];

// Groups: the list belongs to the chat and every member may read and change it, with two limits.
// A dialog belongs to the member who started it: other members' answers are ignored (in a group
// people talk among themselves), their presses of its buttons and their /cancel get a short
// refusal naming whose it is. Deleting everything (/forget) and dropping someone else's dialog
// need a group admin, asked of Telegram (getChatMember) inside a journaled step.
import type { DialogState } from "./state.js";
import type { Turn } from "./turn.js";

/** A member's standing in a chat, as Telegram's getChatMember names it. */
export type MemberStatus = "creator" | "administrator" | "member" | "restricted" | "left" | "kicked";

/** The application's port to Telegram's getChatMember. */
export interface ChatMembers {
  /** The user's status in the chat ("left" when they are not in it); throws when Telegram cannot be asked. */
  status(chatId: string, userId: number): Promise<MemberStatus>;
}

export type DialogOwner = NonNullable<DialogState["owner"]>;

/** What to say when Telegram could not tell whether the sender is an admin. */
export const CANNOT_CHECK_ADMIN = "I couldn't check with Telegram that you're an admin of this group. Please try again in a minute.";

/** The owner of the open dialog when someone else sent this message; undefined when it is theirs, or nobody's. */
export function otherMembersDialog(turn: Turn): DialogOwner | undefined {
  const owner = turn.state.dialog?.owner;
  if (!owner || turn.sender?.id === owner.id) return undefined;
  return owner;
}

export function nameOf(owner: DialogOwner): string {
  return owner.name ?? "Someone else";
}

/** Who a dialog started now belongs to: the sender (dialogs started before owners were kept have none). */
export function ownerOf(turn: Turn): DialogOwner | undefined {
  const sender = turn.sender;
  return sender ? { id: sender.id, ...(sender.name ? { name: sender.name } : {}) } : undefined;
}

/**
 * May the sender manage the whole chat (delete its data, drop another member's dialog)? Anyone in
 * a private chat, and in the console chat (whoever runs it has the database); in a group only an
 * admin, as one journaled getChatMember call: after a crash the recorded answer is used. "unknown":
 * Telegram did not answer (the person is told to try again; nothing is retried behind their back).
 */
export async function mayManageChat(turn: Turn): Promise<"yes" | "no" | "unknown"> {
  const members = turn.deps.members;
  // An anonymous admin writes as the group itself, which only admins can do.
  if (!turn.inGroup || !members || turn.sender?.asGroup) return "yes";
  const userId = turn.sender?.id;
  if (userId === undefined) return "no";
  const chatId = turn.chatId;
  const answer = await turn.ctx.run("chat-member", () => askTelegram(members, chatId, userId), { maxAttempts: 1 });
  if (!answer.ok) return "unknown";
  return answer.status === "creator" || answer.status === "administrator" ? "yes" : "no";
}

async function askTelegram(members: ChatMembers, chatId: string, userId: number): Promise<{ ok: true; status: MemberStatus } | { ok: false }> {
  try {
    return { ok: true, status: await members.status(chatId, userId) };
  } catch {
    return { ok: false };
  }
}

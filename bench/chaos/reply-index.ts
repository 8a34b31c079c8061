// The replies that reached the fake Bot API, per chat, read incrementally from its call log (which
// grows to tens of thousands of calls in a long run, too many to filter on every poll).
import type { FakeBotApi } from "../../test/support/fake-bot-api.js";

export interface Reply {
  text: string;
  /** Date.now() at the fake API's arrival. */
  at: number;
  /** The tag of the bot process that sent it (StartRecord.via). */
  via: string | undefined;
  /** The message id the fake API gave it (for pressing its buttons). */
  messageId: number | undefined;
  /** The callback data of its inline buttons. */
  buttons: string[];
}

export class ReplyIndex {
  private cursor = 0;
  private readonly byChat = new Map<number, Reply[]>();
  /** Arrival times of every successful sendMessage, in order. */
  readonly times: number[] = [];

  constructor(private readonly api: FakeBotApi) {}

  /** The successful sendMessage calls to `chatId` so far, in arrival order. */
  replies(chatId: number): readonly Reply[] {
    this.scan();
    return this.byChat.get(chatId) ?? [];
  }

  scan(): void {
    const calls = this.api.calls;
    for (; this.cursor < calls.length; this.cursor++) {
      const call = calls[this.cursor]!;
      if (call.method !== "sendMessage" || call.failedWith !== undefined) continue;
      const chatId = Number(call.params.chat_id);
      let list = this.byChat.get(chatId);
      if (!list) this.byChat.set(chatId, (list = []));
      list.push({
        text: String(call.params.text),
        at: call.at,
        via: call.via,
        // Read when asked: the fake API sets a call's result once it answers.
        get messageId() {
          return (call.result as { message_id?: number } | undefined)?.message_id;
        },
        get buttons() {
          const markup = call.params.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined;
          return (markup?.inline_keyboard ?? []).flat().flatMap((b) => (b.callback_data === undefined ? [] : [b.callback_data]));
        },
      });
      this.times.push(call.at);
    }
  }

  /** The first reply (any chat) that arrived at or after `from`, or undefined. */
  firstReplyAtOrAfter(from: number): number | undefined {
    this.scan();
    return this.times.find((t) => t >= from);
  }
}

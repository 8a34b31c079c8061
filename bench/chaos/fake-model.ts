// The language model of a chaos run: the fake OpenAI-compatible server from the tests, answering a
// "finished <title> yesterday, N stars" message with an add_book tool call, then (seeing the tool's
// result) with a one-line confirmation; the person sees the bot's receipt of what was stored instead. The answer depends only on the request, so a model call
// repeated after a crash would get the same answer (and the journal should prevent the repeat).
import { type FakeOpenAi, startFakeOpenAi } from "../../test/support/fake-openai.js";

/** What the chats type to the model; the title is captured. */
export const LLM_MESSAGE = /^finished (.+) yesterday, (\d) stars$/;

export function llmMessage(title: string, stars: number): string {
  return `finished ${title} yesterday, ${stars} stars`;
}

export function llmReply(title: string): string {
  return `Added ${title} to your books, finished yesterday.`;
}

/** What the chat is sent: the receipt of the entry as stored (the model's claim above is not relayed). */
export function llmReceipt(title: string, stars: number): string {
  return `✅ Added book: ${title}, ${"★".repeat(stars)}${"☆".repeat(5 - stars)} ${stars}/5, finished`;
}

interface ChatMessage {
  role: string;
  content?: string | null;
}

export async function startChaosModel(): Promise<FakeOpenAi> {
  const model = await startFakeOpenAi();
  model.respond((body: { messages: ChatMessage[] }) => {
    const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
    const match = LLM_MESSAGE.exec(lastUser?.content ?? "");
    if (!match) return { content: "I can only add books in this test." };
    const [, title, stars] = match;
    if (body.messages.at(-1)?.role === "tool") return { content: llmReply(title!) };
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    return { toolCalls: [{ name: "add_book", arguments: { title, status: "finished", finishedOn: yesterday, rating: Number(stars) } }] };
  });
  return model;
}

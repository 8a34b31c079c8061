// A child process for runtime crash tests, with a test agent and no Telegram: it accepts the
// messages given in MT_MESSAGES (JSON [{id, key, text}]), handles everything pending, and exits 0
// when idle. Texts drive the agent: "POISON" kills the process outright, "SLOW" takes a 1.5 s
// external step (an LLM call, say), anything else is just recorded. Usage:
//   node --import tsx test/support/runtime-process.ts <database file>
import { createRuntime, defineAgent } from "../../runtime/index.js";
import { reopenStore } from "./temp-database.js";

const { store } = await reopenStore(process.argv[2]!);

const agent = defineAgent<{ handled: string[] }>({
  name: "crash-test",
  stateVersion: 1,
  initialState: () => ({ handled: [] }),
  async handle(ctx) {
    const text = (ctx.message.payload as { text: string }).text;
    if (text === "POISON") process.kill(process.pid, "SIGKILL");
    if (text === "SLOW") await ctx.run("slow-call", () => new Promise((resolve) => setTimeout(() => resolve("ok"), 1500)));
    ctx.state.handled.push(text);
    ctx.send({ text: `handled ${text}` });
  },
  onParked: () => [{ text: "parked" }],
});

const runtime = createRuntime({ store, agent, deliver: async () => ({ status: "sent" }) });
await runtime.start();
const messages = JSON.parse(process.env.MT_MESSAGES ?? "[]") as Array<{ id: string; key: string; text: string }>;
for (const m of messages) {
  await runtime.accept([{ id: m.id, agentKey: m.key, kind: "text", payload: { text: m.text } }]);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
while ((await runtime.stats.pendingCount()) > 0 || (await runtime.stats.unsentCount()) > 0) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await runtime.stop();
await store.close();

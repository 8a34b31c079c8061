// CPU per Telegram update outside SQLite, for the front door's work and the agent's read of it:
// JSON.parse of the body, parseUpdate (route and chat event, one zod pass), the inbox message
// (fingerprint, payload text), and the agent's read of the payload as handed over live and as
// reloaded after a restart. Process CPU time (user + system), so other load on the machine
// matters less than with wall time; medians of 21 rounds.
//
//   npx tsx bench/edge-cpu.ts
import { readEvent } from "../agents/media-tracker/incoming.js";
import { parseUpdate, translateUpdate } from "../src/telegram/update.js";
import { updateFingerprint, updateMessage } from "../src/telegram/update-key.js";

const from = (id: number) => ({ id, is_bot: false, first_name: "Alice", last_name: "Liddell", username: "alice", language_code: "en" });
const chat = (id: number) => ({ id, type: "private", first_name: "Alice", last_name: "Liddell", username: "alice" });
const text = (i: number) => ({
  update_id: i,
  message: {
    message_id: i, from: from(1000 + (i % 50)), chat: chat(1000 + (i % 50)), date: 1716000000 + i,
    text: i % 3 ? "The Matrix" : "/add_movie",
    ...(i % 3 ? {} : { entities: [{ offset: 0, length: 10, type: "bot_command" }] }),
  },
});
const button = (i: number) => ({
  update_id: i,
  callback_query: {
    id: String(4e12 + i), from: from(1000 + (i % 50)), chat_instance: "-7000000000", data: "rate:4",
    message: {
      message_id: 7, from: { id: 123456, is_bot: true, first_name: "Bot", username: "test_bot" }, chat: chat(1000 + (i % 50)), date: 1716000000,
      text: "Your rating?", reply_markup: { inline_keyboard: [[1, 2, 3, 4, 5].map((n) => ({ text: "★".repeat(n), callback_data: `rate:${n}` }))] },
    },
  },
});

// Three texts to one button press, as a dialog goes.
const bodies = Array.from({ length: 1000 }, (_, i) => JSON.stringify(i % 4 === 3 ? button(i) : text(i)));
const updates = bodies.map((b) => JSON.parse(b) as Record<string, unknown>);
const routes = updates.map((u) => {
  const parsed = parseUpdate(u);
  if (!parsed.ok || parsed.route.status !== "routed") throw new Error("the benchmark's updates must be routed");
  return parsed.route;
});
const messages = updates.map((u, i) => updateMessage("123456", u, routes[i]!, bodies[i]));
const stored = messages.map((m) => m.payloadJson!);

let sink = 0;
const cases: Array<[string, (i: number) => void]> = [
  ["JSON.parse of the body", (i) => { sink += (JSON.parse(bodies[i]!) as { update_id: number }).update_id; }],
  ["parseUpdate", (i) => { sink += parseUpdate(updates[i]).ok ? 1 : 0; }],
  ["fingerprint", (i) => { sink += updateFingerprint(updates[i], bodies[i]).length; }],
  ["updateMessage (with it)", (i) => { sink += updateMessage("123456", updates[i]!, routes[i]!, bodies[i]).id.length; }],
  ["agent read, live", (i) => { sink += readEvent(messages[i]!.payload, translateUpdate).type.length; }],
  ["agent read, reloaded", (i) => { sink += readEvent(JSON.parse(stored[i]!), translateUpdate).type.length; }],
];

console.log("CPU per update, median of 21 rounds of 20 × 1000 updates");
for (const [name, run] of cases) {
  for (let i = 0; i < bodies.length; i++) run(i);
  const samples: number[] = [];
  for (let round = 0; round < 21; round++) {
    const start = process.cpuUsage();
    for (let k = 0; k < 20; k++) for (let i = 0; i < bodies.length; i++) run(i);
    const used = process.cpuUsage(start);
    samples.push(((used.user + used.system) * 1000) / (20 * bodies.length));
  }
  samples.sort((a, b) => a - b);
  console.log(`  ${name.padEnd(26)} ${Math.round(samples[10]!).toString().padStart(6)} ns`);
}
if (sink === 0) console.log("(nothing measured)");

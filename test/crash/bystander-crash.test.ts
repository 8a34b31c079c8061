// A message that kills the process every time must be parked alone: a message of another chat
// that happened to be running at the same crashes (a slow external call) is not blamed for them.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-bystander-"));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function runOnce(file: string, messages: unknown[] = []): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/support/runtime-process.ts", file], {
      cwd: root,
      env: { PATH: process.env.PATH, MT_MESSAGES: JSON.stringify(messages) },
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}

it("parks the poison message alone and lets the bystander finish", { timeout: 90_000 }, async () => {
  const file = path.join(dir, "runtime.db");
  const exits = [await runOnce(file, [{ id: "slow", key: "bystander", text: "SLOW" }, { id: "poison", key: "poisoner", text: "POISON" }])];
  while (exits.at(-1)!.signal === "SIGKILL" && exits.length < 10) exits.push(await runOnce(file));

  expect(exits.at(-1)).toEqual({ code: 0, signal: null });
  const db = new Database(file, { readonly: true });
  const rows = db.prepare("SELECT id, status, attempts FROM inbox ORDER BY seq").all();
  const notices = db.prepare("SELECT agent_key AS key, payload_json AS payload FROM outbox ORDER BY id").all();
  const slowCalls = db.prepare("SELECT COUNT(*) FROM journal WHERE message_id = 'slow' AND step_name = 'run:slow-call'").pluck().get();
  db.close();
  expect(rows).toEqual([
    { id: "slow", status: "done", attempts: expect.any(Number) },
    { id: "poison", status: "parked", attempts: 5 },
  ]);
  expect((rows[0] as { attempts: number }).attempts).toBeLessThan(5);
  expect(notices).toEqual([
    { key: "bystander", payload: JSON.stringify({ text: "handled SLOW" }) },
    { key: "poisoner", payload: JSON.stringify({ text: "parked" }) },
  ]);
  expect(slowCalls).toBe(1);
});

// The console chat (`npm run chat -- --chat <id>`) as a child process on a database a crashed bot
// left behind: it handles its own chat only, keeps the allowlist for everyone else, leaves the bot's
// crash accounting alone, refuses a second console on the same chat, and prints only what a person
// needs (a usage line for a bare /file, never a log line).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Database } from "../support/temp-database.js";
import { openAppDatabase } from "../../src/app.js";
import { makeTextUpdate } from "../support/fake-bot-api.js";
import { collect, runTool, spawnNode } from "../support/cli-process.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-console-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let databases = 0;

/** A database as a crashed bot leaves it: no clean stop recorded, and whatever `seed` puts in. */
async function crashedBotDatabase(seed: (db: Database) => void): Promise<string> {
  const file = path.join(dir, `bot-${++databases}.db`);
  const db = await openAppDatabase(file);
  seed(db);
  db.close();
  return file;
}

function pendingUpdate(db: Database, updateId: number, chat: number, text: string, from = chat): void {
  db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES (?, ?, 'message', ?, ?)`)
    .run(`tg:${updateId}`, String(chat), JSON.stringify(makeTextUpdate(updateId, chat, text, from)), Date.now());
}

function unsentReply(db: Database, chat: number, text: string, status: "pending" | "sending"): void {
  db.prepare(
    `INSERT INTO outbox (agent_key, message_id, payload_json, status, attempts, next_attempt_at_ms, created_at_ms) VALUES (?, 'tg:0', ?, ?, ?, 0, ?)`,
  ).run(String(chat), JSON.stringify({ type: "text", text }), status, status === "sending" ? 1 : 0, Date.now());
}

async function read<T>(file: string, query: (db: Database) => T): Promise<T> {
  const db = await openAppDatabase(file);
  try {
    return query(db);
  } finally {
    db.close();
  }
}

describe("the console chat beside the bot's chats", () => {
  it("handles and prints only its own chat: other chats' messages and replies stay for the bot", async () => {
    const file = await crashedBotDatabase((db) => {
      pendingUpdate(db, 1, 5001, "/movies");
      pendingUpdate(db, 2, 5002, "/add_movie", 666); // a stranger, in another chat
      unsentReply(db, 5001, "A reply for Telegram, in flight at the crash", "sending");
      unsentReply(db, 5001, "A reply for Telegram, waiting", "pending");
    });
    const { code, stdout } = await runTool("chat", ["--chat", "4242"], {
      env: { DATABASE_PATH: file, ALLOWED_USER_IDS: "5001" },
      input: "/movies\n",
    });

    expect(code).toBe(0);
    expect(stdout).toContain("bot> You haven't added any movies yet.");
    expect(stdout).not.toContain("A reply for Telegram");
    expect(stdout).not.toContain("What's the movie's title?");
    const after = await read(file, (db) => ({
      inbox: db.prepare("SELECT id, status, attempts FROM inbox WHERE agent_key <> '4242' ORDER BY seq").all(),
      outbox: db.prepare("SELECT status, attempts FROM outbox WHERE agent_key = '5001' ORDER BY id").all(),
      meta: db.prepare("SELECT key FROM runtime_meta").pluck().all(),
      states: db.prepare("SELECT agent_key FROM agent_state").pluck().all(),
    }));
    // Untouched, not even charged: the bot's next start handles them and charges its own crash.
    expect(after.inbox).toEqual([
      { id: "tg:1", status: "pending", attempts: 0 },
      { id: "tg:2", status: "pending", attempts: 0 },
    ]);
    expect(after.outbox).toEqual([{ status: "sending", attempts: 1 }, { status: "pending", attempts: 0 }]);
    expect(after.meta).toEqual([]);
    expect(after.states).not.toContain("5002");
  }, 60_000);

  it("keeps the allowlist for everyone but the person at the terminal", async () => {
    // A group's stranger wrote while the bot was down; the console now serves that group.
    const file = await crashedBotDatabase((db) => pendingUpdate(db, 3, -4242, "/add_movie", 666));
    const { code, stdout } = await runTool("chat", ["--chat", "-4242"], {
      env: { DATABASE_PATH: file, ALLOWED_USER_IDS: "1" },
      input: "/movies\n",
    });

    expect(code).toBe(0);
    expect(stdout).toContain("bot> Sorry, this is a private bot.");
    expect(stdout).not.toContain("What's the movie's title?");
    expect(stdout).toContain("bot> You haven't added any movies yet.");
  }, 60_000);

  it("refuses a second console on the same chat with one line", async () => {
    const file = await crashedBotDatabase(() => undefined);
    const first = spawnNode(["--import", "tsx", "src/cli/chat.ts", "--chat", "77"], { env: { DATABASE_PATH: file } });
    const firstDone = collect(first);
    await new Promise<void>((resolve) => {
      first.stdout!.on("data", (chunk: string) => {
        if (chunk.includes("Chatting as chat 77")) resolve();
      });
    });

    const second = await runTool("chat", ["--chat", "77"], { env: { DATABASE_PATH: file }, input: "/movies\n" });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^error: Chat 77 is open in another console \(pid \d+\); quit that one first\.\n$/);
    expect(second.stdout).toBe("");

    first.stdin!.end("/movies\n");
    expect((await firstDone).code).toBe(0);
  }, 60_000);

  it("answers a bare /file with how to use it, and prints no log line when the model is down", async () => {
    const file = await crashedBotDatabase(() => undefined);
    const { code, stdout, stderr } = await runTool("chat", ["--chat", "78"], {
      env: { DATABASE_PATH: file, OPENAI_API_KEY: "sk-test-console", OPENAI_BASE_URL: "http://127.0.0.1:9/v1", OPENAI_TIMEOUT_SECONDS: "0.5" },
      input: "/file\nwhat did I watch last week?\n",
    });

    expect(code).toBe(0);
    expect(stdout).toContain("(send a file with /file <path>, like /file ~/Downloads/goodreads_library_export.csv)");
    expect(stdout).not.toContain("I don't know /file");
    // Every line is the console's or the bot's words; logs (JSON) went to stderr, at warn at most.
    for (const line of stdout.split("\n").filter(Boolean)) expect(line).toMatch(/^(Chatting as|you> |bot> | {5}|\()/);
    expect(stdout).not.toContain('"level"');
    for (const line of stderr.split("\n").filter(Boolean)) expect(JSON.parse(line).level).toBeGreaterThanOrEqual(40);
  }, 60_000);
});

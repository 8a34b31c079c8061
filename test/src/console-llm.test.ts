// The console chat with the language model down: the person reads the bot's answers and nothing of
// its logs (no JSON lines on the screen), is told at once, and the next command is answered.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, expect, it } from "vitest";
import { type FakeOpenAi, startFakeOpenAi } from "../support/fake-openai.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

let fake: FakeOpenAi | undefined;
let dir: string | undefined;
afterEach(async () => {
  await fake?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  fake = dir = undefined;
});

it("the model down: told at once, the next command answered, and no log line on the console's screen", async () => {
  fake = await startFakeOpenAi();
  fake.respond(() => ({ status: 503 }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-console-llm-"));
  const child = run(process.execPath, ["--import", "tsx", "src/cli/chat.ts", "--chat", "79"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_PATH: path.join(dir, "console.db"),
      OPENAI_API_KEY: "test-key",
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_TIMEOUT_SECONDS: "5",
    },
  });
  child.child.stdin!.end("finished Dune yesterday, 4 stars\n/books\n");
  const { stdout, stderr } = await child;
  expect(stdout).toContain("bot> I can't reach the language model right now; I'll answer this when it's back.");
  expect(stdout).toContain("bot> You haven't added any books yet");
  // Asked once; the retry is left to the durable timer.
  expect(fake.requests).toHaveLength(1);
  const screen = `${stdout}\n${stderr}`;
  expect(screen).not.toMatch(/"level"|language model not answering|"msg"/);
});

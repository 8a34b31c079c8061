// The SQLite file holds everything people told the bot: it and its WAL and shared-memory files are
// created readable and writable by their owner only (0600), whatever the process's umask.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT, freePort, startBot } from "../support/bot-process.js";
import { makeTextUpdate, startFakeBotApi } from "../support/fake-bot-api.js";

const run = promisify(execFile);
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-mode-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The permission bits of the database file and of its -wal and -shm companions. */
function modes(dbPath: string): Record<string, string> {
  return Object.fromEntries(["", "-wal", "-shm"].map((suffix) => [`bot.db${suffix}`, (fs.statSync(`${dbPath}${suffix}`).mode & 0o777).toString(8)]));
}

const PRIVATE = { "bot.db": "600", "bot.db-wal": "600", "bot.db-shm": "600" };

describe("database file permissions", () => {
  it("the running bot creates its database (and the missing folder) with 0600 files", async () => {
    const api = await startFakeBotApi();
    cleanups.push(() => api.close());
    const dbPath = path.join(tempDir(), "not", "yet", "bot.db");
    const bot = await startBot({ apiRoot: api.apiRoot, token: api.token, dbPath, port: await freePort(), secret: "mode-secret" });
    cleanups.push(async () => {
      if (!bot.exitInfo) await bot.stop();
    });
    await bot.post(makeTextUpdate(1, 5, "/start"));
    await api.waitFor(() => api.sent(5).length === 1, 15_000);
    expect(modes(dbPath)).toEqual(PRIVATE);
  }, 30_000);

  it("even under umask 000, the database and its WAL files are 0600", async () => {
    const dbPath = path.join(tempDir(), "bot.db");
    const app = pathToFileURL(path.join(REPO_ROOT, "src", "app.ts")).href;
    // A separate process: umask is per process (and can't be changed in a test worker).
    // The WAL files go away when the last connection closes, so the child reports the modes while open.
    const script = `process.umask(0);
      const fs = await import("node:fs");
      const { openAppDatabase } = await import(${JSON.stringify(app)});
      const db = await openAppDatabase(${JSON.stringify(dbPath)});
      db.prepare("INSERT INTO runtime_meta (key, value) VALUES ('mode-test', '1')").run();
      const mode = (f) => (fs.statSync(f).mode & 0o777).toString(8);
      console.log(JSON.stringify({ umask: process.umask(), "bot.db": mode(${JSON.stringify(dbPath)}), "bot.db-wal": mode(${JSON.stringify(`${dbPath}-wal`)}), "bot.db-shm": mode(${JSON.stringify(`${dbPath}-shm`)}) }));
      db.close();`;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT });
    expect(JSON.parse(stdout)).toEqual({ umask: 0, ...PRIVATE });
    expect((fs.statSync(dbPath).mode & 0o777).toString(8)).toBe("600");
  }, 30_000);
});

// What stops the bot (`npm start`, src/launch.mjs) or a command-line tool is one readable line on
// stderr and a non-zero exit: a refused token, a port in use, a database that cannot be opened or is
// too new, no network. Never a JSON log with a stack, never a hang. Each case runs as a child process.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAppDatabase } from "../../src/app.js";
import { type FakeBotApi, startFakeBotApi } from "../support/fake-bot-api.js";
import { freePort } from "../support/bot-process.js";
import { type CliResult, runNode, runTool } from "../support/cli-process.js";
import { addEntries, withSqliteFile } from "../support/entries.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-errors-"));
let api: FakeBotApi;
beforeAll(async () => {
  api = await startFakeBotApi();
});
afterAll(async () => {
  await api.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The bot as `npm start` runs it, in polling mode against the fake Bot API unless `env` says otherwise. */
async function startBot(env: Record<string, string>): Promise<CliResult> {
  return runNode(["src/launch.mjs"], {
    env: {
      TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, PORT: String(await freePort()),
      DATABASE_PATH: path.join(dir, "bot.db"), TELEGRAM_RATE_LIMIT: "off", ...env,
    },
    timeoutMs: 30_000,
  });
}

/** One line on stderr, nothing on stdout, exit code 1. */
function expectOneLine(result: CliResult, line: RegExp): void {
  expect(result, JSON.stringify(result)).toMatchObject({ code: 1, stdout: "" });
  expect(result.stderr).toMatch(/^[^\n{][^\n]*\n$/);
  expect(result.stderr.trimEnd()).toMatch(line);
}

async function tooNewDatabase(): Promise<string> {
  const file = path.join(dir, `too-new-${Math.random().toString(36).slice(2)}.db`);
  const db = await openAppDatabase(file);
  db.prepare("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (9999, 'from_the_future', 0)").run();
  db.close();
  return file;
}

describe("the bot stops with one line", () => {
  it("when Telegram refuses the token", async () => {
    expectOneLine(await startBot({ TELEGRAM_BOT_TOKEN: "999:wrong-token" }), /^Telegram refused the bot token \(401 Unauthorized\): check TELEGRAM_BOT_TOKEN/);
  }, 40_000);

  it("when its port is in use", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expectOneLine(await startBot({ PORT: String(port) }), new RegExp(`^Port ${port} is already in use on 127\\.0\\.0\\.1 \\(is the bot running already\\?\\): stop that process or set PORT\\.$`));
    } finally {
      server.close();
    }
  }, 40_000);

  it("when Telegram cannot be reached", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expectOneLine(await startBot({ TELEGRAM_API_ROOT: closed }), new RegExp(`^Could not reach Telegram at ${closed} \\(connection refused\\): check the network connection, or TELEGRAM_API_ROOT\\.$`));
  }, 40_000);

  it.each([
    ["an impossible folder", () => "/proc/nope/x.db", /^Cannot open the database \/proc\/nope\/x\.db: \/proc\/nope cannot be created\.$/],
    ["a file where a folder should be", () => {
      fs.writeFileSync(path.join(dir, "plain-file"), "x");
      return path.join(dir, "plain-file", "bot.db");
    }, /^Cannot open the database .*plain-file\/bot\.db: a part of its path is a file, not a folder\.$/],
    ["a file that is not a database", () => {
      fs.writeFileSync(path.join(dir, "notes.txt"), "not a database, just some notes ".repeat(200));
      return path.join(dir, "notes.txt");
    }, /^Cannot open the database .*notes\.txt: it is not a SQLite database\.$/],
    ["a database written by a newer release", tooNewDatabase, /^The database is at schema version 9999, but this release knows only up to \d+\. It was written by a newer release: run that release, or restore a backup\.$/],
  ])("when DATABASE_PATH is %s", async (_what, file, line) => {
    expectOneLine(await startBot({ DATABASE_PATH: await file() }), line);
  }, 40_000);
});

describe("the command-line tools stop with one line", () => {
  it("on a database written by a newer release: export and chat", async () => {
    const file = await tooNewDatabase();
    const line = /^error: The database is at schema version 9999, but this release knows only up to \d+\./;
    expectOneLine(await runTool("export", ["--chat", "1", "--database", file]), line);
    expectOneLine(await runTool("chat", ["--chat", "1", "--database", file], { input: "/help\n" }), line);
  }, 60_000);

  it("exporting to a folder that does not exist, and writes nothing", async () => {
    const file = path.join(dir, "export.db");
    (await openAppDatabase(file)).close();
    const out = path.join(dir, "missing", "list.csv");
    expectOneLine(
      await runTool("export", ["--chat", "1", "--format", "csv", "--out", out, "--database", file]),
      /^error: cannot write .*missing\/list\.csv: the folder .*missing does not exist$/,
    );
    expect(fs.existsSync(path.dirname(out))).toBe(false);
  }, 30_000);

  it("backing up a file that is not a database, and leaves no partial copy", async () => {
    const source = path.join(dir, "garbage.db");
    fs.writeFileSync(source, "this is not a database ".repeat(500));
    const target = path.join(dir, "backups", "copy.db");
    expectOneLine(await runTool("backup", [target, "--database", source]), /^error: the backup failed, nothing was written: Cannot open the database .*garbage\.db: it is not a SQLite database\.$/);
    expect(fs.existsSync(target)).toBe(false);
  }, 30_000);
});

describe("the command-line tools", () => {
  it("say on stderr that a chat has no entries, and still print an empty export (exit 0)", async () => {
    const file = path.join(dir, "empty.db");
    (await openAppDatabase(file)).close();
    const json = await runTool("export", ["--chat", "4040", "--database", file]);
    expect(json).toEqual({ code: 0, stdout: "[]\n", stderr: "Chat 4040 has no entries.\n" });
    const csv = await runTool("export", ["--chat", "4040", "--format", "csv", "--database", file]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toMatch(/^kind,title,/);
    expect(csv.stderr).toBe("Chat 4040 has no entries.\n");
  }, 30_000);

  it("write exports and backups readable by their owner only, even under umask 000", async () => {
    const file = path.join(dir, "private.db");
    (await openAppDatabase(file)).close();
    await withSqliteFile(file, (store) => addEntries(store, "5", [{ id: "p1", kind: "movie", title: "Heat", year: 1995, addedAtMs: 1 }]));
    const out = path.join(dir, "heat.json");
    fs.writeFileSync(out, "an older, world-readable file", { mode: 0o644 });
    const exported = await runTool("export", ["--chat", "5", "--out", out, "--database", file], { umask: 0 });
    expect(exported).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(fs.readFileSync(out, "utf8"))).toMatchObject([{ title: "Heat" }]);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);

    const copy = path.join(dir, "new-folder", "private-copy.db");
    expect(await runTool("backup", [copy, "--database", file], { umask: 0 })).toMatchObject({ code: 0, stderr: "" });
    expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
  }, 30_000);
});

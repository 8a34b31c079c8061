// Build once: `npm ci` builds the bundle (the `prepare` script) and `npm start` only loads it. It
// writes nothing into the checkout, not even when a source file is newer than the bundle (it says
// so instead), so it runs the same from a read-only install. Runs the real `npm start`.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE, newestSourceMs } from "../../src/build.mjs";
import { REPO_ROOT, freePort, killAllBots, startBot } from "../support/bot-process.js";
import { type FakeBotApi, makeTextUpdate, startFakeBotApi } from "../support/fake-bot-api.js";

const run = promisify(execFile);

/** Every file in the checkout (but installed packages and git's own), with its size and time. */
function snapshot(): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (dir === REPO_ROOT && (entry.name === "node_modules" || entry.name === ".git")) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else {
        const stat = fs.lstatSync(full);
        files.set(path.relative(REPO_ROOT, full), `${stat.size} ${stat.mtimeMs}`);
      }
    }
  };
  visit(REPO_ROOT);
  return files;
}

describe("npm start", () => {
  let api: FakeBotApi;
  let dir: string;
  let bundleTimes: { atime: Date; mtime: Date } | undefined;

  beforeAll(async () => {
    api = await startFakeBotApi();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mt-npm-start-"));
    // What `npm ci` runs after installing the packages.
    await run("npm", ["run", "--silent", "prepare"], { cwd: REPO_ROOT, env: process.env, timeout: 120_000 });
  }, 150_000);

  afterAll(async () => {
    await killAllBots();
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
    if (bundleTimes) fs.utimesSync(BUNDLE, bundleTimes.atime, bundleTimes.mtime);
  });

  it("prepare (run by npm ci) builds the bundle npm start loads", () => {
    expect(fs.statSync(BUNDLE).mtimeMs).toBeGreaterThanOrEqual(newestSourceMs());
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/^node [^&|;]*src\/launch\.mjs$/);
  });

  it("without a bundle (npm ci --ignore-scripts), says how to build it in one line and exits 1", async () => {
    // A copy of the launcher in a checkout that was never built.
    const copy = path.join(dir, "unbuilt");
    fs.mkdirSync(path.join(copy, "src"), { recursive: true });
    for (const file of ["src/launch.mjs", "src/build.mjs", "package-lock.json"]) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(copy, file));
    const failed = await run(process.execPath, [path.join(copy, "src", "launch.mjs")], { cwd: copy }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stdout: "", stderr: "The bot is not built yet: run npm run build (npm ci does it for you).\n" });
    expect(fs.readdirSync(copy).sort()).toEqual(["package-lock.json", "src"]);
  });

  it("writes nothing into the checkout, even with sources newer than the bundle", { timeout: 60_000 }, async () => {
    // A bundle older than every source: a launcher that rebuilds at start would write it again.
    const stat = fs.statSync(BUNDLE);
    bundleTimes = { atime: stat.atime, mtime: stat.mtime };
    fs.utimesSync(BUNDLE, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const before = snapshot();

    const bot = await startBot({
      command: "npm",
      nodeArgs: ["start"],
      processGroup: true,
      apiRoot: api.apiRoot,
      token: api.token,
      dbPath: path.join(dir, "bot.db"),
      port: await freePort(),
      secret: "npm-start-secret",
      env: { LOG_LEVEL: "info" },
    });
    const res = await bot.post(makeTextUpdate(1, 31, "/start"));
    expect(res !== "connection-failed" && res.status).toBe(200);
    await api.waitFor(() => api.sent(31).length > 0, 10_000, "the reply to /start");
    // SIGTERM to the group, as systemd sends it: npm dies of it, the bot finishes its work first.
    await bot.stop();

    expect(bot.output()).toMatch(/"msg":"stopped cleanly"/);
    expect(bot.output()).toContain("a source file changed after the bot was built; run npm run build");
    expect(snapshot()).toEqual(before);
  });
});

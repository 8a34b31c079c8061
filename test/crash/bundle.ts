// The bot's entry (src/main.ts) bundled into one ES module with esbuild (which tsx already brings),
// for crash tests that restart the bot hundreds of times: one file to load starts about twice as
// fast as tsx transforming and node resolving hundreds of files on each start. Same code, same
// process model. better-sqlite3 (a native addon) stays external, found through a node_modules link
// next to the bundle; import.meta.url keeps pointing at src/app.ts so the migrations are found.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { REPO_ROOT } from "../support/bot-process.js";

export interface BotBundle {
  /** Arguments for node (startBot's nodeArgs). */
  nodeArgs: string[];
  /** Removes the bundle's directory. */
  remove(): void;
}

export async function bundleBot(): Promise<BotBundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bot-bundle-"));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const outfile = path.join(dir, "main.mjs");
  await build({
    entryPoints: [path.join(REPO_ROOT, "src", "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["better-sqlite3"],
    // Bundled CommonJS packages call require() for node's own modules.
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
    outfile,
    logLevel: "error",
    // src/app.ts finds the migrations from its own URL; the only import.meta use in the bot.
    define: { "import.meta.url": JSON.stringify(pathToFileURL(path.join(REPO_ROOT, "src", "app.ts")).href) },
  });
  return { nodeArgs: [outfile], remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

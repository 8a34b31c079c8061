// `npm start`: runs the bot from one bundled ES module, built with esbuild the first time and again
// whenever a source file is newer than the bundle. Loading one file starts the bot in a fraction of
// the time tsx needs to transform and resolve a hundred TypeScript files on every start, and start
// time is recovery time after a crash or a deploy. Plain JavaScript, so nothing is compiled to run it.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCES = ["src", "agents", "runtime"].map((dir) => path.join(ROOT, dir));
const BUNDLE = path.join(ROOT, "dist", "media-tracker.mjs");

/** The newest modification time among the sources and the lockfile (new packages mean a new bundle). */
function newestSource() {
  let newest = fs.statSync(path.join(ROOT, "package-lock.json")).mtimeMs;
  const visit = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.(ts|mjs|js|json)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  SOURCES.forEach(visit);
  return newest;
}

function isStale() {
  try {
    return fs.statSync(BUNDLE).mtimeMs < newestSource();
  } catch {
    return true; // not built yet
  }
}

async function buildBundle() {
  const { build, stop } = await import("esbuild");
  const temporary = `${BUNDLE}.${process.pid}.tmp`;
  await build({
    entryPoints: [path.join(ROOT, "src", "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Classes keep their names: a global referenced by our code (AbortSignal in src/metadata/) makes
    // esbuild rename a bundled class of the same name, and node-fetch tells signals by that name.
    keepNames: true,
    // Native addons (the database, the /stats chart renderer): loaded from node_modules as usual.
    external: ["better-sqlite3", "@resvg/resvg-js"],
    // Bundled CommonJS packages call require() for node's own modules; src/app.ts finds the
    // migrations from its own URL, which in the bundle is where src/app.ts is, not the bundle.
    banner: {
      js: [
        'import { createRequire as __mtCreateRequire } from "node:module";',
        "const require = __mtCreateRequire(import.meta.url);",
        'const __mtSourceUrl = new URL("../src/app.ts", import.meta.url).href;',
      ].join("\n"),
    },
    define: { "import.meta.url": "__mtSourceUrl" },
    outfile: temporary,
    logLevel: "error",
  });
  // esbuild's service process would otherwise live as long as the bot, with its memory.
  await stop();
  // Renamed into place: a bot started meanwhile never loads a half-written bundle.
  fs.renameSync(temporary, BUNDLE);
}

if (isStale()) {
  fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
  try {
    await buildBundle();
  } catch (error) {
    console.error(`could not build the bot: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
await import(pathToFileURL(BUNDLE).href);

// `npm run build` (run by `npm ci` and `npm install` through the `prepare` script): bundles the bot
// into one ES module, dist/media-tracker.mjs, with esbuild. `npm start` only loads it: loading one
// file starts the bot in a fraction of the time tsx needs to transform and resolve a hundred
// TypeScript files, start time is recovery time, and a read-only install (a container) never
// needs to write a build at run time. Plain JavaScript, so nothing is compiled to run it.
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE = path.join(ROOT, "dist", "media-tracker.mjs");
/** The webhook's ingest thread (src/ingest/worker.ts), bundled beside the bot: `new Worker` needs a file of its own. */
export const WORKER_NAME = "ingest-worker.mjs";
const SOURCES = ["src", "agents", "runtime"].map((dir) => path.join(ROOT, dir));
/** The file whose URL the bundled code sees as its own (src/app.ts finds the migrations from it). */
const APP_SOURCE = path.join(ROOT, "src", "app.ts");

/** The newest modification time among the sources and the lockfile (new packages mean a new bundle). */
export function newestSourceMs() {
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

/** True when `bundle` is missing or older than a source file. */
export function isStale(bundle = BUNDLE) {
  try {
    return fs.statSync(bundle).mtimeMs < newestSourceMs();
  } catch {
    return true;
  }
}

/**
 * Bundles src/main.ts into `outfile` and the ingest worker beside it, each written whole or not at
 * all (built beside it, then renamed).
 * `movable: false` (a build outside the repository, for tests) points the bundle at this checkout's
 * node_modules and migrations by absolute path; the default finds them relative to the bundle, so
 * the checkout can move (a container image).
 */
/** Packages with native addons: never bundled. */
const NATIVE = ["better-sqlite3", "@resvg/resvg-js"];

export async function buildBundle(outfile = BUNDLE, { movable = true } = {}) {
  // The worker first: a bundle that is there and fresh always has its worker beside it.
  await bundle(path.join(ROOT, "src", "ingest", "worker.ts"), path.join(path.dirname(outfile), WORKER_NAME), movable);
  await bundle(path.join(ROOT, "src", "main.ts"), outfile, movable);
}

let sourceWorker;

/**
 * For a bot run from its TypeScript sources (tsx, the tests): the ingest worker bundled into a
 * temporary folder (once per checkout, again when a source is newer), since Node cannot start a
 * worker thread from a .ts file.
 */
export function ingestWorkerForSources() {
  sourceWorker ??= (async () => {
    const checkout = createHash("sha256").update(ROOT).digest("hex").slice(0, 12);
    const file = path.join(os.tmpdir(), `media-tracker-ingest-${checkout}`, WORKER_NAME);
    if (isStale(file)) await bundle(path.join(ROOT, "src", "ingest", "worker.ts"), file, false);
    return file;
  })();
  sourceWorker.catch(() => {
    sourceWorker = undefined;
  });
  return sourceWorker;
}

async function bundle(entry, outfile, movable) {
  const { build, stop } = await import("esbuild");
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  const temporary = `${outfile}.${process.pid}.tmp`;
  const appUrl = movable
    ? `new URL(${JSON.stringify(path.relative(path.dirname(outfile), APP_SOURCE).split(path.sep).join("/"))}, import.meta.url).href`
    : JSON.stringify(pathToFileURL(APP_SOURCE).href);
  const require = createRequire(path.join(ROOT, "package.json"));
  try {
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // Classes keep their names: a global referenced by our code (AbortSignal in src/metadata/) makes
      // esbuild rename a bundled class of the same name, and node-fetch tells signals by that name.
      keepNames: true,
      // Native addons (the database, the /stats chart renderer): loaded from node_modules as usual.
      external: NATIVE,
      plugins: movable
        ? []
        : [{
            name: "externals-by-path",
            setup(b) {
              b.onResolve({ filter: /^(better-sqlite3|@resvg\/resvg-js)$/ }, (args) => ({ path: require.resolve(args.path), external: true }));
            },
          }],
      // Bundled CommonJS packages call require() for node's own modules; src/app.ts finds the
      // migrations from its own URL, which in the bundle is where src/app.ts is, not the bundle.
      banner: {
        js: [
          'import { createRequire as __mtCreateRequire } from "node:module";',
          "const require = __mtCreateRequire(import.meta.url);",
          `const __mtSourceUrl = ${appUrl};`,
          `const __mtIngestWorker = new URL(${JSON.stringify(`./${WORKER_NAME}`)}, import.meta.url).href;`,
        ].join("\n"),
      },
      define: { "import.meta.url": "__mtSourceUrl", __MT_INGEST_WORKER__: "__mtIngestWorker" },
      outfile: temporary,
      logLevel: "error",
    });
    // A bot started meanwhile never loads a half-written bundle.
    fs.renameSync(temporary, outfile);
  } finally {
    fs.rmSync(temporary, { force: true });
    // esbuild's service process would otherwise live as long as the caller.
    await stop();
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  try {
    await buildBundle();
    console.log(`built ${path.relative(process.cwd(), BUNDLE) || BUNDLE}`);
  } catch (error) {
    console.error(`could not build the bot: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    process.exit(1);
  }
}

// `npm start`: runs the prebuilt bundle, dist/media-tracker.mjs, which `npm ci` builds (the
// `prepare` script; `npm run build` builds it again). It never builds or writes anything, so it
// starts the same in a read-only container. A source edited after the build is still run from the
// old bundle: say so, once, rather than run stale code silently.
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import { BUNDLE, isStale } from "./build.mjs";

if (!fs.existsSync(BUNDLE)) {
  console.error("The bot is not built yet: run npm run build (npm ci does it for you).");
  process.exit(1);
}
if (isStale()) {
  console.error("warning: a source file changed after the bot was built; run npm run build to run the change.");
}
await import(pathToFileURL(BUNDLE).href);

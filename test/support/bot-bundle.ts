// The bundled bot for child-process tests: built from this checkout's sources into a temp folder
// (never into the tree, and rebuilt whenever a source is newer), so a test always runs the code as
// it is now, the way `npm start` runs a bundle, without waiting for `npm run build`.
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { ROOT, buildBundle, isStale } from "../../src/build.mjs";

let built: Promise<string> | undefined;

/** The bundle's path; the first call in a process builds it if any source is newer. */
export function botBundle(): Promise<string> {
  built ??= (async () => {
    const checkout = createHash("sha256").update(ROOT).digest("hex").slice(0, 12);
    const file = path.join(os.tmpdir(), `media-tracker-test-bundle-${checkout}`, "media-tracker.mjs");
    if (isStale(file)) await buildBundle(file, { movable: false });
    return file;
  })();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

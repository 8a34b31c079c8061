// Where the ingest worker's code is: beside the bundle when the bot runs from it (npm start, the
// child-process tests), else bundled from the sources on demand (tsx, in-process tests).
import { pathToFileURL } from "node:url";

// Defined by src/build.mjs in the bundle only.
declare const __MT_INGEST_WORKER__: string | undefined;

export async function ingestWorkerUrl(): Promise<URL> {
  if (typeof __MT_INGEST_WORKER__ === "string") return new URL(__MT_INGEST_WORKER__);
  // Not a literal, so that esbuild leaves the builder (and esbuild itself) out of the bundle.
  const builder = "../build.mjs";
  const { ingestWorkerForSources } = (await import(builder)) as typeof import("../build.mjs");
  return pathToFileURL(await ingestWorkerForSources());
}

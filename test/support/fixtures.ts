// The sample export files under test/fixtures/: read as they are, or a folder of them zipped the way
// the service hands it out.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";

const ROOT = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(ROOT, name));
}

/** A fixture folder as a ZIP, its files inside a folder of that name; `extra` adds or replaces files. */
export function fixtureZip(folder: string, extra: Record<string, string | Uint8Array> = {}): Buffer {
  const files: Record<string, Uint8Array> = {};
  for (const name of fs.readdirSync(path.join(ROOT, folder)).sort()) files[`${folder}/${name}`] = fixture(path.join(folder, name));
  for (const [name, data] of Object.entries(extra)) files[name] = typeof data === "string" ? Buffer.from(data) : data;
  return Buffer.from(zipSync(files));
}

// Unpacks the files we want from a ZIP (Letterboxd's, Trakt's or TV Time's export), from its
// central directory, within a budget: files whose declared sizes together pass it are refused
// before any unpacking, and unpacking stops as soon as a file's real size passes its declared one
// (a ZIP bomb that lies). Inflating runs on node's thread pool, so a big file never holds up the other chats.
import { promisify } from "node:util";
import { inflateRaw } from "node:zlib";

const inflate = promisify(inflateRaw);

export type Unzipped =
  | { ok: true; files: Array<{ path: string; data: Uint8Array }> }
  | { ok: false; reason: "damaged" | "too-big" };

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

interface DirectoryEntry {
  path: string;
  method: number;
  /** Encrypted, ZIP64 or an unknown compression: we can't unpack it. */
  unreadable: boolean;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * The files `wanted` picks (by path), in the ZIP's order, unpacked; "too-big" when the picked files
 * declare or unpack to more than `maxBytes` together; "damaged" when the ZIP can't be read (also
 * encrypted, ZIP64 or an unknown compression: the exports we read use none of these).
 */
export async function unzipWanted(bytes: Uint8Array, wanted: (path: string) => boolean, maxBytes: number): Promise<Unzipped> {
  const entries = readDirectory(bytes);
  if (!entries) return { ok: false, reason: "damaged" };
  const picked = entries.filter((e) => wanted(e.path));
  // Declared sizes first: nothing is unpacked from a ZIP that says it is too big.
  if (picked.reduce((sum, e) => sum + e.size, 0) > maxBytes) return { ok: false, reason: "too-big" };
  const files: Array<{ path: string; data: Uint8Array }> = [];
  for (const entry of picked) {
    const data = await unpack(bytes, entry);
    if (data === "too-big" || data === "damaged") return { ok: false, reason: data };
    files.push({ path: entry.path, data });
  }
  return { ok: true, files };
}

/** The paths of every file and folder in the ZIP, in its order; undefined when it can't be read. */
export function zipPaths(bytes: Uint8Array): string[] | undefined {
  return readDirectory(bytes)?.map((e) => e.path);
}

/** One file's bytes; its real size may not pass its declared size (which the budget already counted). */
async function unpack(bytes: Uint8Array, entry: DirectoryEntry): Promise<Uint8Array | "too-big" | "damaged"> {
  const start = entry.unreadable ? undefined : dataOffset(bytes, entry);
  if (start === undefined) return "damaged";
  const packed = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === STORED) return entry.compressedSize === entry.size ? packed : "damaged";
  try {
    // One byte past the declared size would already be a lie: zlib stops there.
    const data = await inflate(packed, { maxOutputLength: Math.max(entry.size, 1) });
    if (data.length > entry.size) return "too-big";
    return data.length === entry.size ? data : "damaged";
  } catch (error) {
    return (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? "too-big" : "damaged";
  }
}

/** The central directory's entries, or undefined when it isn't a ZIP we can read. */
function readDirectory(bytes: Uint8Array): DirectoryEntry[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndOfDirectory(view);
  if (end === undefined) return undefined;
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries: DirectoryEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== DIRECTORY_ENTRY) return undefined;
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength > bytes.length) return undefined;
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const localOffset = view.getUint32(at + 42, true);
    const zip64 = [compressedSize, size, localOffset].includes(0xffffffff);
    entries.push({
      path: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method,
      unreadable: (flags & 1) === 1 || zip64 || (method !== STORED && method !== DEFLATED),
      compressedSize,
      size,
      localOffset,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The end-of-central-directory record: in the last 22 bytes, or up to 64 KB before them (a comment). */
function findEndOfDirectory(view: DataView): number | undefined {
  const last = view.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (view.getUint32(at, true) === END_OF_DIRECTORY) return at;
  }
  return undefined;
}

/** Where an entry's packed bytes start (after its local header), if they lie inside the file. */
function dataOffset(bytes: Uint8Array, entry: DirectoryEntry): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL_HEADER) return undefined;
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  return start + entry.compressedSize <= bytes.length ? start : undefined;
}

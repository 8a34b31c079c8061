// BACKUP_EVERY_HOURS: online backups of the bot's own open database, private (0600) from their first
// byte, copied a slice at a time while the bot keeps committing, the newest BACKUP_KEEP kept, and
// only whole copies ever in the folder.
import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { writeBackup } from "../../src/backup/online-backup.js";
import { type ScheduledBackups, startScheduledBackups } from "../../src/backup/scheduled-backups.js";
import { parseConfig } from "../../src/config.js";
import { type TempDatabase, tempDatabase } from "../support/temp-database.js";
import { waitFor } from "../support/wait-for.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A migrated database with `rows` inbox rows of ~1 KB each (a few hundred pages). */
async function filledDatabase(rows = 2000): Promise<TempDatabase> {
  const temp = await tempDatabase();
  cleanups.push(() => temp.close());
  const insert = temp.db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES (?, '1', 'message', ?, 0)`);
  temp.db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`seed:${i}`, JSON.stringify({ text: "x".repeat(1000) }));
  })();
  return temp;
}

function inboxCount(file: string): number {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT COUNT(*) FROM inbox`).pluck().get() as number;
  } finally {
    db.close();
  }
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe("an online backup", () => {
  it("is readable by its owner only from its first byte, even with a permissive umask", async () => {
    const temp = await filledDatabase();
    const target = path.join(temp.dir, "backups", "copy.db");
    const previous = process.umask(0);
    cleanups.push(() => process.umask(previous));
    const modes = new Set<number>();
    let looking = true;
    const look = () => {
      if (fs.existsSync(target)) modes.add(mode(target));
      if (looking) setImmediate(look);
    };
    look();

    await writeBackup(temp.db, target, { pagesPerStep: 4 });
    looking = false;

    expect(modes.size).toBeGreaterThan(0);
    expect([...modes]).toEqual([0o600]);
    expect(mode(path.dirname(target))).toBe(0o700);
    expect(inboxCount(target)).toBe(2000);
  });

  it("lets the bot work between slices, and carries the bot's commits made meanwhile into the copy", async () => {
    const temp = await filledDatabase();
    const insert = temp.db.prepare(`INSERT INTO inbox (id, agent_key, kind, payload_json, received_at_ms) VALUES (?, '2', 'message', '{}', 0)`);
    let committedDuring = 0;
    let copying = true;
    let workStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (workStopped = resolve));
    const work = () => {
      if (!copying) return workStopped();
      insert.run(`during:${committedDuring++}`);
      setImmediate(work);
    };
    setImmediate(work);

    await writeBackup(temp.db, path.join(temp.dir, "copy.db"), { pagesPerStep: 8 });
    copying = false;
    await stopped;

    // Many turns of the event loop ran while it copied: the copy never held the loop for long.
    expect(committedDuring).toBeGreaterThan(10);
    expect(inboxCount(path.join(temp.dir, "copy.db"))).toBe(2000 + committedDuring);
  });

  it("refuses to overwrite a file, and a cancelled one leaves nothing behind", async () => {
    const temp = await filledDatabase();
    const existing = path.join(temp.dir, "taken.db");
    fs.writeFileSync(existing, "mine");
    await expect(writeBackup(temp.db, existing)).rejects.toThrow(/EEXIST/);
    expect(fs.readFileSync(existing, "utf8")).toBe("mine");

    const target = path.join(temp.dir, "cancelled.db");
    await expect(writeBackup(temp.db, target, { pagesPerStep: 4, cancelled: () => true })).rejects.toThrow(/stopped before it finished/);
    expect(fs.readdirSync(temp.dir).filter((f) => f.startsWith("cancelled"))).toEqual([]);
  });
});

describe("scheduled backups", () => {
  function schedule(temp: TempDatabase, dir: string, options: { everyMs: number; keep: number }, outcomes: string[] = []): ScheduledBackups {
    const backups = startScheduledBackups({ db: temp.db, dir, log: silent, startDelayMs: 0, done: (o) => outcomes.push(o), ...options });
    cleanups.push(() => backups.stop());
    return backups;
  }

  it("runs every interval, keeps the newest BACKUP_KEEP whole copies and clears a crash's half-written one", async () => {
    const temp = await filledDatabase(200);
    const dir = path.join(temp.dir, "backups");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "media-tracker-20200101-000000Z.db.partial"), "half a copy");
    fs.writeFileSync(path.join(dir, "notes.txt"), "not ours");
    const outcomes: string[] = [];
    schedule(temp, dir, { everyMs: 150, keep: 2 }, outcomes);

    await waitFor(() => outcomes.length >= 4, 20_000, "four scheduled backups");
    await waitFor(() => fs.readdirSync(dir).filter((f) => f.endsWith(".db")).length === 2, 5000, "pruned to two");

    const files = fs.readdirSync(dir).sort();
    expect(outcomes.every((o) => o === "ok")).toBe(true);
    expect(files.filter((f) => f.endsWith(".partial"))).toEqual([]);
    expect(files).toContain("notes.txt");
    for (const file of files.filter((f) => f.endsWith(".db"))) {
      expect(file).toMatch(/^media-tracker-\d{8}-\d{6}Z(-\d+)?\.db$/);
      expect(mode(path.join(dir, file))).toBe(0o600);
      expect(inboxCount(path.join(dir, file))).toBe(200);
    }
  });

  it("counts from the newest copy in the folder, so a restart does not take another at once", async () => {
    const temp = await filledDatabase(10);
    const dir = path.join(temp.dir, "backups");
    const first = schedule(temp, dir, { everyMs: 3600_000, keep: 3 });
    const written = await first.runNow();
    await first.stop();

    const outcomes: string[] = [];
    const restarted = schedule(temp, dir, { everyMs: 3600_000, keep: 3 }, outcomes);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(outcomes).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([path.basename(written)]);

    // Two copies within one second get distinct names; the newest is never pruned.
    const second = await restarted.runNow();
    const third = await restarted.runNow();
    expect(new Set([written, second, third]).size).toBe(3);
    expect(outcomes).toEqual(["ok", "ok"]);
  });

  it("stopping during a backup abandons it and leaves no partial file", async () => {
    const temp = await filledDatabase(4000);
    const dir = path.join(temp.dir, "backups");
    const backups = schedule(temp, dir, { everyMs: 3600_000, keep: 3 });
    const running = backups.runNow();
    await backups.stop();
    await expect(running).rejects.toThrow(/stopped before it finished/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("is off by default; BACKUP_DIR and BACKUP_KEEP have the documented defaults", () => {
    const config = parseConfig({});
    expect(config.BACKUP_EVERY_HOURS).toBeUndefined();
    expect(config.BACKUP_DIR).toBe("./data/backups");
    expect(config.BACKUP_KEEP).toBe(7);
    expect(parseConfig({ BACKUP_EVERY_HOURS: "off" }).BACKUP_EVERY_HOURS).toBeUndefined();
    expect(parseConfig({ BACKUP_EVERY_HOURS: "0.5" }).BACKUP_EVERY_HOURS).toBe(0.5);
    expect(() => parseConfig({ BACKUP_EVERY_HOURS: "0" })).toThrow(/BACKUP_EVERY_HOURS must be more than 0 hours/);
    expect(() => parseConfig({ BACKUP_KEEP: "0" })).toThrow(/BACKUP_KEEP must keep at least 1 backup/);
  });
});

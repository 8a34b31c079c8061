// Leases on agent keys, kept in runtime_meta as "serving:<key>": a runtime that serves one agent
// alone (the console chat) holds one while it runs, so the runtime serving everyone else leaves that
// agent's messages, sends and crash accounting to it. It never decides who runs what beyond that.
import type { Database } from "./database.js";

const PREFIX = "serving:";
/** A lease not renewed for this long belongs to a process that is gone. */
export const LEASE_TTL_MS = 15_000;
/** How often a holder renews its lease, and how often the full runtime re-reads the leases. */
export const LEASE_RENEW_MS = 5_000;

interface Holder {
  holder: string;
  pid: number;
  untilMs: number;
}

export type TakeOutcome =
  /** `crashed`: the previous holder left its lease behind (it died) instead of releasing it. */
  | { status: "taken"; crashed: boolean }
  | { status: "held"; pid: number };

export class AgentLeases {
  private readonly getStmt;
  private readonly putStmt;
  private readonly renewStmt;
  private readonly releaseStmt;
  private readonly allStmt;

  constructor(db: Database, private readonly isAlive: (pid: number) => boolean = processIsAlive) {
    this.getStmt = db.prepare(`SELECT value FROM runtime_meta WHERE key = ?`).pluck();
    this.putStmt = db.prepare(
      `INSERT INTO runtime_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    );
    this.renewStmt = db.prepare(`UPDATE runtime_meta SET value = ? WHERE key = ? AND json_extract(value, '$.holder') = ?`);
    this.releaseStmt = db.prepare(`DELETE FROM runtime_meta WHERE key = ? AND json_extract(value, '$.holder') = ?`);
    // A range on the primary key: ';' is the character after ':'.
    this.allStmt = db.prepare(`SELECT key, value FROM runtime_meta WHERE key >= '${PREFIX}' AND key < 'serving;'`);
  }

  /** Write: run inside a unit. Takes the lease unless a live process holds it. */
  take(agentKey: string, holder: string, nowMs: number): TakeOutcome {
    const current = parse(this.getStmt.get(PREFIX + agentKey) as string | undefined);
    if (current && current.holder !== holder && this.live(current, nowMs)) return { status: "held", pid: current.pid };
    this.putStmt.run(PREFIX + agentKey, this.value(holder, nowMs));
    return { status: "taken", crashed: current !== undefined && current.holder !== holder };
  }

  /** Write: run inside a unit. False when the lease is no longer this holder's. */
  renew(agentKey: string, holder: string, nowMs: number): boolean {
    return this.renewStmt.run(this.value(holder, nowMs), PREFIX + agentKey, holder).changes === 1;
  }

  /** Write: run inside a unit. */
  release(agentKey: string, holder: string): void {
    this.releaseStmt.run(PREFIX + agentKey, holder);
  }

  /** The keys other processes serve alone right now. */
  heldKeys(nowMs: number): Set<string> {
    const keys = new Set<string>();
    for (const row of this.allStmt.all() as Array<{ key: string; value: string }>) {
      const holder = parse(row.value);
      if (holder && this.live(holder, nowMs)) keys.add(row.key.slice(PREFIX.length));
    }
    return keys;
  }

  private value(holder: string, nowMs: number): string {
    return JSON.stringify({ holder, pid: process.pid, untilMs: nowMs + LEASE_TTL_MS });
  }

  /** Not expired, and its process still exists (a killed holder frees its key at once, not after the TTL). */
  private live(holder: Holder, nowMs: number): boolean {
    return holder.untilMs > nowMs && this.isAlive(holder.pid);
  }
}

function parse(value: string | undefined): Holder | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<Holder>;
    if (typeof parsed.holder === "string" && typeof parsed.pid === "number" && typeof parsed.untilMs === "number") return parsed as Holder;
  } catch {
    // a row edited by hand: treat as no holder
  }
  return { holder: "", pid: 0, untilMs: 0 };
}

function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

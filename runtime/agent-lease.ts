// Leases on agent keys, kept in runtime_meta as "serving:<key>": a runtime that serves one agent
// alone (the console chat) holds one while it runs, so the runtime serving everyone else leaves that
// agent's messages, sends and crash accounting to it. It never decides who runs what beyond that.
import type { Sql, Tx } from "./store.js";

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

const SQL = {
  get: `SELECT value FROM runtime_meta WHERE key = ?`,
  put: `INSERT INTO runtime_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  // Compare-and-set on the whole value read in the same unit: the lease's JSON is parsed here, not
  // by SQL, so the statement is the same on every database.
  replace: `UPDATE runtime_meta SET value = ? WHERE key = ? AND value = ?`,
  remove: `DELETE FROM runtime_meta WHERE key = ? AND value = ?`,
  // A range on the primary key: ';' is the character after ':'.
  all: `SELECT key, value FROM runtime_meta WHERE key >= '${PREFIX}' AND key < 'serving;'`,
};

export class AgentLeases {
  constructor(private readonly committed: Sql, private readonly isAlive: (pid: number) => boolean = processIsAlive) {}

  /** Takes the lease unless a live process holds it. */
  async take(tx: Tx, agentKey: string, holder: string, nowMs: number): Promise<TakeOutcome> {
    const current = parse((await tx.get<{ value: string }>(SQL.get, [PREFIX + agentKey]))?.value);
    if (current && current.holder !== holder && this.live(current, nowMs)) return { status: "held", pid: current.pid };
    await tx.run(SQL.put, [PREFIX + agentKey, this.value(holder, nowMs)]);
    return { status: "taken", crashed: current !== undefined && current.holder !== holder };
  }

  /** False when the lease is no longer this holder's. */
  async renew(tx: Tx, agentKey: string, holder: string, nowMs: number): Promise<boolean> {
    const stored = await this.storedFor(tx, agentKey, holder);
    if (stored === undefined) return false;
    return (await tx.run(SQL.replace, [this.value(holder, nowMs), PREFIX + agentKey, stored])).changes === 1;
  }

  async release(tx: Tx, agentKey: string, holder: string): Promise<void> {
    const stored = await this.storedFor(tx, agentKey, holder);
    if (stored !== undefined) await tx.run(SQL.remove, [PREFIX + agentKey, stored]);
  }

  /** The keys other processes serve alone right now (committed leases). */
  async heldKeys(nowMs: number): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const row of await this.committed.all<{ key: string; value: string }>(SQL.all)) {
      const holder = parse(row.value);
      if (holder && this.live(holder, nowMs)) keys.add(row.key.slice(PREFIX.length));
    }
    return keys;
  }

  /** The lease's stored text when `holder` holds it, else undefined. */
  private async storedFor(tx: Tx, agentKey: string, holder: string): Promise<string | undefined> {
    const stored = (await tx.get<{ value: string }>(SQL.get, [PREFIX + agentKey]))?.value;
    return parse(stored)?.holder === holder ? stored : undefined;
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

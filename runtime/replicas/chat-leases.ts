// Chat leases: on PostgreSQL, any number of bot processes share one database, and each chat (agent
// key) is served by one of them at a time, the holder of its lease.
//
// What each guarantee means with N processes:
// - Each update is handled once. Any process may accept an update; the inbox stores it once by id.
//   Only the chat's lease holder runs it, and every unit that writes for a chat first calls `guard`
//   with the epoch the holder acquired: a process that lost the chat (it stalled past the TTL and
//   another took over) cannot commit a step, a completion, an outbox row or an entry. The new holder
//   replays the message from the journal that the old one committed while it still held the chat.
// - Per-chat order. One holder at a time takes the chat's messages oldest first; a new holder starts
//   from the oldest pending one. No entry is written twice: the media store writes in guarded units.
// - A reply is sent once, but for the crash window: only the holder's outbox lane sends a chat's
//   rows. A holder that takes a chat over sets its 'sending' rows back to 'pending' and sends them
//   again; a row the old holder had in flight then arrives twice, as after a crash on SQLite.
// - Timers fire once: a due timer is claimed with its firing in one transaction, rows locked with
//   SKIP LOCKED (runtime/replicas/timer-claim.ts), and its inbox id "timer:<id>" is stored once.
// - A killed process's chats go on elsewhere within 10 s: a lease lives LEASE_TTL_MS (6 s) past its
//   last heartbeat (every 2 s), and every process scans for orphans every 2 s: at most 8 s. A killed
//   process's connections end with it, so its row locks go at once. A process frozen inside a
//   transaction (SIGSTOP, a swapped-out VM) would keep its chats' rows locked: give the store's
//   connections an idle_in_transaction_session_timeout of a few seconds, so the server ends them.
// - Clocks: every expiry is the database's clock (clock_timestamp()), so a process whose clock is
//   wrong can neither keep a lease too long nor take one too early.
//
// How the runtime wires it (PostgreSQL only; the SQLite default runs one process and needs none):
// - Router.wake(key): unless `epochOf(key)` is set, `acquire(key)` before draining; undefined means
//   another live process holds it: `notifyWake` it (runtime/replicas/wake-ups.ts) and stop. A lease
//   that is `fresh` voids what the process knew of the chat: drop its cached state, read the inbox
//   from the table, and in the first guarded unit requeue the chat's 'sending' outbox rows
//   (Outbox.requeueInterrupted({ only: key })) and forget its claims at birth.
// - Every chat-scoped unit (step records, completion, parking, ctx.write, the outbox lane's claim
//   and the record of a send) calls `guard(tx, key, epoch)` first, with the epoch its drain or lane
//   started under. A LeaseLostError rejects that unit only (its savepoint is undone; the other units
//   of the batch commit): call `markLost`, stop the drain, drop the chat's mailbox and lane, no retry.
//   A send whose record is refused so is sent again by the new holder: the crash window above.
// - The outbox lane runs only for chats this process holds (`epochOf(key) !== undefined`).
// - Every 2 s: `renewAll()` (drop the mailboxes and lanes of the keys it reports lost), then
//   `orphans(limit)` and wake each chat it returns (they are fresh).
// - accept and the timer firing: in the storing unit, `notifyHolder(tx, key, holder)`; when it
//   returns false, wake the chat here after the commit.
// - Stop: after the router and the outbox worker have stopped, `releaseAll()`, so other processes
//   take the chats at their next scan instead of after the TTL.
// - Lease rows stay (one per chat ever served) and keep their epoch; releasing does not delete them.
//
// Row locks: a guard holds FOR KEY SHARE on the chat's lease row until its batch commits, and a
// takeover changes the epoch, a key column (see the unique index in replica-schema.ts), so a takeover
// waits for the batch, then finds the lease renewed or takes it with the batch's writes in place.
// Heartbeats and releases change no key column and never wait for batches. Orphan scans skip rows
// locked by anyone (SKIP LOCKED), so they never wait for a batch either, and two scans at once split
// the chats between them (each chat's advisory lock is held by one scan for its statement).
import { randomUUID } from "node:crypto";
import { LeaseLostError } from "../errors.js";
import type { Sql, Tx } from "../store.js";
import { DB_NOW_MS, ORPHAN_SCAN_LOCK_SPACE, requirePostgres } from "./replica-sql.js";

/** A lease not renewed for this long is free to take. */
export const LEASE_TTL_MS = 6_000;
/** How often a process renews its leases and scans for orphans. */
export const LEASE_HEARTBEAT_MS = 2_000;

// Defined with the runtime's other errors, since the runner and the outbox worker act on it.
export { LeaseLostError };

export interface Lease {
  agentKey: string;
  epoch: number;
  /**
   * The process did not hold this chat at this epoch a moment ago (new to it, or taken from another
   * process): what it knew of the chat is void; see the wiring notes at the top of this file.
   */
  fresh: boolean;
  /**
   * Set when the chat was taken from another holder that had not released it (it died, or stalled
   * past the TTL): what ran there may have been cut off, as by a crash on one process.
   */
  takenFrom?: string;
}

export interface RenewOutcome {
  renewed: number;
  /** Chats this process believed it held and does not any more: stop serving them. */
  lost: string[];
}

export interface ChatLeasesOptions {
  /** Default LEASE_TTL_MS. */
  ttlMs?: number;
}

export class ChatLeases {
  /** The chats this process holds, by key: the epoch each was acquired at. */
  private readonly held = new Map<string, number>();
  private readonly ttlMs: number;

  /**
   * @param sql A connection whose every statement commits on its own (PostgresStore's `read`, the
   *   pool): acquiring or renewing must not wait for a group commit, nor share its fate.
   * @param holder This process instance, unique across restarts (see `newHolderId`).
   */
  constructor(private readonly sql: Sql, readonly holder: string, options: ChatLeasesOptions = {}) {
    requirePostgres(sql, "ChatLeases");
    if (holder === "") throw new Error("A lease holder needs a non-empty id.");
    this.ttlMs = options.ttlMs ?? LEASE_TTL_MS;
  }

  /** The epoch this process holds `agentKey` at, or undefined when it does not hold it. */
  epochOf(agentKey: string): number | undefined {
    return this.held.get(agentKey);
  }

  /** The chats this process holds. */
  heldKeys(): string[] {
    return [...this.held.keys()];
  }

  /**
   * Takes the chat when its lease is free, expired or already this process's; undefined when
   * another live process holds it. Taking it from another holder (or after a release) bumps the
   * epoch; renewing this process's own keeps it. Waits, at most a batch's length, while a unit of the
   * holder's that guarded the chat commits.
   */
  async acquire(agentKey: string): Promise<Lease | undefined> {
    // `prior` says whom the chat was taken from: the row as the statement began (joined into the
    // inserted row's source, so read before the row changes). Not locked: a lock would make the
    // holder's heartbeat wait behind a takeover waiting for a batch. A release landing during such a
    // wait is then taken for a crash: the head message is charged one attempt it did not need.
    const row = await this.sql.get<{ epoch: number; priorHolder: string | null }>(
      `WITH prior AS MATERIALIZED (SELECT holder FROM chat_leases WHERE agent_key = ?)
       INSERT INTO chat_leases (agent_key, holder, epoch, expires_at_ms)
       SELECT ?, ?, 1, ${DB_NOW_MS} + ? FROM (VALUES (1)) AS one LEFT JOIN prior ON true
       ON CONFLICT (agent_key) DO UPDATE SET
         epoch = CASE WHEN chat_leases.holder = excluded.holder THEN chat_leases.epoch ELSE chat_leases.epoch + 1 END,
         holder = excluded.holder,
         expires_at_ms = excluded.expires_at_ms
       WHERE chat_leases.holder = excluded.holder OR chat_leases.expires_at_ms <= ${DB_NOW_MS}
       RETURNING epoch, (SELECT holder FROM prior) AS "priorHolder"`,
      [agentKey, agentKey, this.holder, this.ttlMs],
    );
    if (!row) {
      this.held.delete(agentKey);
      return undefined;
    }
    return this.record(agentKey, row.epoch, row.priorHolder);
  }

  /**
   * Inside a unit, before its writes: the chat is still this process's at `epoch`, and stays so
   * until the unit's transaction ends (the row is locked FOR KEY SHARE, which a takeover waits for).
   * Throws LeaseLostError otherwise. An expired lease that nobody took yet still passes: nobody else
   * wrote for the chat since, and whoever takes it next waits for this transaction.
   */
  async guard(tx: Tx, agentKey: string, epoch: number): Promise<void> {
    const row = await tx.get<{ held: number }>(
      `SELECT 1 AS held FROM chat_leases WHERE agent_key = ? AND holder = ? AND epoch = ? FOR KEY SHARE`,
      [agentKey, this.holder, epoch],
    );
    if (!row) throw new LeaseLostError(agentKey, epoch);
  }

  /** A guard threw LeaseLostError: forgets the chat (unless it was acquired again since, at another epoch). */
  markLost(agentKey: string, epoch: number): void {
    if (this.held.get(agentKey) === epoch) this.held.delete(agentKey);
  }

  /**
   * The heartbeat: one statement renewing every lease this process holds (only those it knows of: a
   * lease whose acquisition never reached it is left to expire). Reports the ones taken over.
   */
  async renewAll(): Promise<RenewOutcome> {
    if (this.held.size === 0) return { renewed: 0, lost: [] };
    const believed = new Map(this.held);
    const rows = await this.sql.all<{ agentKey: string; epoch: number }>(
      `UPDATE chat_leases SET expires_at_ms = ${DB_NOW_MS} + ?
       WHERE holder = ? AND agent_key IN (SELECT jsonb_array_elements_text(?::jsonb))
       RETURNING agent_key AS "agentKey", epoch`,
      [this.ttlMs, this.holder, JSON.stringify([...believed.keys()])],
    );
    const renewed = new Map(rows.map((row) => [row.agentKey, row.epoch]));
    const lost: string[] = [];
    for (const [key, epoch] of believed) {
      if (renewed.get(key) === epoch) continue;
      lost.push(key);
      // Only what this call saw: an acquire that finished meanwhile recorded a newer epoch.
      if (this.held.get(key) === epoch) this.held.delete(key);
    }
    return { renewed: rows.length, lost };
  }

  /**
   * Gives the chat up (it is idle here, or the process stops): another process may take it at once,
   * at a new epoch (after any unit that passed its guard before has committed); a guard at the old
   * epoch fails from now on.
   */
  async release(agentKey: string): Promise<void> {
    const epoch = this.held.get(agentKey);
    if (epoch === undefined) return;
    this.held.delete(agentKey);
    await this.sql.run(
      `UPDATE chat_leases SET holder = '', expires_at_ms = 0 WHERE agent_key = ? AND holder = ? AND epoch = ?`,
      [agentKey, this.holder, epoch],
    );
  }

  /** Gives up every chat (a clean stop, once nothing of this process writes any more). */
  async releaseAll(): Promise<void> {
    if (this.held.size === 0) return;
    const keys = [...this.held.keys()];
    this.held.clear();
    await this.sql.run(
      `UPDATE chat_leases SET holder = '', expires_at_ms = 0
       WHERE holder = ? AND agent_key IN (SELECT jsonb_array_elements_text(?::jsonb))`,
      [this.holder, JSON.stringify(keys)],
    );
  }

  /**
   * Takes up to `limit` chats that have work (pending inbox messages, unsent outbox rows, due
   * timers) and no live lease: never served, released, or left by a process that died. One
   * statement; scans running at once in several processes split the chats between them. The chats
   * returned are this process's now, fresh: wake them.
   */
  async orphans(limit: number): Promise<Lease[]> {
    const rows = await this.sql.all<{ agentKey: string; epoch: number; priorHolder: string | null }>(
      `WITH work AS MATERIALIZED (
         SELECT agent_key FROM inbox WHERE status = 'pending'
         UNION SELECT agent_key FROM outbox WHERE status IN ('pending', 'sending')
         UNION SELECT agent_key FROM timers
           WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL AND fire_at_ms <= ${DB_NOW_MS}
       ),
       free AS MATERIALIZED (
         SELECT work.agent_key FROM work LEFT JOIN chat_leases lease ON lease.agent_key = work.agent_key
         WHERE CASE WHEN lease.agent_key IS NULL OR lease.expires_at_ms <= ${DB_NOW_MS}
                    THEN pg_try_advisory_xact_lock(${ORPHAN_SCAN_LOCK_SPACE}, hashtext(work.agent_key))
                    ELSE false END
         LIMIT ?
       ),
       stale AS (
         SELECT lease.agent_key, lease.holder FROM chat_leases lease JOIN free ON free.agent_key = lease.agent_key
         WHERE lease.expires_at_ms <= ${DB_NOW_MS}
         FOR UPDATE OF lease SKIP LOCKED
       ),
       taken AS (
         UPDATE chat_leases SET
           epoch = CASE WHEN holder = ? THEN epoch ELSE epoch + 1 END,
           holder = ?,
           expires_at_ms = ${DB_NOW_MS} + ?
         WHERE agent_key IN (SELECT agent_key FROM stale)
         RETURNING agent_key, epoch
       ),
       created AS (
         INSERT INTO chat_leases (agent_key, holder, epoch, expires_at_ms)
         SELECT free.agent_key, ?, 1, ${DB_NOW_MS} + ? FROM free
         WHERE NOT EXISTS (SELECT 1 FROM chat_leases lease WHERE lease.agent_key = free.agent_key)
         ON CONFLICT (agent_key) DO NOTHING
         RETURNING agent_key, epoch
       )
       SELECT taken.agent_key AS "agentKey", taken.epoch, stale.holder AS "priorHolder" FROM taken JOIN stale USING (agent_key)
       UNION ALL SELECT agent_key AS "agentKey", epoch, NULL AS "priorHolder" FROM created`,
      [limit, this.holder, this.holder, this.ttlMs, this.holder, this.ttlMs],
    );
    return rows.map((row) => this.record(row.agentKey, row.epoch, row.priorHolder));
  }

  private record(agentKey: string, epoch: number, priorHolder: string | null): Lease {
    const fresh = this.held.get(agentKey) !== epoch;
    this.held.set(agentKey, epoch);
    // '' is a released lease; this process's own holder id, a lease it never knew it still had.
    const takenFrom = fresh && priorHolder !== null && priorHolder !== "" && priorHolder !== this.holder ? priorHolder : undefined;
    return takenFrom === undefined ? { agentKey, epoch, fresh } : { agentKey, epoch, fresh, takenFrom };
  }
}

/** A holder id for this process instance: host, pid and a random part, so that a restart (or a reused pid) is a new holder. */
export function newHolderId(hostname: string, pid: number): string {
  return `${hostname}:${pid}:${randomUUID().slice(0, 8)}`;
}

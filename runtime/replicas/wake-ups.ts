// Wake-ups across processes: the process that stores work for a chat another process holds tells
// that process with PostgreSQL's NOTIFY, sent in the storing transaction, so it is delivered only
// if, and once, the work is committed. Every process listens on one dedicated connection and wakes
// the chat when it holds it (ChatLeases.epochOf).
//
// Why no wake-up is lost: `notifyHolder` locks the chat's lease row (FOR KEY SHARE) until the storing
// transaction commits, so the chat cannot change hands in between: the holder it names is the holder
// at commit, which then reads the new work; anyone taking the chat later reads the table as it
// starts. When no other live process holds the chat, the storing process wakes it itself after the
// commit: it acquires the lease, or, should another process have taken the chat meanwhile, sends it
// `notifyWake`. The listening connection is the store's (PostgresStore.listen): one that drops loses
// the notifications sent while it is down, so once it is back `onMissedWakeUps` asks the runtime to
// look at every chat it holds.
import type { PostgresStore } from "../postgres/postgres-store.js";
import type { Sql, Tx } from "../store.js";
import { DB_NOW_MS, requirePostgres } from "./replica-sql.js";

/** The channel every process listens on; the payload is the agent key. */
export const WAKE_CHANNEL = "mt_wake";

/**
 * In the unit that stored work for `agentKey` (an accepted message, a fired timer): when another
 * live process holds the chat, notifies it (delivered at commit; repeats within one transaction are
 * delivered once) and returns true. False: the chat is `holder`'s own or free; wake it here once the
 * unit has committed.
 */
export async function notifyHolder(tx: Tx, agentKey: string, holder: string): Promise<boolean> {
  requirePostgres(tx, "notifyHolder");
  const row = await tx.get<{ notified: number }>(
    `SELECT 1 AS notified, pg_notify('${WAKE_CHANNEL}', agent_key) FROM chat_leases
     WHERE agent_key = ? AND holder <> ? AND holder <> '' AND expires_at_ms > ${DB_NOW_MS}
     FOR KEY SHARE`,
    [agentKey, holder],
  );
  return row !== undefined;
}

/** Outside a unit: wakes whichever process holds `agentKey` (acquire found it taken by another). */
export async function notifyWake(sql: Sql, agentKey: string): Promise<void> {
  requirePostgres(sql, "notifyWake");
  await sql.run(`SELECT pg_notify('${WAKE_CHANNEL}', ?)`, [agentKey]);
}

export interface WakeUpHandlers {
  /** A chat has new work. Called for every chat notified: wake it when this process holds it (ChatLeases.epochOf). */
  onWake(agentKey: string): void;
  /** The listening connection dropped and is back: wake-ups sent meanwhile are gone; look at every chat held. */
  onMissedWakeUps(): void;
}

/**
 * Listens for wake-ups on the store's listening connection (a connection of its own, re-connected
 * after a drop). Resolves, once listening, with the function that stops it; rejects with
 * StoreUnavailableError when the server cannot be reached now.
 */
export function listenForWakeUps(store: Pick<PostgresStore, "listen">, handlers: WakeUpHandlers): Promise<() => Promise<void>> {
  return store.listen(
    WAKE_CHANNEL,
    (agentKey) => {
      if (agentKey !== "") handlers.onWake(agentKey);
    },
    { onReconnect: () => handlers.onMissedWakeUps() },
  );
}

// Firing due timers when several processes fire them: each takes the due timers with one UPDATE that
// marks them fired and returns them, inside the unit that stores their inbox messages. Rows another
// process's unit is firing right now are skipped (SKIP LOCKED), not waited for, and a timer already
// fired is not matched, so each timer is turned into one inbox message, whichever process fires it;
// the message's id "timer:<id>" would refuse a second copy anyway.
//
// TimerService on PostgreSQL: in its firing unit, `claimDueTimers(tx, now)` replaces reading
// `TimerStore.due` before the unit and `markFired` inside it; then `inbox.accept` each timer's message
// and `notifyHolder` its chat, as for an accepted update.
import type { TimerRow } from "../timer-store.js";
import type { Tx } from "../store.js";
import { requirePostgres } from "./replica-sql.js";

/**
 * Inside a unit: marks up to `limit` timers due by `nowMs` as fired at `nowMs` and returns them,
 * earliest first; timers of one agent only when `agentKey` is given. They are this unit's to fire: if
 * the unit fails, they are armed again with it.
 */
export async function claimDueTimers(tx: Tx, nowMs: number, limit = 500, agentKey?: string): Promise<TimerRow[]> {
  requirePostgres(tx, "claimDueTimers");
  const rows = await tx.all<TimerRow>(
    `WITH due AS (
       SELECT id FROM timers
       WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL AND fire_at_ms <= ?
         AND (CAST(? AS TEXT) IS NULL OR agent_key = ?)
       ORDER BY fire_at_ms LIMIT ?
       FOR UPDATE SKIP LOCKED
     )
     UPDATE timers SET fired_at_ms = ? FROM due
     WHERE timers.id = due.id AND timers.fired_at_ms IS NULL AND timers.canceled_at_ms IS NULL
     RETURNING timers.id, timers.agent_key AS "agentKey", timers.kind, timers.payload_json AS "payloadJson", timers.fire_at_ms AS "fireAtMs"`,
    [nowMs, agentKey ?? null, agentKey ?? null, limit, nowMs],
  );
  return rows.sort((a, b) => a.fireAtMs - b.fireAtMs);
}

// The timers table: armed timers by due time (wall-clock), with the time each was armed. Firing turns
// a timer into an inbox message.
import type { Sql, Tx } from "./store.js";

export interface TimerRow {
  id: string;
  agentKey: string;
  kind: string;
  payloadJson: string;
  fireAtMs: number;
}

const COLUMNS = `id, agent_key AS "agentKey", kind, payload_json AS "payloadJson", fire_at_ms AS "fireAtMs"`;

const SQL = {
  arm: `INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms, armed_at_ms) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`,
  cancel: `UPDATE timers SET canceled_at_ms = ? WHERE id = ? AND agent_key = ? AND fired_at_ms IS NULL`,
  due: `SELECT ${COLUMNS} FROM timers
    WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL AND fire_at_ms <= ? ORDER BY fire_at_ms LIMIT 500`,
  dueFor: `SELECT ${COLUMNS} FROM timers
    WHERE agent_key = ? AND fired_at_ms IS NULL AND canceled_at_ms IS NULL AND fire_at_ms <= ? ORDER BY fire_at_ms LIMIT 500`,
  earliest: `SELECT MIN(fire_at_ms) AS "fireAtMs" FROM timers WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL`,
  earliestFor: `SELECT MIN(fire_at_ms) AS "fireAtMs" FROM timers WHERE agent_key = ? AND fired_at_ms IS NULL AND canceled_at_ms IS NULL`,
  fired: `UPDATE timers SET fired_at_ms = ? WHERE id = ?`,
  // The three parameters are all "now".
  rebase: `UPDATE timers SET fire_at_ms = fire_at_ms - (armed_at_ms - ?), armed_at_ms = ?
    WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL AND armed_at_ms > ?`,
};

export class TimerStore {
  constructor(private readonly committed: Sql) {}

  /** Arming the same id twice keeps the first. */
  async arm(tx: Tx, timer: TimerRow, armedAtMs: number): Promise<void> {
    await tx.run(SQL.arm, [timer.id, timer.agentKey, timer.kind, timer.payloadJson, timer.fireAtMs, armedAtMs]);
  }

  /**
   * A timer armed "later" than `nowMs` proves that the wall clock was stepped back since: it is
   * moved back by as much as its arming time is ahead, as if armed now, so it fires at most its own
   * delay from now instead of the step's length late. Returns how many.
   */
  async rebaseSteppedBack(tx: Tx, nowMs: number): Promise<number> {
    return (await tx.run(SQL.rebase, [nowMs, nowMs, nowMs])).changes;
  }

  /** Only the agent that owns a timer can cancel it. */
  async cancel(tx: Tx, id: string, agentKey: string, nowMs: number): Promise<boolean> {
    return (await tx.run(SQL.cancel, [nowMs, id, agentKey])).changes === 1;
  }

  /** Armed timers due by `nowMs`: every agent's, or one agent's. */
  async due(nowMs: number, agentKey?: string): Promise<TimerRow[]> {
    return agentKey === undefined
      ? this.committed.all<TimerRow>(SQL.due, [nowMs])
      : this.committed.all<TimerRow>(SQL.dueFor, [agentKey, nowMs]);
  }

  async earliest(agentKey?: string): Promise<number | null> {
    const row = agentKey === undefined
      ? await this.committed.get<{ fireAtMs: number | null }>(SQL.earliest)
      : await this.committed.get<{ fireAtMs: number | null }>(SQL.earliestFor, [agentKey]);
    return row?.fireAtMs ?? null;
  }

  async markFired(tx: Tx, id: string, nowMs: number): Promise<void> {
    await tx.run(SQL.fired, [nowMs, id]);
  }
}

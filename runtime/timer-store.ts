// The timers table: armed timers by due time (wall-clock), with the time each was armed. Firing turns
// a timer into an inbox message.
import type { Database } from "./database.js";

export interface TimerRow {
  id: string;
  agentKey: string;
  kind: string;
  payloadJson: string;
  fireAtMs: number;
}

export class TimerStore {
  private readonly armStmt;
  private readonly cancelStmt;
  private readonly dueStmt;
  private readonly dueForStmt;
  private readonly earliestStmt;
  private readonly earliestForStmt;
  private readonly firedStmt;
  private readonly rebaseStmt;

  constructor(db: Database) {
    this.armStmt = db.prepare(
      `INSERT INTO timers (id, agent_key, kind, payload_json, fire_at_ms, armed_at_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.cancelStmt = db.prepare(
      `UPDATE timers SET canceled_at_ms = ? WHERE id = ? AND agent_key = ? AND fired_at_ms IS NULL`,
    );
    this.dueStmt = db.prepare(
      `SELECT id, agent_key AS agentKey, kind, payload_json AS payloadJson, fire_at_ms AS fireAtMs FROM timers
       WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL AND fire_at_ms <= ? ORDER BY fire_at_ms LIMIT 500`,
    );
    this.dueForStmt = db.prepare(
      `SELECT id, agent_key AS agentKey, kind, payload_json AS payloadJson, fire_at_ms AS fireAtMs FROM timers
       WHERE agent_key = ? AND fired_at_ms IS NULL AND canceled_at_ms IS NULL AND fire_at_ms <= ? ORDER BY fire_at_ms LIMIT 500`,
    );
    this.earliestStmt = db.prepare(
      `SELECT MIN(fire_at_ms) FROM timers WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL`,
    ).pluck();
    this.earliestForStmt = db.prepare(
      `SELECT MIN(fire_at_ms) FROM timers WHERE agent_key = ? AND fired_at_ms IS NULL AND canceled_at_ms IS NULL`,
    ).pluck();
    this.firedStmt = db.prepare(`UPDATE timers SET fired_at_ms = ? WHERE id = ?`);
    this.rebaseStmt = db.prepare(
      `UPDATE timers SET fire_at_ms = fire_at_ms - (armed_at_ms - @now), armed_at_ms = @now
       WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL AND armed_at_ms > @now`,
    );
  }

  /** Write: run inside a unit. Arming the same id twice keeps the first. */
  arm(timer: TimerRow, armedAtMs: number): void {
    this.armStmt.run(timer.id, timer.agentKey, timer.kind, timer.payloadJson, timer.fireAtMs, armedAtMs);
  }

  /**
   * Write: run inside a unit. A timer armed "later" than `nowMs` proves that the wall clock was
   * stepped back since: it is moved back by as much as its arming time is ahead, as if armed now, so
   * it fires at most its own delay from now instead of the step's length late. Returns how many.
   */
  rebaseSteppedBack(nowMs: number): number {
    return this.rebaseStmt.run({ now: nowMs }).changes;
  }

  /** Write: run inside a unit. Only the agent that owns a timer can cancel it. */
  cancel(id: string, agentKey: string, nowMs: number): boolean {
    return this.cancelStmt.run(nowMs, id, agentKey).changes === 1;
  }

  /** Armed timers due by `nowMs`: every agent's, or one agent's. */
  due(nowMs: number, agentKey?: string): TimerRow[] {
    return (agentKey === undefined ? this.dueStmt.all(nowMs) : this.dueForStmt.all(agentKey, nowMs)) as TimerRow[];
  }

  earliest(agentKey?: string): number | null {
    return (agentKey === undefined ? this.earliestStmt.get() : this.earliestForStmt.get(agentKey)) as number | null;
  }

  markFired(id: string, nowMs: number): void {
    this.firedStmt.run(nowMs, id);
  }
}

// The agent_state table: each agent's state as versioned JSON. Loading applies the agent's
// migration when the stored version is older; a state that cannot be migrated starts over, visibly.
import type { Database } from "./database.js";

export interface StoredState {
  version: number;
  json: string;
}

export class AgentStateStore {
  private readonly loadStmt;
  private readonly saveStmt;

  constructor(db: Database) {
    this.loadStmt = db.prepare(`SELECT version, state_json AS json FROM agent_state WHERE agent_key = ?`);
    this.saveStmt = db.prepare(
      `INSERT INTO agent_state (agent_key, version, state_json, updated_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (agent_key) DO UPDATE SET version = excluded.version, state_json = excluded.state_json,
         updated_at_ms = excluded.updated_at_ms`,
    );
  }

  load(agentKey: string): StoredState | undefined {
    return this.loadStmt.get(agentKey) as StoredState | undefined;
  }

  /** Write: run inside a unit. */
  save(agentKey: string, version: number, json: string, nowMs: number): void {
    this.saveStmt.run(agentKey, version, json, nowMs);
  }
}

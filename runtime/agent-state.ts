// The agent_state table: each agent's state as versioned JSON. Loading applies the agent's
// migration when the stored version is older; a state that cannot be migrated starts over, visibly.
import type { Sql, Tx } from "./store.js";

export interface StoredState {
  version: number;
  json: string;
}

const SQL = {
  load: `SELECT version, state_json AS json FROM agent_state WHERE agent_key = ?`,
  save: `INSERT INTO agent_state (agent_key, version, state_json, updated_at_ms) VALUES (?, ?, ?, ?)
    ON CONFLICT (agent_key) DO UPDATE SET version = excluded.version, state_json = excluded.state_json,
      updated_at_ms = excluded.updated_at_ms`,
};

export class AgentStateStore {
  constructor(private readonly committed: Sql) {}

  async load(agentKey: string): Promise<StoredState | undefined> {
    return this.committed.get<StoredState>(SQL.load, [agentKey]);
  }

  async save(tx: Tx, agentKey: string, version: number, json: string, nowMs: number): Promise<void> {
    await tx.run(SQL.save, [agentKey, version, json, nowMs]);
  }
}

// Erases what the runtime remembers of one agent's past: its finished messages' payloads, their
// journals, its delivered or failed sends and its spent or disarmed timers. Pending work and the
// message being handled are kept, so erasing never breaks a running step.
//
// A finished message's inbox row stays, emptied: its id and fingerprint, no content, no agent. It is
// what deduplicates: without it, the same message delivered again after the erasure (a webhook
// retry, a refetch by polling) would be handled again, as new. Retention deletes it in time.
import type { Database } from "./database.js";

export class AgentHistory {
  private readonly journalStmt;
  private readonly inboxStmt;
  private readonly outboxStmt;
  private readonly timersStmt;

  constructor(db: Database) {
    this.journalStmt = db.prepare(
      `DELETE FROM journal WHERE message_id IN (
         SELECT id FROM inbox WHERE agent_key = ? AND status IN ('done', 'parked') AND id != ?)`,
    );
    // Parked rows become done: nothing is left to retry or to show.
    this.inboxStmt = db.prepare(
      `UPDATE inbox SET agent_key = '', kind = 'erased', payload_json = 'null', last_error = NULL, status = 'done',
         completed_at_ms = COALESCE(completed_at_ms, received_at_ms)
       WHERE agent_key = ? AND status IN ('done', 'parked') AND id != ?`,
    );
    this.outboxStmt = db.prepare(`DELETE FROM outbox WHERE agent_key = ? AND status IN ('sent', 'failed')`);
    this.timersStmt = db.prepare(
      `DELETE FROM timers WHERE agent_key = ? AND (fired_at_ms IS NOT NULL OR canceled_at_ms IS NOT NULL)`,
    );
  }

  /** Write: run inside a unit. Returns how many rows were deleted or emptied. */
  erase(agentKey: string, keepMessageId: string): number {
    return (
      this.journalStmt.run(agentKey, keepMessageId).changes +
      this.inboxStmt.run(agentKey, keepMessageId).changes +
      this.outboxStmt.run(agentKey).changes +
      this.timersStmt.run(agentKey).changes
    );
  }
}

// Erases what the runtime remembers of one agent's past: its finished messages' payloads, their
// journals, its delivered or failed sends and its spent or disarmed timers. Pending work and the
// message being handled are kept, so erasing never breaks a running step.
//
// A finished message's inbox row stays, emptied: its id and fingerprint, no content, no agent. It is
// what deduplicates: without it, the same message delivered again after the erasure (a webhook
// retry, a refetch by polling) would be handled again, as new. Retention deletes it in time.
import type { Sql, Tx } from "./store.js";

const SQL = {
  journal: `DELETE FROM journal WHERE message_id IN (
    SELECT id FROM inbox WHERE agent_key = ? AND status IN ('done', 'parked') AND id != ?)`,
  // Parked rows become done: nothing is left to retry or to show.
  inbox: `UPDATE inbox SET agent_key = '', kind = 'erased', payload_json = 'null', last_error = NULL, status = 'done',
      completed_at_ms = COALESCE(completed_at_ms, received_at_ms)
    WHERE agent_key = ? AND status IN ('done', 'parked') AND id != ?`,
  outbox: `DELETE FROM outbox WHERE agent_key = ? AND status IN ('sent', 'failed')`,
  timers: `DELETE FROM timers WHERE agent_key = ? AND (fired_at_ms IS NOT NULL OR canceled_at_ms IS NOT NULL)`,
};

export class AgentHistory {
  /** Takes committed reads like every table class, though erasing only writes. */
  constructor(_committed: Sql) {}

  /** Returns how many rows were deleted or emptied. */
  async erase(tx: Tx, agentKey: string, keepMessageId: string): Promise<number> {
    // In this order: the journal's rows are found through the inbox rows the next statement empties.
    const journal = await tx.run(SQL.journal, [agentKey, keepMessageId]);
    const inbox = await tx.run(SQL.inbox, [agentKey, keepMessageId]);
    const outbox = await tx.run(SQL.outbox, [agentKey]);
    const timers = await tx.run(SQL.timers, [agentKey]);
    return journal.changes + inbox.changes + outbox.changes + timers.changes;
  }
}

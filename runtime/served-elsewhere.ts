// The full runtime's view of the agents that other processes serve alone (a console on its own chat,
// see agent-lease.ts): re-read from the leases every few seconds. An agent whose lease ended is
// served here again.
import type { AgentLeases } from "./agent-lease.js";
import type { Clock } from "./clock.js";

export class ServedElsewhere {
  /** The agents to leave alone; the runtime's scope holds this very set. */
  readonly keys = new Set<string>();
  /** Counts looks: only the latest one's read may change `keys`. */
  private looks = 0;

  constructor(private readonly leases: Pick<AgentLeases, "heldKeys">, private readonly clock: Clock) {}

  /**
   * Re-reads the leases and returns the agents whose lease ended since the last look. When looks
   * overlap (a slow read), an older one that finishes last changes nothing: its read may predate a
   * lease released since, and would hand that agent back to its gone holder.
   */
  async refresh(): Promise<string[]> {
    const look = ++this.looks;
    const held = await this.leases.heldKeys(this.clock.now());
    if (look !== this.looks) return [];
    const returned: string[] = [];
    for (const key of this.keys) {
      if (held.has(key)) continue;
      this.keys.delete(key);
      returned.push(key);
    }
    for (const key of held) this.keys.add(key);
    return returned;
  }
}

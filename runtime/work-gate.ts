// Bounds how many of something run at once, handing a freed place to the longest waiter (no
// newcomer can take it first, so nothing waits behind a stream of later arrivals). The runtime
// uses one for messages being handled and one for sends in flight.
//
// Messages: bounds how many are being handled at once across all agents. Under a burst (thousands
// of chats with something to do) an unbounded fan-out keeps every handler, its state and its
// promises alive together: memory grows and each event-loop turn is crowded with agent work, so the
// webhook's own answers wait. A few dozen at a time keep the group commits full and leave room for
// the front door. A handler waiting on the outside world (a model call in `ctx.run`) gives its
// place back meanwhile, so slow calls never hold up other chats.
export class WorkGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`The concurrency limit must be a positive integer, got ${limit}.`);
  }

  /** Resolves when a place is free (at once when one is). */
  enter(): Promise<void> | undefined {
    if (this.active < this.limit) {
      this.active++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    // The place passes straight to the next in line: `active` stays the same.
    if (next) next();
    else this.active--;
  }

  /** Runs `work` outside the gate: the caller's place is free while it waits, and taken back after. */
  async outside<T>(work: () => Promise<T>): Promise<T> {
    this.leave();
    try {
      return await work();
    } finally {
      await this.enter();
    }
  }

  get busy(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }
}

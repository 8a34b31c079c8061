// The queue under both stores' group commit: the units submitted in one turn of the event loop
// become one batch, and batches commit one at a time, so units commit in the order submitted. How
// a batch is committed is the store's (runtime/sqlite/, runtime/postgres/).
import type { Unit } from "./store.js";

export interface Queued {
  work: Unit<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class CommitQueue {
  private queue: Queued[] = [];
  private scheduled = false;
  private refusing = false;
  /** The batch being committed, if any: the next one starts after it. */
  private committing: Promise<void> = Promise.resolve();

  /** `commitBatch` settles every unit of the batch itself and never rejects. */
  constructor(private readonly commitBatch: (batch: Queued[]) => Promise<void>) {}

  submit<T>(work: Unit<T>): Promise<T> {
    if (this.refusing) return Promise.reject(new Error("The database is closed; no more writes are taken."));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as Unit<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Commits whatever is queued now, after the batch under way; resolves when it is durable. */
  flush(): Promise<void> {
    this.scheduled = false;
    this.committing = this.committing.then(() => {
      const batch = this.queue;
      this.queue = [];
      return batch.length > 0 ? this.commitBatch(batch) : undefined;
    });
    return this.committing;
  }

  /** No more units are taken (those queued still commit at the next flush). */
  refuse(): void {
    this.refusing = true;
  }

  get closed(): boolean {
    return this.refusing;
  }
}

// The write lock the main thread and the ingest thread share (see WriteLock in runtime/sqlite/sqlite-store.ts):
// one Int32 in shared memory holding the owner's number, 0 when free. It only orders the two threads'
// transactions; SQLite's own lock still guards the file against other processes.
import type { WriteLock } from "../../runtime/index.js";

export const MAIN_THREAD = 1;
export const INGEST_THREAD = 2;

/** Past this wait the lock is taken anyway: SQLite's lock (busy_timeout) still keeps the file whole. */
const MAX_WAIT_MS = 5_000;

export function newLockMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(4);
}

export class SharedWriteLock implements WriteLock {
  private readonly cell: Int32Array;
  private held = false;

  constructor(memory: SharedArrayBuffer, private readonly owner: number) {
    this.cell = new Int32Array(memory);
  }

  acquire(): void {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const holder = Atomics.compareExchange(this.cell, 0, 0, this.owner);
      if (holder === 0) {
        this.held = true;
        return;
      }
      const left = deadline - Date.now();
      // A holder stuck that long is a bug (a transaction never ends synchronously otherwise): go on
      // and let SQLite decide, rather than stop writing.
      if (left <= 0) return;
      Atomics.wait(this.cell, 0, holder, left);
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    Atomics.compareExchange(this.cell, 0, this.owner, 0);
    Atomics.notify(this.cell, 0);
  }
}

/** Frees the lock if `owner` still holds it: the ingest thread died inside a transaction. */
export function releaseDeadOwner(memory: SharedArrayBuffer, owner: number): void {
  const cell = new Int32Array(memory);
  if (Atomics.compareExchange(cell, 0, owner, 0) === owner) Atomics.notify(cell, 0);
}

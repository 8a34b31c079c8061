// A small in-memory cache with a time to live, bounded by entry count and by total weight (e.g.
// episodes), least recently used out first. Concurrent loads of one key share one call, so a check
// of many chats watching one show fetches it once. Failures are never cached.

export interface TtlCacheOptions<V> {
  ttlMs: number;
  maxEntries: number;
  /** The most total weight kept; a value heavier than this alone is returned but not kept. */
  maxWeight?: number;
  weigh?: (value: V) => number;
  now?: () => number;
}

interface Slot<V> {
  value: V;
  weight: number;
  expiresAt: number;
}

export class TtlCache<K, V> {
  private readonly slots = new Map<K, Slot<V>>();
  private readonly loading = new Map<K, Promise<V>>();
  private weight = 0;
  private readonly now: () => number;
  private readonly weigh: (value: V) => number;
  private readonly maxWeight: number;

  constructor(private readonly options: TtlCacheOptions<V>) {
    this.now = options.now ?? Date.now;
    this.weigh = options.weigh ?? (() => 1);
    this.maxWeight = options.maxWeight ?? Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.slots.size;
  }

  get totalWeight(): number {
    return this.weight;
  }

  /** The fresh value for key, or undefined (an expired one is dropped). */
  get(key: K): V | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= this.now()) {
      this.delete(key);
      return undefined;
    }
    this.slots.delete(key); // most recently used goes last
    this.slots.set(key, slot);
    return slot.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = Math.max(0, this.weigh(value));
    if (weight > this.maxWeight || this.options.maxEntries < 1) return;
    this.slots.set(key, { value, weight, expiresAt: this.now() + this.options.ttlMs });
    this.weight += weight;
    for (const [oldest] of this.slots) {
      if (this.slots.size <= this.options.maxEntries && this.weight <= this.maxWeight) break;
      this.delete(oldest);
    }
  }

  delete(key: K): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    this.weight -= slot.weight;
  }

  /** The cached value, or the result of load() (shared with every caller asking meanwhile), kept on success. */
  getOrLoad(key: K, load: () => Promise<V>): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const started = (async () => {
      try {
        const value = await load();
        this.set(key, value);
        return value;
      } finally {
        this.loading.delete(key);
      }
    })();
    this.loading.set(key, started);
    return started;
  }
}

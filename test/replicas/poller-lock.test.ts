// One poller at a time: three contenders for the poller lock, each on its own connection; the
// holder's session is killed or stopped, and a standby takes over within its retry period.
import { afterEach, expect, it } from "vitest";
import { PollerLock } from "../../runtime/replicas/poller-lock.js";
import { withTestDatabase } from "../support/postgres.js";
import { waitFor } from "../support/wait-for.js";
import { openReplicaStore, terminateSessions } from "./pg-harness.js";

const database = await withTestDatabase();
const RETRY_MS = 300;

database.describe("poller lock", () => {
  let locks: PollerLock[] = [];
  let events: Array<{ who: number; event: "acquired" | "lost"; at: number }>;

  afterEach(async () => {
    await Promise.all(locks.map((lock) => lock.stop()));
    locks = [];
  });

  function contenders(count: number): PollerLock[] {
    events = [];
    locks = Array.from({ length: count }, (_, who) =>
      new PollerLock({
        connection: { connectionString: database.url, application_name: `poller-${who}` },
        onAcquired: () => events.push({ who, event: "acquired", at: performance.now() }),
        onLost: () => events.push({ who, event: "lost", at: performance.now() }),
        retryMs: RETRY_MS,
      }),
    );
    for (const lock of locks) lock.start();
    return locks;
  }

  const holders = () => locks.flatMap((lock, who) => (lock.holding ? [who] : []));

  it("one of three holds the lock; when its session is killed, another takes over within the retry period", async () => {
    contenders(3);
    await waitFor(() => holders().length === 1, 3000, "a first holder");
    await new Promise((resolve) => setTimeout(resolve, 3 * RETRY_MS));
    expect(holders()).toHaveLength(1);
    const first = holders()[0]!;

    const store = await openReplicaStore(database.url, "poller-test", 1);
    try {
      const killedAt = performance.now();
      expect(await terminateSessions(store.read, `poller-${first}`)).toBe(1);
      await waitFor(() => holders().length === 1 && holders()[0] !== first, 3000, "a new holder");
      const lost = events.find((e) => e.who === first && e.event === "lost")!;
      const taken = events.find((e) => e.who !== first && e.event === "acquired")!;
      // The old holder stopped before the new one started, and the new one took over within a retry period.
      expect(lost.at).toBeLessThan(taken.at);
      expect(taken.at - killedAt).toBeLessThan(RETRY_MS + 500);
      // The first one, reconnected, now stands by.
      await new Promise((resolve) => setTimeout(resolve, 3 * RETRY_MS));
      expect(holders()).toHaveLength(1);
      expect(events.filter((e) => e.event === "acquired")).toHaveLength(2);
    } finally {
      await store.close();
    }
  });

  it("a holder that stops gives the lock up to a standby, without reporting it lost", async () => {
    contenders(2);
    await waitFor(() => holders().length === 1, 3000, "a first holder");
    const first = holders()[0]!;
    await locks[first]!.stop();
    await waitFor(() => holders().length === 1 && holders()[0] !== first, 3000, "the standby taking over");
    expect(events.filter((e) => e.event === "lost")).toEqual([]);
  });
});

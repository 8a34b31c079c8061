// A replica for the lease takeover tests: takes the chats it is given, renews its leases every
// LEASE_HEARTBEAT_MS, and keeps writing for each chat in guarded units (a row in `writes` each
// time), as a bot process serving those chats would. It reports on stdout, one JSON object a line:
// {held: [[key, epoch], …]} once it holds them, {lost: key, by: "guard" | "heartbeat"} when a chat is
// no longer its own, {error: message} for any other failure. Its pool's sessions end when left
// inside a transaction for 2 s, as the wiring notes of chat-leases.ts advise. Usage:
//   node --import tsx test/replicas/lease-holder-process.ts <database url> <holder id> <key,key,…>
import { ChatLeases, LEASE_HEARTBEAT_MS, LeaseLostError } from "../../runtime/replicas/chat-leases.js";
import { openReplicaStore, withIdleInTransactionTimeout } from "./pg-harness.js";

const [url, holder, keyList] = process.argv.slice(2) as [string, string, string];
const store = await openReplicaStore(withIdleInTransactionTimeout(url, 2000), `lease-holder-${holder}`);
const leases = new ChatLeases(store.read, holder);
const report = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** The chats this process writes for, with the epoch it took each at. */
const serving = new Map<string, number>();
for (const key of keyList.split(",")) {
  const lease = await leases.acquire(key);
  if (lease) serving.set(key, lease.epoch);
}
report({ held: [...serving] });

setInterval(() => {
  leases.renewAll().then(
    ({ lost }) => {
      for (const key of lost) report({ lost: key, by: "heartbeat" });
    },
    (error: unknown) => report({ error: String(error) }),
  );
}, LEASE_HEARTBEAT_MS);

for (;;) {
  const keys = [...serving];
  // One batch: every unit submitted in the same turn.
  const results = await Promise.allSettled(
    keys.map(([key, epoch]) =>
      store.submit(async (tx) => {
        await leases.guard(tx, key, epoch);
        await tx.run(`INSERT INTO writes (agent_key, holder, epoch) VALUES (?, ?, ?)`, [key, holder, epoch]);
      }),
    ),
  );
  results.forEach((result, i) => {
    if (result.status === "fulfilled") return;
    const [key] = keys[i]!;
    if (result.reason instanceof LeaseLostError) {
      serving.delete(key);
      leases.markLost(key, result.reason.epoch);
      report({ lost: key, by: "guard" });
    } else {
      // The whole batch failed: the server ended the session of a process frozen in a transaction, say.
      report({ error: String(result.reason) });
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
}

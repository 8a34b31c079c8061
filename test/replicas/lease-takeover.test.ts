// Chats of a replica that dies or freezes go on elsewhere within 10 s, and the epoch keeps a frozen
// replica that wakes up from writing for them. Replicas are child processes
// (lease-holder-process.ts); the test process is the surviving replica, running the heartbeat and
// orphan scan every LEASE_HEARTBEAT_MS as the runtime does.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import type { PostgresStore } from "../../runtime/postgres/postgres-store.js";
import { ChatLeases, LEASE_HEARTBEAT_MS, LeaseLostError } from "../../runtime/replicas/chat-leases.js";
import type { Sql } from "../../runtime/store.js";
import { withTestDatabase } from "../support/postgres.js";
import { waitFor } from "../support/wait-for.js";
import { openReplicaStore, resetSchema, storeMessage } from "./pg-harness.js";

const database = await withTestDatabase();
const HOLDER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "lease-holder-process.ts");
const TAKEOVER_LIMIT_MS = 10_000;

interface Replica {
  child: ChildProcess;
  lines: Array<{ held?: Array<[string, number]>; lost?: string; by?: string; error?: string }>;
}

database.describe("lease takeover across processes", () => {
  /** The surviving replica's store. */
  let store: PostgresStore;
  let sql: Sql;
  const replicas: Replica[] = [];
  let survivorLoop: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    store = await openReplicaStore(database.url, "survivor");
    sql = store.read;
    await resetSchema(store);
    await sql.exec(`CREATE TABLE writes (id BIGSERIAL PRIMARY KEY, agent_key TEXT NOT NULL, holder TEXT NOT NULL, epoch BIGINT NOT NULL)`);
  });
  afterEach(() => {
    clearInterval(survivorLoop);
    for (const { child } of replicas.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });
  afterAll(async () => {
    await store?.close();
  });

  async function startReplica(holder: string, keys: string[]): Promise<Replica> {
    for (const key of keys) await storeMessage(sql, `m-${key}`, key);
    const child = spawn(process.execPath, ["--import", "tsx", HOLDER_SCRIPT, database.url, holder, keys.join(",")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const replica: Replica = { child, lines: [] };
    createInterface({ input: child.stdout! }).on("line", (line) => replica.lines.push(JSON.parse(line)));
    replicas.push(replica);
    await waitFor(() => replica.lines.some((l) => l.held), 15_000, `${holder} to hold its chats`);
    expect(replica.lines.find((l) => l.held)!.held!.map(([key]) => key)).toEqual(keys);
    return replica;
  }

  /** The surviving replica: heartbeat, then orphan scan, every LEASE_HEARTBEAT_MS; records when it took each chat. */
  function startSurvivor(): { leases: ChatLeases; takenAt: Map<string, number> } {
    const leases = new ChatLeases(sql, "survivor");
    const takenAt = new Map<string, number>();
    survivorLoop = setInterval(() => {
      void leases
        .renewAll()
        .then(() => leases.orphans(100))
        .then((taken) => taken.forEach((lease) => takenAt.set(lease.agentKey, performance.now())));
    }, LEASE_HEARTBEAT_MS);
    return { leases, takenAt };
  }

  const guardedWrite = (leases: ChatLeases, key: string, epoch: number) =>
    store.submit(async (tx) => {
      await leases.guard(tx, key, epoch);
      await tx.run(`INSERT INTO writes (agent_key, holder, epoch) VALUES (?, ?, ?)`, [key, leases.holder, epoch]);
    });

  it("a SIGKILLed replica's chats are taken over within 10 s at a new epoch, and its epoch is fenced out", async () => {
    const killedKeys = ["chat:a1", "chat:a2", "chat:a3", "chat:a4"];
    const aliveKeys = ["chat:b1", "chat:b2"];
    const doomed = await startReplica("A", killedKeys);
    const alive = await startReplica("B", aliveKeys);
    const survivor = startSurvivor();
    await waitFor(async () => ((await sql.get<{ n: number }>(`SELECT count(*)::int AS n FROM writes WHERE holder = 'A'`))!.n > 10), 5000, "A writing");

    doomed.child.kill("SIGKILL");
    const killedAt = performance.now();
    await waitFor(() => killedKeys.every((key) => survivor.takenAt.has(key)), TAKEOVER_LIMIT_MS + 2000, "the takeover");
    for (const key of killedKeys) expect(survivor.takenAt.get(key)! - killedAt).toBeLessThan(TAKEOVER_LIMIT_MS);

    expect(await sql.all(`SELECT agent_key, holder, epoch FROM chat_leases ORDER BY agent_key`)).toEqual([
      ...killedKeys.map((key) => ({ agent_key: key, holder: "survivor", epoch: 2 })),
      ...aliveKeys.map((key) => ({ agent_key: key, holder: "B", epoch: 1 })),
    ]);
    // The survivor writes at the new epoch; anything still holding A's epoch cannot.
    for (const key of killedKeys) await guardedWrite(survivor.leases, key, 2);
    await expect(guardedWrite(new ChatLeases(sql, "A"), "chat:a1", 1)).rejects.toBeInstanceOf(LeaseLostError);
    // The live replica kept its chats all along.
    expect(alive.lines.filter((l) => l.lost || l.error)).toEqual([]);
  }, 40_000);

  it("a frozen replica's chats are taken over within 10 s; woken up, it finds them lost and writes nothing for them", async () => {
    const keys = ["chat:s1", "chat:s2", "chat:s3"];
    const frozen = await startReplica("S", keys);
    const survivor = startSurvivor();
    const writesOfS = async () => (await sql.get<{ n: number }>(`SELECT count(*)::int AS n FROM writes WHERE holder = 'S'`))!.n;
    await waitFor(async () => (await writesOfS()) > 10, 5000, "S writing");

    frozen.child.kill("SIGSTOP");
    const stoppedAt = performance.now();
    await waitFor(() => keys.every((key) => survivor.takenAt.has(key)), TAKEOVER_LIMIT_MS + 2000, "the takeover");
    for (const key of keys) expect(survivor.takenAt.get(key)! - stoppedAt).toBeLessThan(TAKEOVER_LIMIT_MS);
    for (const key of keys) await guardedWrite(survivor.leases, key, 2);
    const writtenBeforeWaking = await writesOfS();

    frozen.child.kill("SIGCONT");
    await waitFor(() => keys.every((key) => frozen.lines.some((l) => l.lost === key)), 10_000, "S to find its chats lost");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await writesOfS()).toBe(writtenBeforeWaking);
    expect(await sql.get(`SELECT count(*)::int AS n FROM writes WHERE holder = 'S' AND epoch <> 1`)).toEqual({ n: 0 });
    expect(await sql.all(`SELECT DISTINCT holder, epoch FROM chat_leases`)).toEqual([{ holder: "survivor", epoch: 2 }]);
  }, 40_000);
});

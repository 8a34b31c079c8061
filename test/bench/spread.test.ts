// Replicas in the bench: the load generator spreads POSTs round-robin over the processes of one bot,
// so one chat's updates reach different processes, and keeps Telegram's limit on connections for
// all of them together.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { processFor, sendAll } from "../../bench/load.js";
import { ConnectionPool, textRequest } from "../../bench/workload.js";

interface Replica {
  port: number;
  /** update_id of each POST it got, in arrival order. */
  seen: number[];
  close(): Promise<void>;
}

/** A stand-in bot process: answers every POST 200 after `delayMs`, and notes the update and how many were in flight. */
async function replica(inFlight: { now: number; max: number }, delayMs = 0): Promise<Replica> {
  const seen: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { update_id: number }).update_id);
      inFlight.max = Math.max(inFlight.max, ++inFlight.now);
      setTimeout(() => {
        inFlight.now--;
        res.end("ok");
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const started: Replica[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.close()));
});

async function replicas(n: number, delayMs = 0) {
  const inFlight = { now: 0, max: 0 };
  for (let i = 0; i < n; i++) started.push(await replica(inFlight, delayMs));
  return { all: started.slice(), ports: started.map((r) => r.port), inFlight };
}

const target = (port: number) => ({ port, path: "/telegram", secret: "s" });

describe("processFor", () => {
  it("takes the processes in turn, and one process alone for everything", () => {
    expect(Array.from({ length: 7 }, (_, i) => processFor(i, 3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(Array.from({ length: 3 }, (_, i) => processFor(i, 1))).toEqual([0, 0, 0]);
  });
});

describe("sendAll over several processes", () => {
  it("sends update i to process i mod 3, so a chat's updates reach every process", async () => {
    const { all, ports } = await replicas(3);
    // 5 chats, as the ingest phase sends them: update i is chat i mod 5.
    const requests = Array.from({ length: 30 }, (_, i) => textRequest(target(ports[0]!), 100 + i, 1_000 + (i % 5), "hello"));
    const { results } = await sendAll(ports, requests, 4);
    expect(results.every((r) => r.status === 200)).toBe(true);
    for (const [p, r] of all.entries()) {
      expect(r.seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => 100 + p + 3 * k));
    }
    // Chat 1000 (updates 100, 105, 110, …) was served by all three.
    const servedChat1000 = all.filter((r) => r.seen.some((id) => (id - 100) % 5 === 0));
    expect(servedChat1000).toHaveLength(3);
  });

  it("sends everything to the one port it is given as a number", async () => {
    const { all, ports } = await replicas(1);
    const requests = Array.from({ length: 12 }, (_, i) => textRequest(target(ports[0]!), i, 1, "hello"));
    const { results } = await sendAll(ports[0]!, requests, 3);
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(all[0]!.seen).toHaveLength(12);
  });
});

describe("ConnectionPool over several processes", () => {
  it("posts where it is told and keeps the limit on requests in flight for all processes together", async () => {
    const { all, ports, inFlight } = await replicas(3, 100);
    const pool = new ConnectionPool(ports, 4);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 24 }, (_, i) => pool.post(textRequest(target(ports[0]!), i, 1, "hello"), processFor(i, ports.length))),
      );
      expect(statuses).toEqual(Array(24).fill(200));
    } finally {
      pool.close();
    }
    expect(all.map((r) => r.seen.length)).toEqual([8, 8, 8]);
    expect(all[1]!.seen.every((id) => id % 3 === 1)).toBe(true);
    expect(inFlight.max).toBe(4);
  });
});

// The load generator every system is measured with: plain keep-alive HTTP/1.1 over raw TCP sockets,
// one request in flight per connection, as Telegram posts webhook updates. Node's own http client
// costs about twice what a lean server spends on a request, so with it the bench measured the
// client on this 2-core machine; here a request is one precomputed write and a small response scan.
import net from "node:net";
import { performance } from "node:perf_hooks";

export interface Target {
  port: number;
  path: string;
  secret: string;
}

export interface Result {
  /** performance.now() when the request was written and when its answer had arrived whole. */
  start: number;
  end: number;
  /** Date.now() at the start, comparable with the fake Bot API's RecordedCall.at. */
  startEpoch: number;
  /** The HTTP status, or 0 when the connection failed before an answer. */
  status: number;
}

/** The request bytes for one update: built once, written as one chunk. */
export function encodeRequest(target: Target, body: Buffer): Buffer {
  const head =
    `POST ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nContent-Type: application/json\r\n` +
    `X-Telegram-Bot-Api-Secret-Token: ${target.secret}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}

/**
 * One keep-alive connection. `send` writes a request and resolves with its status once the whole
 * answer (headers and Content-Length body, or a chunked body) has arrived. Reconnects when the server
 * closed the connection.
 */
export class Connection {
  private socket: net.Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { resolve: (status: number) => void } | undefined;

  constructor(private readonly port: number) {}

  send(request: Buffer): Promise<number> {
    if (this.pending) throw new Error("one request at a time per connection");
    return new Promise<number>((resolve) => {
      this.pending = { resolve };
      this.ensureSocket().write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private ensureSocket(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = net.connect({ port: this.port, host: "127.0.0.1", noDelay: true });
    this.buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      this.scan();
    });
    const fail = () => {
      if (this.socket === socket) this.socket = undefined;
      this.settle(0);
    };
    socket.on("error", fail);
    socket.on("close", fail);
    this.socket = socket;
    return socket;
  }

  /** Completes the pending request when its answer is whole; ignores bytes past it. */
  private scan(): void {
    const headEnd = this.buffered.indexOf("\r\n\r\n");
    if (headEnd < 0) return;
    const head = this.buffered.subarray(0, headEnd).toString("latin1");
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let end: number;
    if (length) {
      end = headEnd + 4 + Number(length[1]);
      if (this.buffered.length < end) return;
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const last = this.buffered.indexOf("\r\n0\r\n\r\n", headEnd);
      if (last < 0) return;
      end = last + 7;
    } else {
      end = headEnd + 4;
    }
    this.buffered = this.buffered.subarray(end);
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
    this.settle(status);
  }

  private settle(status: number): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(status);
  }
}

/**
 * Which of `processes` bot processes the i-th POST goes to: round-robin, as a reverse proxy in
 * front of replicas hands them out, so one chat's updates reach different processes.
 */
export function processFor(i: number, processes: number): number {
  return i % processes;
}

/**
 * Sends every request from `concurrency` connections, each connection one request at a time, in
 * the order given (a worker takes the next unsent request when its previous one is answered).
 * Given several ports (replicas of one bot), request i goes to `processFor(i)`; each worker then
 * keeps one connection to each.
 */
export async function sendAll(ports: number | readonly number[], requests: Buffer[], concurrency: number): Promise<{ results: Result[]; wallMs: number }> {
  const targets = typeof ports === "number" ? [ports] : ports;
  const results: Result[] = new Array(requests.length);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    // A connection opens on its first send: one port, one connection, as before replicas.
    const connections = targets.map((port) => new Connection(port));
    try {
      for (;;) {
        const i = next++;
        if (i >= requests.length) return;
        const connection = connections[processFor(i, connections.length)]!;
        const startEpoch = Date.now();
        const start = performance.now();
        const status = await connection.send(requests[i]!);
        results[i] = { start, end: performance.now(), startEpoch, status };
      }
    } finally {
      for (const connection of connections) connection.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return { results, wallMs: performance.now() - t0 };
}

// The webhook's two guards, over raw TCP where it matters: the secret is checked before any body
// is read, and a body over 1 MiB is refused (413) while it is still arriving, so the server never
// waits for or buffers it whole. Wrong secrets of every length get 401: the comparison hashes both
// sides first (timingSafeEqual on equal-length digests), so no length makes it throw or differ.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTextUpdate, postUpdate } from "../support/fake-bot-api.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

function inboxCount(): number {
  return t.app.db.prepare("SELECT COUNT(*) FROM inbox").pluck().get() as number;
}

interface RawExchange {
  /** The response's status line and headers and whatever body arrived. */
  response: string;
  /** Body bytes written before the response arrived. */
  bytesWritten: number;
  /** The server closed the connection. */
  closed: Promise<void>;
}

/**
 * Sends a request head, then `chunks()` body pieces one at a time until the server answers; the
 * body is never finished. Resolves with the response once its head has arrived.
 */
function rawRequest(head: string, chunks: () => Buffer | undefined): Promise<RawExchange> {
  const port = Number(new URL(t.baseUrl).port);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let response = "";
    let bytesWritten = 0;
    let answered = false;
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    socket.on("error", () => undefined); // a reset after the answer is fine
    socket.on("data", (data) => {
      response += data.toString("latin1");
      if (!answered && response.includes("\r\n\r\n")) {
        answered = true;
        resolve({ response, bytesWritten, closed });
      }
    });
    const pump = () => {
      if (answered || socket.destroyed) return;
      const chunk = chunks();
      if (!chunk) return;
      bytesWritten += chunk.length;
      socket.write(chunk, () => setImmediate(pump));
    };
    socket.once("connect", () => socket.write(head, "latin1", pump));
    setTimeout(() => !answered && reject(new Error(`no answer after ${bytesWritten} body bytes:\n${response}`)), 20_000).unref();
  });
}

function head(headers: Record<string, string>): string {
  const lines = ["POST /telegram/hook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

describe("webhook body limit", () => {
  it("refuses a declared 100 MB body with 413 before a byte of it is sent, and closes the connection", async () => {
    const before = inboxCount();
    const exchange = await rawRequest(head({ "X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Length": String(100 * 1024 * 1024) }), () => undefined);
    expect(exchange.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(exchange.bytesWritten).toBe(0);
    await exchange.closed;
    expect(inboxCount()).toBe(before);
  });

  it("refuses a chunked body that never ends once it passes 1 MiB, while it is still arriving", async () => {
    const before = inboxCount();
    const piece = Buffer.alloc(64 * 1024, "a");
    const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]);
    let sent = 0;
    // Up to 64 MiB offered, never the closing chunk: only an answer mid-body ends this.
    const exchange = await rawRequest(head({ "X-Telegram-Bot-Api-Secret-Token": SECRET, "Transfer-Encoding": "chunked" }), () => (++sent <= 1024 ? chunk : undefined));
    expect(exchange.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(exchange.response).toMatch(/connection: close/i);
    expect(exchange.bytesWritten).toBeLessThan(64 * 1024 * 1024);
    await exchange.closed;
    expect(inboxCount()).toBe(before);
  });

  it("checks the secret before reading the body: a wrong secret with a huge declared body gets 401 at once", async () => {
    const exchange = await rawRequest(head({ "X-Telegram-Bot-Api-Secret-Token": "wrong", "Content-Length": String(100 * 1024 * 1024) }), () => undefined);
    expect(exchange.response).toMatch(/^HTTP\/1\.1 401 /);
    expect(exchange.bytesWritten).toBe(0);
    // Nor is it drained afterwards: the connection closes (it used to stay open, reading the body).
    await exchange.closed;
  });

  it("still takes a valid update afterwards", async () => {
    const res = await postUpdate(t.webhookUrl, makeTextUpdate(1, 42, "/help"), SECRET);
    expect(res.status).toBe(200);
    await t.api.waitFor(() => t.replies(42).length === 1);
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
  });
});

describe("webhook secret", () => {
  /** Wrong secrets of every length from 0 to 300, and near misses of the right one. */
  function wrongSecrets(): string[] {
    const wrong = new Set<string>();
    for (let n = 0; n <= 300; n++) wrong.add("s".repeat(n));
    for (let n = 1; n < SECRET.length; n++) wrong.add(SECRET.slice(0, n));
    for (let i = 0; i < SECRET.length; i++) wrong.add(`${SECRET.slice(0, i)}${SECRET[i] === "x" ? "y" : "x"}${SECRET.slice(i + 1)}`);
    for (const extra of ["x", "_", "0".repeat(100)]) wrong.add(`${SECRET}${extra}`);
    wrong.add(SECRET.toUpperCase());
    wrong.add(`${SECRET}, ${SECRET}`);
    wrong.delete(SECRET);
    return [...wrong];
  }

  it("answers 401 to every wrong secret, whatever its length, and stores nothing", async () => {
    const before = inboxCount();
    const body = JSON.stringify(makeTextUpdate(9000, 43, "/start"));
    const secrets = wrongSecrets();
    const statuses: Array<[string, number]> = [];
    for (let i = 0; i < secrets.length; i += 25) {
      const batch = secrets.slice(i, i + 25);
      const results = await Promise.all(batch.map(async (secret) => {
        const res = await fetch(t.webhookUrl, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret }, body });
        return [secret, res.status] as [string, number];
      }));
      statuses.push(...results);
    }
    expect(statuses.filter(([, status]) => status !== 401)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(300);
    expect(inboxCount()).toBe(before);
    // The right one is taken.
    expect((await postUpdate(t.webhookUrl, makeTextUpdate(9001, 43, "/start"), SECRET)).status).toBe(200);
  });

  it("answers 401 to secrets with bytes outside ASCII and to a header sent twice", async () => {
    // The declared body once, nothing after it: the server answers from its own thread and closes,
    // and bytes still arriving then would make the kernel reset the connection over the answer.
    const body = () => {
      let sent = false;
      return () => (sent ? undefined : ((sent = true), Buffer.from("{}")));
    };
    for (const value of ["\xff".repeat(SECRET.length), `${SECRET.slice(0, -1)}\xe9`, "\x80"]) {
      const exchange = await rawRequest(head({ "X-Telegram-Bot-Api-Secret-Token": value, "Content-Length": "2" }), body());
      expect(exchange.response).toMatch(/^HTTP\/1\.1 401 /);
    }
    const twice = await rawRequest(
      `POST /telegram/hook HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: ${SECRET}\r\nX-Telegram-Bot-Api-Secret-Token: ${SECRET}\r\nContent-Length: 2\r\n\r\n`,
      body(),
    );
    expect(twice.response).toMatch(/^HTTP\/1\.1 401 /);
  });
});

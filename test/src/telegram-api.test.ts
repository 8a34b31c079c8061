// The Bot API client over its lean fetch, against a real local HTTP server: what reaches the server
// (JSON calls, multipart uploads) and how each kind of answer comes back to delivery (classify).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { GrammyError, HttpError, InputFile } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { createTelegramApi } from "../../src/telegram/api.js";
import { classify } from "../../src/telegram/deliver.js";

type Handler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks), res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (res: http.ServerResponse, status: number, value: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
};

describe("the Telegram API client", () => {
  it("posts a call as JSON to <root>/bot<token>/<method> and returns its result, over one kept-alive connection", async () => {
    const seen: Array<{ url: string; body: unknown; socket: unknown }> = [];
    const root = await serve((req, body, res) => {
      seen.push({ url: req.url!, body: JSON.parse(body.toString("utf8")), socket: req.socket.remotePort });
      json(res, 200, { ok: true, result: { message_id: seen.length, date: 0, chat: { id: 7, type: "private" } } });
    });
    const api = createTelegramApi("123:abc", `${root}/`);
    const first = await api.sendMessage(7, "héllo");
    const second = await api.sendMessage(7, "again");

    expect([first.message_id, second.message_id]).toEqual([1, 2]);
    expect(seen.map((s) => [s.url, s.body])).toEqual([
      ["/bot123:abc/sendMessage", { chat_id: 7, text: "héllo" }],
      ["/bot123:abc/sendMessage", { chat_id: 7, text: "again" }],
    ]);
    expect(seen[1]!.socket).toBe(seen[0]!.socket);
  });

  it("uploads a file as multipart form data", async () => {
    let received = "";
    const root = await serve((req, body, res) => {
      received = `${req.headers["content-type"]}\n${body.toString("utf8")}`;
      json(res, 200, { ok: true, result: { message_id: 1, date: 0, chat: { id: 7, type: "private" } } });
    });
    await createTelegramApi("123:abc", root).sendDocument(7, new InputFile(Buffer.from("kind,title\nbook,Piranesi\n"), "list.csv"));

    expect(received).toMatch(/^multipart\/form-data; boundary=/);
    expect(received).toContain("filename=list.csv");
    expect(received).toContain("kind,title\nbook,Piranesi\n");
  });

  it("turns Telegram's refusals into GrammyErrors that delivery classifies: 429 waits retry_after, 5xx retries, 400 fails", async () => {
    const answers = [
      [429, { ok: false, error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } }],
      [502, { ok: false, error_code: 502, description: "Bad Gateway" }],
      [400, { ok: false, error_code: 400, description: "Bad Request: chat not found" }],
    ] as const;
    let i = 0;
    const root = await serve((_req, _body, res) => {
      const [status, body] = answers[i++]!;
      json(res, status, body);
    });
    const api = createTelegramApi("123:abc", root);
    const outcomes = [];
    for (let n = 0; n < answers.length; n++) {
      const error = await api.sendMessage(7, "x").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GrammyError);
      outcomes.push(classify(error));
    }

    expect(outcomes).toEqual([
      { status: "retry", error: "429: Too Many Requests: retry after 7", retryAfterMs: 7000 },
      { status: "retry", error: "502: Bad Gateway" },
      { status: "failed", error: "400: Bad Request: chat not found" },
    ]);
  });

  it("turns a proxy's error page, a cut-off answer and a refused connection into HttpErrors, retried", async () => {
    let i = 0;
    const root = await serve((_req, _body, res) => {
      if (i++ === 0) {
        res.writeHead(502, { "content-type": "text/html" });
        res.end("<html>Bad Gateway</html>");
      } else {
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        res.write('{"ok":tr');
        res.socket?.destroy();
      }
    });
    const api = createTelegramApi("123:abc", root);
    const errors = [
      await api.sendMessage(7, "x").catch((e: unknown) => e),
      await api.sendMessage(7, "x").catch((e: unknown) => e),
      await createTelegramApi("123:abc", "http://127.0.0.1:1").sendMessage(7, "x").catch((e: unknown) => e),
    ];

    for (const error of errors) {
      expect(error).toBeInstanceOf(HttpError);
      expect(classify(error).status).toBe("retry");
      // The token stays out of the message (grammY's sensitiveLogs is off).
      expect(String((error as Error).message)).not.toContain("123:abc");
    }
  });
});

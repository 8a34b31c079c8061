// /healthz says whether the bot is ready (503 while it starts or stops); /livez only that the
// process answers, so a supervisor restarts a hung bot but not one that is busy recovering.
import { afterEach, describe, expect, it } from "vitest";
import { type HttpServer, startHttpServer } from "../../src/http/server.js";
import { createLogger } from "../../src/log.js";

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe("GET /livez", () => {
  it("answers 200 while /healthz still answers 503, and 200 with it once ready", async () => {
    let ready = false;
    server = await startHttpServer("127.0.0.1", 0, {
      isReady: () => ready,
      metrics: async () => ({ contentType: "text/plain", body: "" }),
    }, createLogger("silent", []));
    const get = async (path: string, method = "GET") => (await fetch(`http://127.0.0.1:${server!.port}${path}`, { method })).status;

    expect(await get("/healthz")).toBe(503);
    expect(await get("/livez")).toBe(200);
    expect(await get("/livez", "HEAD")).toBe(200);
    expect(await get("/livez", "POST")).toBe(404);
    ready = true;
    expect(await get("/healthz")).toBe(200);
    expect(await get("/livez")).toBe(200);
  });
});

// Property test of the front door: random, malformed and hostile bodies interleaved with valid
// updates. The server never answers 5xx for a client's error, never stops, and every valid update
// is stored once and answered.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTextUpdate } from "../support/fake-bot-api.js";
import { SECRET, type TestApp, startTestApp } from "../support/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const junk = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.record({ update_id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({
    update_id: fc.integer({ min: 1_000_000, max: 2_000_000 }),
    message: fc.record({ chat: fc.oneof(fc.record({ id: fc.oneof(fc.string(), fc.double()) }), fc.constant(null)), text: fc.anything() }, { requiredKeys: [] }),
  }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 60 }).map((depth) => "[".repeat(depth * 100) + "]".repeat(depth * 100)),
  fc.constant("x".repeat(200_000)),
);

describe("webhook under random input", () => {
  it("answers every bad body with a 4xx or 200 and still handles the valid ones", async () => {
    let nextValid = 1;
    const validChats: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(junk, fc.constant("VALID")), { minLength: 1, maxLength: 8 }), async (bodies) => {
        const results = await Promise.all(bodies.map(async (body) => {
          const valid = body === "VALID";
          const chat = 500_000 + nextValid;
          const text = valid ? JSON.stringify(makeTextUpdate(nextValid++, chat, "/help")) : body;
          if (valid) validChats.push(chat);
          const res = await fetch(t.webhookUrl, {
            method: "POST",
            headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
            body: text,
          });
          return { valid, status: res.status };
        }));
        for (const r of results) {
          expect(r.status).toBeLessThan(500);
          if (r.valid) expect(r.status).toBe(200);
        }
      }),
      { numRuns: 60, seed: 20261125 },
    );
    await t.api.waitFor(() => validChats.every((chat) => t.replies(chat).length === 1), 20_000);
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
  });
});

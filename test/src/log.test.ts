// Logs never carry a secret, wherever it hides: the message, a field, an error, a nested error.
import { describe, expect, it } from "vitest";
import type pino from "pino";
import { createLogger } from "../../src/log.js";

const TOKEN = "123456:AAE-secret_token";

function capture() {
  const lines: string[] = [];
  const sink = { write: (line: string) => void lines.push(line) } as unknown as pino.DestinationStream;
  return { log: createLogger("debug", [TOKEN, undefined], sink), lines };
}

describe("log", () => {
  it("scrubs the token from messages, fields, errors and nested errors, and keeps error types", () => {
    const { log, lines } = capture();
    const inner = new Error(`fetch https://api.telegram.org/bot${TOKEN}/getMe failed`);
    const outer = Object.assign(new TypeError(`outer ${TOKEN}`), { error: inner });
    log.error({ err: outer, url: `https://x/bot${TOKEN}/m`, list: [TOKEN] }, `failed for ${TOKEN}`);
    log.warn(`plain ${TOKEN}`);
    const text = lines.join("\n");
    expect(text).not.toContain(TOKEN);
    expect(text).toContain("[redacted]");
    const first = JSON.parse(lines[0]!);
    expect(first.err.type).toBe("TypeError");
    expect(first.err.error.message).toContain("bot[redacted]/getMe");
  });
});

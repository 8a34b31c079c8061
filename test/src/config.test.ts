// Configuration: defaults, and one clear line naming each bad variable.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, requireToken } from "../../src/config.js";

describe("config", () => {
  it("applies the contract's defaults", () => {
    const config = parseConfig({ TELEGRAM_BOT_TOKEN: "123:abc" });
    expect(config).toMatchObject({
      TELEGRAM_API_ROOT: "https://api.telegram.org",
      HOST: "127.0.0.1",
      PORT: 8080,
      DATABASE_PATH: "./data/media-tracker.db",
      LOG_LEVEL: "info",
      TELEGRAM_RATE_LIMIT: "on",
    });
    expect(config.WEBHOOK_URL).toBeUndefined();
    expect(config.ALLOWED_USER_IDS).toBeUndefined();
  });

  it("listens on this machine only in polling mode, on every interface in webhook mode, unless HOST says otherwise", () => {
    expect(parseConfig({}).HOST).toBe("127.0.0.1");
    expect(parseConfig({ HOST: " " }).HOST).toBe("127.0.0.1");
    expect(parseConfig({ WEBHOOK_URL: "https://example.com/hook", WEBHOOK_SECRET: "s" }).HOST).toBe("0.0.0.0");
    expect(parseConfig({ HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
    expect(parseConfig({ HOST: "::1", WEBHOOK_URL: "https://example.com/hook", WEBHOOK_SECRET: "s" }).HOST).toBe("::1");
  });

  it("treats empty variables from .env as unset", () => {
    const config = parseConfig({ TELEGRAM_BOT_TOKEN: "123:abc", WEBHOOK_URL: "", ALLOWED_USER_IDS: " ", OPENAI_API_KEY: "" });
    expect(config.WEBHOOK_URL).toBeUndefined();
    expect(config.ALLOWED_USER_IDS).toBeUndefined();
    expect(config.OPENAI_API_KEY).toBeUndefined();
  });

  it("keeps everything in PostgreSQL with DATABASE_URL, and never repeats it in an error", () => {
    expect(parseConfig({}).DATABASE_URL).toBeUndefined();
    expect(parseConfig({ DATABASE_URL: " " }).DATABASE_URL).toBeUndefined();
    for (const url of ["postgres://bot:pw@db:5432/media", "postgresql://db/media?sslmode=require", "postgres:///media?host=/var/run/postgresql"]) {
      expect(parseConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    }
    expect(parseConfig({ DATABASE_URL: "postgres://bot:pw@db/media", BACKUP_EVERY_HOURS: "off" }).BACKUP_EVERY_HOURS).toBeUndefined();
    expect(() => parseConfig({ DATABASE_URL: "mysql://bot:s3cret@db/media" })).toThrow(expect.objectContaining({ message: expect.not.stringContaining("s3cret") }));
  });

  it("reads the allowlist as a set of ids", () => {
    expect(parseConfig({ ALLOWED_USER_IDS: "1, 22,333" }).ALLOWED_USER_IDS).toEqual(new Set(["1", "22", "333"]));
  });

  it.each([
    [{ PORT: "eighty" }, "PORT must be a port number"],
    [{ PORT: "70000" }, "PORT must be a port number"],
    [{ TELEGRAM_BOT_TOKEN: "nope" }, "TELEGRAM_BOT_TOKEN must look like"],
    [{ WEBHOOK_URL: "https://example.com/hook" }, "WEBHOOK_SECRET is required when WEBHOOK_URL is set"],
    [{ WEBHOOK_URL: "https://example.com/hook", WEBHOOK_SECRET: "has space" }, "WEBHOOK_SECRET must be"],
    [{ WEBHOOK_URL: "not a url", WEBHOOK_SECRET: "s" }, "WEBHOOK_URL"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ TELEGRAM_RATE_LIMIT: "maybe" }, "TELEGRAM_RATE_LIMIT"],
    [{ ALLOWED_USER_IDS: "alice,bob" }, "ALLOWED_USER_IDS must be comma-separated numeric"],
    [{ DATABASE_URL: "mysql://bot:pw@db/media" }, "DATABASE_URL must be a postgres:// or postgresql:// URL"],
    [{ DATABASE_URL: "./data/media-tracker.db" }, "DATABASE_URL must be a postgres:// or postgresql:// URL"],
    [{ DATABASE_URL: "postgres://bot:pw@db/media", BACKUP_EVERY_HOURS: "24" }, "BACKUP_EVERY_HOURS is for the SQLite file only"],
  ])("names the bad variable in one line: %j", (env, expected) => {
    try {
      parseConfig(env as NodeJS.ProcessEnv);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(expected);
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it("requires the token only where Telegram is needed", () => {
    const config = parseConfig({});
    expect(() => requireToken(config)).toThrow(/TELEGRAM_BOT_TOKEN is required/);
  });
});

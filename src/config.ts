// Reads the configuration from the environment (and .env via dotenv), validated with zod.
// A missing or malformed variable becomes one line naming it; nothing else reads process.env.
import { z } from "zod";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const schema = z
  .object({
    TELEGRAM_BOT_TOKEN: optionalText.pipe(
      z.string().regex(/^\d+:[\w-]+$/, "must look like 123456:ABC-def (the token BotFather gave you)").optional(),
    ),
    TELEGRAM_API_ROOT: z.url({ protocol: /^https?$/ }).default("https://api.telegram.org"),
    WEBHOOK_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    WEBHOOK_SECRET: optionalText.pipe(
      z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "must be 1-256 characters of A-Z, a-z, 0-9, _ and -").optional(),
    ),
    // Unset: 127.0.0.1 in polling mode (only /healthz and /metrics listen, for this machine), 0.0.0.0
    // in webhook mode (a reverse proxy, maybe in another container, forwards Telegram's POSTs).
    HOST: optionalText,
    PORT: z.coerce
      .number({ error: "must be a port number from 0 to 65535" })
      .int({ error: "must be a port number from 0 to 65535" })
      .min(0, { error: "must be a port number from 0 to 65535" })
      .max(65535, { error: "must be a port number from 0 to 65535" })
      .default(8080),
    DATABASE_PATH: z.string().min(1).default("./data/media-tracker.db"),
    // Set: everything lives in PostgreSQL (replicas may share it) and DATABASE_PATH is ignored.
    DATABASE_URL: optionalText.pipe(
      z.string().refine(isPostgresUrl, "must be a postgres:// or postgresql:// URL, like postgres://user:password@host:5432/media_tracker").optional(),
    ),
    OPENAI_API_KEY: optionalText,
    OPENAI_BASE_URL: optionalText.pipe(z.url().optional()),
    OPENAI_MODEL: z.string().min(1).default("gpt-4o-mini"),
    OPENAI_TIMEOUT_SECONDS: z.coerce
      .number({ error: "must be a number of seconds (more than 0)" })
      .positive({ error: "must be more than 0 seconds" })
      .max(600, { error: "must be at most 600 seconds" })
      .default(30),
    ALLOWED_USER_IDS: optionalText.pipe(
      z
        .string()
        .regex(/^\s*-?\d+\s*(,\s*-?\d+\s*)*$/, "must be comma-separated numeric Telegram user ids")
        .transform((v) => new Set(v.split(",").map((id) => id.trim())))
        .optional(),
    ),
    LOG_LEVEL: z.enum(logLevels).default("info"),
    TELEGRAM_RATE_LIMIT: z.enum(["on", "off"]).default("on"),
    DIALOG_TIMEOUT_MINUTES: z.coerce
      .number({ error: "must be a number of minutes (at least 1)" })
      .int({ error: "must be a whole number of minutes" })
      .min(1, { error: "must be at least 1 minute" })
      .default(24 * 60),
    // Title lookup (src/metadata/): providers, their roots, and how often shows are checked.
    METADATA: z.enum(["on", "off"]).default("on"),
    TMDB_API_KEY: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{16,2048}$/, "must be a TMDB v3 API key or v4 read access token (themoviedb.org, Settings → API)")
        .optional(),
    ),
    TMDB_API_ROOT: z.url({ protocol: /^https?$/ }).default("https://api.themoviedb.org/3"),
    OPENLIBRARY_ROOT: z.url({ protocol: /^https?$/ }).default("https://openlibrary.org"),
    TVMAZE_API_ROOT: z.url({ protocol: /^https?$/ }).default("https://api.tvmaze.com"),
    EPISODE_CHECK_HOURS: z.coerce
      .number({ error: "must be a number of hours (more than 0, decimals allowed)" })
      .positive({ error: "must be more than 0 hours" })
      .max(24 * 365, { error: "must be at most 8760 hours (a year)" })
      .default(24),
    // Scheduled online backups of the database (src/backup/): off unless BACKUP_EVERY_HOURS is set.
    BACKUP_EVERY_HOURS: z.preprocess(
      (v) => (typeof v === "string" && /^\s*(off)?\s*$/i.test(v) ? undefined : v),
      z.coerce
        .number({ error: "must be a number of hours (more than 0, decimals allowed), or off" })
        .positive({ error: "must be more than 0 hours (or off)" })
        .max(24 * 365, { error: "must be at most 8760 hours (a year)" })
        .optional(),
    ),
    BACKUP_DIR: z.string().min(1).default("./data/backups"),
    BACKUP_KEEP: z.coerce
      .number({ error: "must be a whole number of backups to keep (at least 1)" })
      .int({ error: "must be a whole number of backups to keep" })
      .min(1, { error: "must keep at least 1 backup" })
      .max(10_000, { error: "must be at most 10000 backups" })
      .default(7),
    TELEGRAM_FILE_TIMEOUT_SECONDS: z.coerce
      .number({ error: "must be a number of seconds (more than 0)" })
      .positive({ error: "must be more than 0 seconds" })
      .max(600, { error: "must be at most 600 seconds" })
      .default(30),
  })
  .superRefine((env, ctx) => {
    if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET) {
      ctx.addIssue({ code: "custom", path: ["WEBHOOK_SECRET"], message: "is required when WEBHOOK_URL is set" });
    }
    // Scheduled backups copy the SQLite file: with PostgreSQL they would silently back up nothing.
    if (env.DATABASE_URL && env.BACKUP_EVERY_HOURS !== undefined) {
      ctx.addIssue({
        code: "custom", path: ["BACKUP_EVERY_HOURS"],
        message: "is for the SQLite file only; with DATABASE_URL set it to off and back PostgreSQL up with pg_dump",
      });
    }
  })
  .transform(({ HOST, ...env }) => ({ ...env, HOST: HOST ?? (env.WEBHOOK_URL ? "0.0.0.0" : "127.0.0.1") }));

export type Config = z.infer<typeof schema>;

/** postgres://… or postgresql://…, as the pg driver reads them (a socket folder may stand for the host). */
export function isPostgresUrl(value: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Validates an environment; throws a ConfigError whose message names each bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "configuration");
    const shown = issue.code === "invalid_type" && env[name] === undefined ? "is required" : issue.message;
    return `${name} ${shown}`;
  });
  throw new ConfigError(`Invalid configuration: ${lines.join("; ")}. See .env.example.`);
}

/** The bot token is needed to talk to Telegram; the console chat runs without it. */
export function requireToken(config: Config): string {
  if (!config.TELEGRAM_BOT_TOKEN) {
    throw new ConfigError(
      "Invalid configuration: TELEGRAM_BOT_TOKEN is required (create a bot with @BotFather). See .env.example.",
    );
  }
  return config.TELEGRAM_BOT_TOKEN;
}

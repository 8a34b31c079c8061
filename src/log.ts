// Structured logs (pino). Secrets given to createLogger are scrubbed from every line, whatever
// carries them: a message, an error's text or stack, or a nested field (grammY errors hold URLs).
import pino from "pino";

export type AppLogger = pino.Logger;

export function createLogger(level: string, secrets: Array<string | undefined>, destination?: pino.DestinationStream): AppLogger {
  const words = secrets.filter((s): s is string => typeof s === "string" && s.length >= 6);
  const scrub = (text: string) => words.reduce((t, w) => t.split(w).join("[redacted]"), text);
  return pino(
    {
      level,
      base: undefined,
      serializers: { err: (err: unknown) => scrubDeep(pino.stdSerializers.err(err as Error), scrub) },
      hooks: {
        logMethod(args, method) {
          // Errors are left to the err serializer (which scrubs them), so they keep their type.
          method.apply(this, args.map((a) => scrubDeep(a, scrub, 0, true)) as Parameters<typeof method>);
        },
      },
      formatters: { log: (obj) => scrubDeep(obj, scrub, 0, true) as Record<string, unknown> },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

function scrubDeep(value: unknown, scrub: (s: string) => string, depth = 0, keepErrors = false): unknown {
  if (typeof value === "string") return scrub(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    if (keepErrors) return value;
    const copy: Record<string, unknown> = { type: value.name, message: scrub(value.message) };
    if (value.stack) copy.stack = scrub(value.stack);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub, depth + 1, keepErrors));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, scrub, depth + 1, keepErrors);
  return out;
}

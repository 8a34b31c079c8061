// How the runtime reports what happens (for logs and metrics) without knowing who listens.

/** The subset of a pino-style logger the runtime uses. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Counters the application may turn into metrics. Every callback is optional. */
export interface RuntimeEvents {
  accepted?(kind: string, outcome: "stored" | "duplicate"): void;
  processed?(kind: string, durationMs: number): void;
  failed?(kind: string, willRetry: boolean): void;
  parked?(kind: string): void;
  sendSucceeded?(): void;
  sendRetried?(): void;
  sendFailed?(): void;
  /** Sends found half-done after a crash and sent again (the at-least-once window). */
  sendsResentAfterCrash?(count: number): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

// Polling mode with replicas: Telegram hands updates to one getUpdates caller at a time, so one
// process polls and the others stand by. The poller holds a session advisory lock on a connection of
// its own; the lock lives exactly as long as that session. A standby tries to take it every
// `retryMs`. When the holder dies, the server ends its session (a killed process's socket closes at
// once; a vanished host is found by TCP keepalives within about 11 s), the lock is free, and a
// standby takes over at its next try. The holder pings its session as often, and stops polling as
// soon as the session fails, before another process can have taken the lock.
//
// Updates are not lost in a takeover: the old poller moved Telegram's offset only past updates it had
// stored, so the new one receives the rest again and the inbox drops repeats. Telegram may answer
// the new poller 409 (a conflict) while the old poller's last long poll is still open on its side:
// in this mode the poll loop must wait and retry on 409 instead of stopping.
import pg from "pg";
import { POLLER_LOCK_SPACE } from "./replica-sql.js";

export interface PollerLockOptions {
  /** Where to hold the lock: a connection of its own, never one of the store's pool. */
  connection: pg.ClientConfig;
  /** This process holds the lock now: start polling. */
  onAcquired(): void;
  /** The lock's session failed: stop polling now, another process may take over. Not called by `stop`. */
  onLost(): void;
  /** The connection failed (to log); the lock keeps trying by itself. */
  onConnectionError?(error: unknown): void;
  /** How often a standby tries the lock, and the holder checks its session. Default 3 s. */
  retryMs?: number;
  /** Which lock: one per bot token when several bots share a database. Default 1. */
  lockId?: number;
}

export class PollerLock {
  private stopped = false;
  private stop$!: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.stop$ = resolve));
  private loop: Promise<void> | undefined;
  private held = false;

  constructor(private readonly options: PollerLockOptions) {}

  /** Starts competing for the lock, in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /** True while this process holds the lock (and should poll). */
  get holding(): boolean {
    return this.held;
  }

  /** Stops competing; a held lock is given up with the session, so a standby takes over at its next try. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stop$();
    await this.loop;
  }

  private get retryMs(): number {
    return this.options.retryMs ?? 3000;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const client = new pg.Client({ application_name: "mt-poller-lock", keepAlive: true, ...this.options.connection });
      // Without a listener, a connection error while idle would be thrown as uncaught.
      const dropped = new Promise<Error>((resolve) => {
        client.on("error", resolve);
        client.on("end", () => resolve(new Error("the poller lock's connection ended")));
      });
      try {
        await client.connect();
        // The server finds a holder whose host vanished in seconds, not after the OS's two hours.
        // (Ignored on a Unix socket, where the peer's end is always seen.)
        await client.query(`SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3`);
        if (!(await this.waitForLock(client, dropped))) continue;
        this.held = true;
        this.options.onAcquired();
        const failure = await Promise.race([dropped, this.pingUntilFailure(client), this.stopSignal]);
        if (!this.stopped) throw failure;
      } catch (error) {
        if (!this.stopped) this.options.onConnectionError?.(error);
      } finally {
        if (this.held) {
          this.held = false;
          if (!this.stopped) this.options.onLost();
        }
        // Ending the session gives the lock up.
        await client.end().catch(() => undefined);
      }
      if (!this.stopped) await Promise.race([sleep(this.retryMs), this.stopSignal]);
    }
  }

  /** Tries the lock every retryMs until it is ours (true) or the process stops (false); throws when the connection drops. */
  private async waitForLock(client: pg.Client, dropped: Promise<Error>): Promise<boolean> {
    while (!this.stopped) {
      const result = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1, $2) AS locked`, [
        POLLER_LOCK_SPACE,
        this.options.lockId ?? 1,
      ]);
      if (result.rows[0]?.locked) return true;
      const failure = await Promise.race([sleep(this.retryMs).then(() => undefined), dropped, this.stopSignal]);
      if (failure) throw failure;
    }
    return false;
  }

  /** Resolves with an error once the session stops answering (a drop the socket has not reported). */
  private async pingUntilFailure(client: pg.Client): Promise<Error | undefined> {
    while (!this.stopped && this.held) {
      await Promise.race([sleep(this.retryMs), this.stopSignal]);
      if (this.stopped || !this.held) break;
      const answered = await Promise.race([
        client.query("SELECT 1").then(() => true, () => false),
        sleep(this.retryMs).then(() => false),
      ]);
      if (!answered) return new Error(`the poller lock's session did not answer within ${this.retryMs} ms`);
    }
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

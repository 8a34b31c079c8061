// Wake-ups across processes: the process that stores work for a chat another process holds tells
// that process with PostgreSQL's NOTIFY, sent in the storing transaction, so it is delivered only
// if, and once, the work is committed. Every process listens on one dedicated connection and wakes
// the chat when it holds it (ChatLeases.epochOf).
//
// Why no wake-up is lost: `notifyHolder` locks the chat's lease row (FOR KEY SHARE) until the storing
// transaction commits, so the chat cannot change hands in between: the holder it names is the holder
// at commit, which then reads the new work; anyone taking the chat later reads the table as it
// starts. When no other live process holds the chat, the storing process wakes it itself after the
// commit: it acquires the lease, or, should another process have taken the chat meanwhile, sends it
// `notifyWake`. A listening connection that drops loses the notifications sent while it is down:
// after it is back, `onMissedWakeUps` asks the runtime to look at every chat it holds.
import pg from "pg";
import type { Sql, Tx } from "../store.js";
import { DB_NOW_MS, requirePostgres } from "./replica-sql.js";

/** The channel every process listens on; the payload is the agent key. */
export const WAKE_CHANNEL = "mt_wake";

/**
 * In the unit that stored work for `agentKey` (an accepted message, a fired timer): when another
 * live process holds the chat, notifies it (delivered at commit; repeats within one transaction are
 * delivered once) and returns true. False: the chat is `holder`'s own or free; wake it here once the
 * unit has committed.
 */
export async function notifyHolder(tx: Tx, agentKey: string, holder: string): Promise<boolean> {
  requirePostgres(tx, "notifyHolder");
  const row = await tx.get<{ notified: number }>(
    `SELECT 1 AS notified, pg_notify('${WAKE_CHANNEL}', agent_key) FROM chat_leases
     WHERE agent_key = ? AND holder <> ? AND holder <> '' AND expires_at_ms > ${DB_NOW_MS}
     FOR KEY SHARE`,
    [agentKey, holder],
  );
  return row !== undefined;
}

/** Outside a unit: wakes whichever process holds `agentKey` (acquire found it taken by another). */
export async function notifyWake(sql: Sql, agentKey: string): Promise<void> {
  requirePostgres(sql, "notifyWake");
  await sql.run(`SELECT pg_notify('${WAKE_CHANNEL}', ?)`, [agentKey]);
}

export interface WakeListenerOptions {
  /** Where to listen: a connection of its own, never one of the store's pool. */
  connection: pg.ClientConfig;
  /** A chat has new work. Called for every chat notified: wake it if this process holds it. */
  onWake(agentKey: string): void;
  /** The listening connection was lost and is back: wake-ups sent meanwhile are gone; look at every chat held. */
  onMissedWakeUps(): void;
  /** The connection failed (logged by the caller); the listener reconnects by itself. */
  onConnectionError?(error: unknown): void;
  /** Wait between reconnection attempts. Default 1 s. */
  reconnectMs?: number;
  /** A connection that does not answer a ping within this long is taken for dead. Default 5 s. */
  pingMs?: number;
}

export class WakeListener {
  private stopped = false;
  private stop$!: () => void;
  private readonly stopSignal = new Promise<void>((resolve) => (this.stop$ = resolve));
  private client: pg.Client | undefined;
  private loop: Promise<void> | undefined;
  private connections = 0;

  constructor(private readonly options: WakeListenerOptions) {}

  /**
   * Starts listening; resolves once the first attempt is over. When it failed, the listener keeps
   * trying and reports missed wake-ups once it is in place.
   */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.loop = this.run(resolve);
    });
  }

  /** True while a listening connection is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Stops listening and closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stop$();
    await this.loop;
  }

  private async run(started: () => void): Promise<void> {
    while (!this.stopped) {
      const client = new pg.Client({ application_name: "mt-wake-listener", keepAlive: true, ...this.options.connection });
      // Without a listener, a connection error while idle would be thrown as uncaught.
      const dropped = new Promise<unknown>((resolve) => {
        client.on("error", resolve);
        client.on("end", () => resolve(new Error("the listening connection ended")));
      });
      client.on("notification", (message) => {
        if (message.channel === WAKE_CHANNEL && message.payload) this.options.onWake(message.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${WAKE_CHANNEL}`);
        this.client = client;
        if (this.connections++ > 0) this.options.onMissedWakeUps();
        started();
        const failure = await Promise.race([dropped, this.pingUntilFailure(client), this.stopSignal]);
        if (!this.stopped) throw failure;
      } catch (error) {
        // A failed first attempt counts as a drop too: what was sent before the retry succeeds is missed.
        if (this.connections === 0) this.connections = 1;
        if (!this.stopped) this.options.onConnectionError?.(error);
      } finally {
        this.client = undefined;
        await client.end().catch(() => undefined);
      }
      // Start-up goes on without a listener when the first attempt failed; the retries go on behind it.
      started();
      if (!this.stopped) await Promise.race([sleep(this.options.reconnectMs ?? 1000), this.stopSignal]);
    }
  }

  /** Resolves with an error once the connection stops answering (a drop the socket has not reported). */
  private async pingUntilFailure(client: pg.Client): Promise<unknown> {
    const pingMs = this.options.pingMs ?? 5000;
    while (!this.stopped && this.client === client) {
      await Promise.race([sleep(pingMs), this.stopSignal]);
      if (this.stopped || this.client !== client) break;
      const answered = await Promise.race([
        client.query("SELECT 1").then(() => true, () => false),
        sleep(pingMs).then(() => false),
      ]);
      if (!answered) return new Error(`the listening connection did not answer a ping within ${pingMs} ms`);
    }
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// LISTEN on one dedicated connection for the whole store, re-connected after a drop. A notification
// is a hint, never the truth: one sent while the connection was down is lost, so every subscriber
// hears `onReconnect` and reads the tables again for what it may have missed.
import pg from "pg";
import { StoreUnavailableError } from "../errors.js";
import { asStoreError } from "./postgres-sql.js";

export interface Subscription {
  onNotify(payload: string): void;
  /** The connection came back after a drop: notifications sent meanwhile were lost. */
  onReconnect?(): void;
}

/** The first wait before re-connecting, doubled after each failure up to the longest. */
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5_000;

/** Channel names go into LISTEN as quoted identifiers: keep them plain. */
const CHANNEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export class PostgresListener {
  private readonly channels = new Map<string, Set<Subscription>>();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private closed = false;

  constructor(private readonly config: pg.ClientConfig) {}

  /**
   * Subscribes to `channel`; resolves once the LISTEN is in place, with the function that ends the
   * subscription. Rejects with StoreUnavailableError when the server cannot be reached now (then
   * nothing is kept); after that, drops are re-connected for as long as the listener is open.
   */
  async listen(channel: string, subscription: Subscription): Promise<() => Promise<void>> {
    if (!CHANNEL_NAME.test(channel)) throw new Error(`"${channel}" is not a channel name: use letters, digits and _.`);
    if (this.closed) throw new Error("The store is closed; no more subscriptions are taken.");
    let subscribers = this.channels.get(channel);
    const isNew = subscribers === undefined;
    if (!subscribers) {
      subscribers = new Set();
      this.channels.set(channel, subscribers);
    }
    subscribers.add(subscription);
    try {
      const client = await this.connected();
      // A re-connection LISTENs to every channel in the map anyway; twice is harmless.
      if (isNew) await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      this.forget(channel, subscription);
      throw asUnavailable(error);
    }
    return () => this.unlisten(channel, subscription);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.channels.clear();
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async unlisten(channel: string, subscription: Subscription): Promise<void> {
    if (!this.forget(channel, subscription)) return;
    // The channel has no subscriber left. A dropped connection has forgotten it already.
    await this.client?.query(`UNLISTEN "${channel}"`).catch(() => undefined);
  }

  /** Removes a subscription; true when its channel has no subscriber left. */
  private forget(channel: string, subscription: Subscription): boolean {
    const subscribers = this.channels.get(channel);
    if (!subscribers?.delete(subscription) || subscribers.size > 0) return false;
    this.channels.delete(channel);
    return true;
  }

  /** The live connection, connecting first when there is none. */
  private connected(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    // Without a listener an 'error' event would end the process; a drop is handled below.
    client.on("error", () => this.dropped(client));
    client.on("end", () => this.dropped(client));
    client.on("notification", (message) => {
      for (const subscriber of this.channels.get(message.channel) ?? []) {
        try {
          subscriber.onNotify(message.payload ?? "");
        } catch (error) {
          // Thrown into pg's socket handler it would break the connection for every subscriber.
          process.emitWarning(`A notification handler for "${message.channel}" threw: ${String(error)}`);
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error("The store is closed.");
    }
    this.client = client;
    return client;
  }

  /** The connection was lost: re-connect (with growing waits) while anyone listens. */
  private dropped(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer || this.channels.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connected().then(
        () => {
          this.retryMs = FIRST_RETRY_MS;
          for (const subscribers of this.channels.values()) for (const subscriber of subscribers) subscriber.onReconnect?.();
        },
        () => {
          this.retryMs = Math.min(this.retryMs * 2, LONGEST_RETRY_MS);
          this.scheduleReconnect();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }
}

function asUnavailable(error: unknown): unknown {
  const mapped = asStoreError(error);
  if (mapped instanceof StoreUnavailableError) return mapped;
  // The connection for notifications failed at its start: whatever the cause, the database is what failed.
  if (error instanceof Error && !(error instanceof pg.DatabaseError)) {
    return new StoreUnavailableError(`Could not listen for notifications: ${error.message}`, { cause: error });
  }
  return error;
}

// A runtime around one handler and one message, for the step tests.
import { type AgentContext, defineAgent } from "../../runtime/index.js";
import type { Database } from "../support/temp-database.js";
import { type FakeClock, type Fixture, freshKey, inboxStatus, recordingDeliver } from "./harness.js";

export type Handler = (ctx: AgentContext<Record<string, unknown>>) => Promise<void>;

export interface RunOneOptions {
  clock?: FakeClock;
  maxAttempts?: number;
  /** Runs on the new database before the runtime starts (e.g. to create a table for ctx.write). */
  setupDb?: (db: Database) => void;
}

/** Returns `runOne`: starts a runtime around `handle` and accepts one message for a fresh key. */
export function oneMessageRunner(fixture: Fixture) {
  return async function runOne(handle: Handler, options: RunOneOptions = {}) {
    const temp = await fixture.temp();
    options.setupDb?.(temp.db);
    const delivery = recordingDeliver();
    const agent = defineAgent<Record<string, unknown>>({ name: "steps", stateVersion: 1, initialState: () => ({}), handle });
    const { runtime } = await fixture.start({
      store: temp.store,
      agent,
      deliver: delivery.deliver,
      clock: options.clock,
      maxAttempts: options.maxAttempts,
    });
    const key = freshKey();
    const id = freshKey("m");
    await runtime.accept([{ id, agentKey: key, kind: "text", payload: "hi" }]);
    return { temp, db: temp.db, runtime, key, id, delivery };
  };
}

/** Waits until the message is done or parked, its retries' delays passing on the fixture's virtual time. */
export function finished(fixture: Fixture, db: Database, id: string): Promise<void> {
  return fixture.waitFor(() => {
    const status = inboxStatus(db, id);
    return status === "done" || status === "parked";
  }, 60_000, `message ${id} finished`);
}

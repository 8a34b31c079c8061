import { describe, expect, it } from "vitest";
import { defineAgent } from "../../runtime/index.js";
import { waitFor } from "../support/wait-for.js";
import { deferred, freshKey, inboxStatus, recordingDeliver, useRuntimeFixture } from "./harness.js";

const fixture = useRuntimeFixture();

describe("retention", () => {
  it("deletes finished messages, their journals, sent rows and spent timers past the period, and nothing pending", async () => {
    const temp = await fixture.temp();
    const key = freshKey();
    const now = { value: 1_000_000 };
    const gate = deferred<void>();
    const agent = defineAgent<object>({
      name: "retention", stateVersion: 1, initialState: () => ({}),
      async handle(ctx) {
        ctx.now();
        ctx.send({ text: "hi" });
        if (ctx.message.payload === "block") await gate.promise;
      },
    });
    const { runtime } = await fixture.start({ store: temp.store, agent, deliver: recordingDeliver().deliver, clock: { now: () => now.value }, retentionMs: 1000 });
    await runtime.accept([{ id: `${key}-old`, agentKey: key, kind: "text", payload: "x" }]);
    await waitFor(() => inboxStatus(temp.db, `${key}-old`) === "done");
    await waitFor(() => temp.db.prepare("SELECT status FROM outbox").pluck().get() === "sent");
    now.value += 5000;
    await runtime.accept([{ id: `${key}-new`, agentKey: key, kind: "text", payload: "block" }]);

    const report = await runtime.prune();
    expect(report).toMatchObject({ inbox: 1, outbox: 1 });
    expect(report.journal).toBeGreaterThanOrEqual(2);
    const ids = temp.db.prepare("SELECT id FROM inbox").pluck().all();
    expect(ids).toEqual([`${key}-new`]);
    gate.resolve();
  });
});

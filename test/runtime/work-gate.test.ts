// The work gate bounds handlers running at once; a handler waiting on the outside world gives its
// place back, so slow calls never hold up other agents' messages.
import { describe, expect, it } from "vitest";
import { WorkGate } from "../../runtime/work-gate.js";

describe("WorkGate", () => {
  it("lets `limit` in at once and the rest in arrival order as places free up", async () => {
    const gate = new WorkGate(2);
    const order: number[] = [];
    expect(gate.enter()).toBeUndefined();
    expect(gate.enter()).toBeUndefined();
    const third = gate.enter()!.then(() => order.push(3));
    const fourth = gate.enter()!.then(() => order.push(4));
    expect([gate.busy, gate.queued]).toEqual([2, 2]);
    gate.leave();
    await third;
    expect(order).toEqual([3]);
    gate.leave();
    await fourth;
    expect(order).toEqual([3, 4]);
    gate.leave();
    gate.leave();
    expect([gate.busy, gate.queued]).toEqual([0, 0]);
  });

  it("frees the place while work outside runs, and takes one back after", async () => {
    const gate = new WorkGate(1);
    gate.enter();
    let release!: () => void;
    const slow = gate.outside(() => new Promise<string>((r) => (release = () => r("answer"))));
    // The place is free while the slow call waits: another handler gets in.
    expect(gate.enter()).toBeUndefined();
    let back = false;
    const returned = slow.then((v) => {
      back = true;
      return v;
    });
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(back).toBe(false); // waits for the other handler to leave
    gate.leave();
    await expect(returned).resolves.toBe("answer");
    expect(gate.busy).toBe(1);
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => new WorkGate(0)).toThrow(/positive integer/);
    expect(() => new WorkGate(1.5)).toThrow(/positive integer/);
  });
});

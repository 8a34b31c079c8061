// The replay cursor alone: no database, no committer, no clock. Positions, recorded steps, name
// checks, replay-only mode, and the sentences for ctx calls made out of turn.
import { describe, expect, it } from "vitest";
import { NonDeterminismError, PermanentError, StepMisuseError } from "../../runtime/index.js";
import type { JournalEntry } from "../../runtime/journal.js";
import { ReplayCursor, replayResult } from "../../runtime/replay-cursor.js";

function journal(...steps: Array<[string, unknown]>): Map<number, JournalEntry> {
  return new Map(steps.map(([stepName, v], seq) => [seq, { seq, stepName, outputJson: JSON.stringify({ v }), errorJson: null }]));
}

describe("ReplayCursor", () => {
  it("hands out positions in order and returns what the journal holds at each", () => {
    const cursor = new ReplayCursor("m1", journal(["now", 42], ["send", null]));
    const first = cursor.take("now", "ctx.now()");
    expect(first.seq).toBe(0);
    expect(replayResult(first.recorded!)).toBe(42);
    expect(cursor.take("send", "ctx.send()")).toMatchObject({ seq: 1, recorded: { stepName: "send" } });
    // Past the journal's end: a new step, to be run.
    expect(cursor.take("run:lookup", 'ctx.run("lookup")')).toEqual({ seq: 2, recorded: undefined });
    expect(cursor.steps).toBe(3);
  });

  it("refuses a step whose name differs from the journal's at that position", () => {
    const cursor = new ReplayCursor("m1", journal(["now", 1], ["run:lookup", "x"]));
    cursor.take("now", "ctx.now()");
    const error = catchError(() => cursor.take("run:search", 'ctx.run("search")'));
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect((error as Error).message).toBe('Bad replay of message m1: step 1 is "run:lookup" in the journal, but the code asked for "run:search".');
  });

  it("in replay-only mode, refuses a step the journal does not hold", () => {
    const cursor = new ReplayCursor("m1", journal(["now", 1]), true);
    cursor.take("now", "ctx.now()");
    expect(() => cursor.take("send", "ctx.send()")).toThrow(/step 1 is "\(nothing\)" in the journal, but the code asked for "send"/);
  });

  it("gives a recorded error back as a PermanentError with its message", () => {
    const entry: JournalEntry = { seq: 0, stepName: "run:x", outputJson: null, errorJson: JSON.stringify({ name: "Error", message: "no such title" }) };
    const error = catchError(() => replayResult(entry));
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toBe("no such title");
    // A recorded undefined survives the round trip.
    expect(replayResult({ seq: 0, stepName: "run:x", outputJson: JSON.stringify({ v: undefined }), errorJson: null })).toBeUndefined();
  });

  it("refuses a ctx call made while a run step is still running, naming both", () => {
    const cursor = new ReplayCursor("m7", new Map());
    const run = cursor.begin("run:lookup", 'ctx.run("lookup")');
    const error = catchError(() => cursor.take("now", "ctx.now()"));
    expect(error).toBeInstanceOf(StepMisuseError);
    expect((error as Error).message).toBe(
      'ctx.now() was called while ctx.run("lookup") was still running (message m7): await each ctx call before the next, and make none inside a step\'s function.',
    );
    // The refused call took no position.
    expect(cursor.steps).toBe(1);
    run.done();
    expect(cursor.take("now", "ctx.now()").seq).toBe(1);
  });

  it("refuses a second awaiting step started before the first is done (two runs not awaited in turn)", () => {
    const cursor = new ReplayCursor("m1", new Map());
    cursor.begin("write:a", 'ctx.write("a")');
    expect(() => cursor.begin("write:b", 'ctx.write("b")')).toThrow('ctx.write("b") was called while ctx.write("a") was still running');
  });

  it("refuses every call after the handler returned, and says the call was not recorded", () => {
    const cursor = new ReplayCursor("m2", new Map());
    cursor.take("now", "ctx.now()");
    cursor.close();
    const error = catchError(() => cursor.take("send", "ctx.send()"));
    expect(error).toBeInstanceOf(StepMisuseError);
    expect((error as Error).message).toBe("ctx.send() was called after the handler of message m2 returned: a ctx call was not awaited, and it is not recorded.");
    expect(() => cursor.checkOpen('ctx.run("late")')).toThrow(StepMisuseError);
    expect(cursor.steps).toBe(1);
  });

  it("refuses to close while a step the handler started is still running", () => {
    const cursor = new ReplayCursor("m3", new Map());
    cursor.begin("run:slow", 'ctx.run("slow")');
    expect(() => cursor.close()).toThrow('The handler of message m3 returned while ctx.run("slow") was still running: await every ctx call.');
  });

  it("releases a held position only for its own step (a late done() of an earlier one of the same name changes nothing)", () => {
    const cursor = new ReplayCursor("m1", new Map());
    const a = cursor.begin("run:a", 'ctx.run("a")');
    a.done();
    const b = cursor.begin("run:a", 'ctx.run("a")');
    a.done(); // again, late: the same name, another step
    expect(() => cursor.take("now", "ctx.now()")).toThrow(/while ctx.run\("a"\) was still running/);
    b.done();
    expect(cursor.take("now", "ctx.now()").seq).toBe(2);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

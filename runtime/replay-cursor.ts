// The replay core, free of I/O: hands each ctx call its position in the message's journal, checks a
// recorded step's name against the call, refuses unrecorded steps in replay-only mode, and refuses
// calls out of turn (while another step runs, or after the handler returned), each with a sentence
// that says what went wrong. It never touches the database, the committer or the clock.
import { NonDeterminismError, PermanentError, StepMisuseError } from "./errors.js";
import type { JournalEntry } from "./journal.js";

/** A step's place in the journal, and what the journal holds there (undefined: run it). */
export interface Position {
  seq: number;
  recorded?: JournalEntry;
}

/** A position held by a step that awaits: no other ctx call may be made until `done()`. */
export interface HeldPosition extends Position {
  done(): void;
}

export class ReplayCursor {
  private seq = 0;
  /** The ctx call whose step is under way (a run or a write), as the handler wrote it. */
  private running: { call: string } | undefined;
  private closed = false;

  constructor(
    readonly messageId: string,
    private readonly recorded: ReadonlyMap<number, JournalEntry>,
    /** Verification mode: every step must be in the journal; nothing is executed or written. */
    readonly replayOnly = false,
  ) {}

  /** Takes the next position for a step that completes at once (`ctx.now()`, `ctx.send()`). */
  take(name: string, call: string): Position {
    this.checkTurn(call);
    const seq = this.seq++;
    const recorded = this.recorded.get(seq);
    if (recorded && recorded.stepName !== name) {
      throw new NonDeterminismError(this.messageId, seq, recorded.stepName, name);
    }
    if (!recorded && this.replayOnly) {
      throw new NonDeterminismError(this.messageId, seq, "(nothing)", name);
    }
    return { seq, recorded };
  }

  /** Takes the next position for a step that awaits (`ctx.run`, `ctx.write`); release it with `done()`. */
  begin(name: string, call: string): HeldPosition {
    const position = this.take(name, call);
    // Its own token: a late done() of an earlier step of the same name cannot release this one.
    const held = { call };
    this.running = held;
    return {
      ...position,
      done: () => {
        if (this.running === held) this.running = undefined;
      },
    };
  }

  /** Throws when the handler already returned: a step must not commit for a message that is done. */
  checkOpen(call: string): void {
    if (this.closed) {
      throw new StepMisuseError(
        this.messageId,
        `${call} was called after the handler of message ${this.messageId} returned: a ctx call was not awaited, and it is not recorded.`,
      );
    }
  }

  /** The handler returned: later calls are refused. Throws when a step it started is still running. */
  close(): void {
    this.closed = true;
    if (this.running !== undefined) {
      throw new StepMisuseError(
        this.messageId,
        `The handler of message ${this.messageId} returned while ${this.running.call} was still running: await every ctx call.`,
      );
    }
  }

  /** How many steps the handler took; the replay check compares it. */
  get steps(): number {
    return this.seq;
  }

  private checkTurn(call: string): void {
    this.checkOpen(call);
    if (this.running !== undefined) {
      throw new StepMisuseError(
        this.messageId,
        `${call} was called while ${this.running.call} was still running (message ${this.messageId}): await each ctx call before the next, and make none inside a step's function.`,
      );
    }
  }
}

/** What a recorded step gives back on replay: its value, or its recorded error as a PermanentError. */
export function replayResult<T>(entry: JournalEntry): T {
  if (entry.errorJson !== null) {
    const { message } = JSON.parse(entry.errorJson) as { message: string };
    throw new PermanentError(message);
  }
  return (JSON.parse(entry.outputJson ?? "{}") as { v: T }).v;
}

// The one source of time for the runtime; tests pass a fake one they can move forward.

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

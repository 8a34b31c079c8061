// What must be in place before the Restate SDK's modules evaluate; start.ts imports this first.
// 1. The SDK calls Promise.withResolvers, which Node gained in 22; this peer runs on Node 20.
// 2. The SDK reads its console log level (RESTATE_LOGGING) once, at load: default it to WARN, as
//    the bot under test logs at warn in the bench, instead of two INFO lines per invocation.
declare global {
  interface PromiseConstructor {
    withResolvers<T>(): { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
  }
}

if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

process.env.RESTATE_LOGGING ??= "WARN";

export {};

// Virtual time for runtime tests: the runtime's VirtualScheduler, and `every` to re-arm on it.
export { VirtualScheduler } from "../../runtime/index.js";
export { every } from "../../runtime/clock.js";

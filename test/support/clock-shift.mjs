// Loaded into a bot child process with `node --import`: Date.now() reads the wall clock plus a shift.
// The shift starts at MT_CLOCK_SHIFT_MS (default 0) and each SIGUSR2 moves it back by
// MT_CLOCK_STEP_MS (default an hour), as an administrator or NTP setting the clock back would;
// each step is acknowledged on stderr ("clock-shift: <shift> ms"). performance.now() is untouched.
// Plain JavaScript: node loads it before any TypeScript loader.
const wallNow = Date.now;
const stepMs = Number(process.env.MT_CLOCK_STEP_MS ?? 3_600_000);
let shiftMs = Number(process.env.MT_CLOCK_SHIFT_MS ?? 0);

Date.now = () => wallNow() + shiftMs;
process.on("SIGUSR2", () => {
  shiftMs -= stepMs;
  process.stderr.write(`clock-shift: ${shiftMs} ms\n`);
});

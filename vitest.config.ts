import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Crash tests start child processes; two workers fit a 2-core machine.
    maxWorkers: 2,
    // The default report for people, then one plain closing line that CI reads.
    reporters: ["default", "./test/support/closing-line-reporter.ts"],
  },
});

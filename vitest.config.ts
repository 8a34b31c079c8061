import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Crash tests start child processes; two workers fit a 2-core machine.
    maxWorkers: 2,
    // Each worker process runs its files one after the other on one module graph, instead of a
    // fresh process importing the app (grammY, openai, zod, the runtime) again for every file: that
    // import was over a fifth of the suite's time. What a file changes globally it puts back itself
    // (a umask, a spy); these put back what vitest can.
    isolate: false,
    restoreMocks: true,
    unstubEnvs: true,
    unstubGlobals: true,
    // The child-process tests' bot bundle, built once before the files start.
    globalSetup: ["./test/support/global-setup.ts"],
    // The default report for people, a line naming PostgreSQL tests skipped for want of a server,
    // then one plain closing line that CI reads.
    reporters: ["default", "./test/support/postgres-skip-reporter.ts", "./test/support/closing-line-reporter.ts"],
  },
});

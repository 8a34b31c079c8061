// Says, in one line on stderr at the end of the run, that PostgreSQL tests were skipped and why:
// without a reachable server they are skipped (see postgres.ts), which must never pass unnoticed.
import type { Reporter, TestModule } from "vitest/node";

export default class PostgresSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let skipped = 0;
    let target: string | undefined;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const unreachable = test.meta().postgresUnreachable;
        if (unreachable === undefined || test.result().state !== "skipped") continue;
        skipped++;
        target = unreachable;
      }
    }
    if (skipped > 0) process.stderr.write(`PostgreSQL not reachable at ${target}: skipping ${skipped} PostgreSQL tests\n`);
  }
}

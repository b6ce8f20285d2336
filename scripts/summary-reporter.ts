/**
 * Vitest reporter that ends every run with the plain line CI reads:
 * `N passed, N failed` (and `, N skipped` when some were skipped).
 */
import { writeSync } from "node:fs"
import type { Reporter, TestModule } from "vitest/node"

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") passed++
        else if (state === "failed") failed++
        else skipped++
      }
      // A file that failed to load has no tests but is still a failure.
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed++
    }
    failed += unhandledErrors.length
    const line = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`
    // Printed at exit so it stands after the default reporter's summary.
    process.once("exit", () => writeSync(1, `\n${line}\n`))
  }
}

/**
 * Vitest reporter that ends every run with the plain line CI reads:
 * `N passed, N failed` (and `, N skipped` when some were skipped).
 *
 * With SUMMARY_FILE set (.ci/run, which runs the suite once per Node version), the line is labelled with the
 * Node version instead and the counts are appended to that file as one JSON line, so the caller can print
 * the single total line at the very end.
 */
import { appendFileSync, writeSync } from "node:fs"
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
    const counts = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`
    const summaryFile = process.env.SUMMARY_FILE
    if (summaryFile !== undefined && summaryFile !== "") {
      appendFileSync(summaryFile, JSON.stringify({ node: process.version, passed, failed, skipped }) + "\n")
    }
    const line = summaryFile ? `[node ${process.version}] ${counts} (this run)` : counts
    // Printed at exit so it stands after the default reporter's summary.
    process.once("exit", () => writeSync(1, `\n${line}\n`))
  }
}

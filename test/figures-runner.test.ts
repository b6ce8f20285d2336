/**
 * `pnpm reliability --render`: docs/reliability.md is rendered from whatever suite reports it finds,
 * without knowing the suites, and a file that is not a report does not stop it.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

describe("pnpm reliability --render", () => {
  it("renders one section per suite report, with its run stamp, figures and notes", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-figures-"))
    try {
      const out = path.join(dir, "out")
      const doc = path.join(dir, "reliability.md")
      fs.mkdirSync(out)
      fs.writeFileSync(path.join(out, "zeta-suite.json"), JSON.stringify({
        suite: "zeta-suite",
        title: "A suite nobody told the runner about",
        size: "full",
        figures: { "leaks": 0, "a | pipe": "1 | 2" },
        notes: ["Measured on a quiet machine."],
        run: { date: "2026-01-02T03:04:05.000Z", command: "pnpm reliability", node: "v20", machine: "test box", passed: false }
      }))
      fs.writeFileSync(path.join(out, "alpha.json"), JSON.stringify({
        suite: "alpha",
        title: "Alpha",
        size: "small",
        figures: { "requests": 12 }
      }))
      fs.writeFileSync(path.join(out, "broken.json"), "{ not json")
      const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/reliability.ts", "--render"], {
        cwd: root,
        env: { ...process.env, RELIABILITY_OUT: out, RELIABILITY_DOC: doc },
        encoding: "utf8"
      })
      expect(result.status).toBe(0)
      expect(result.stderr).toContain("skipping broken.json")
      const text = fs.readFileSync(doc, "utf8")
      // Sorted by file name; the unknown suite gets its own section with its stamp.
      expect(text.indexOf("## Alpha (`alpha`)")).toBeGreaterThan(0)
      expect(text.indexOf("## A suite nobody told the runner about (`zeta-suite`)")).toBeGreaterThan(text.indexOf("## Alpha"))
      expect(text).toContain("| requests | 12 |")
      expect(text).toContain("| leaks | 0 |")
      expect(text).toContain("| a \\| pipe | 1 \\| 2 |")
      expect(text).toContain("- Size: full; **FAILED**")
      expect(text).toContain("- Date: 2026-01-02T03:04:05.000Z")
      expect(text).toContain("- Machine: test box")
      expect(text).toContain("- Measured on a quiet machine.")
      expect(text).toContain("- Size: small; status unknown")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

/**
 * `pnpm reliability [vitest filters…]`: runs the suites in test/reliability at full size
 * (RELIABILITY_FULL=1), one file at a time, each writing `<suite>.json` into docs/reliability/,
 * then renders docs/reliability.md from every `<suite>.json` found there.
 *
 * The renderer knows no suite: any JSON that follows the contract in test/reliability/README.md
 * gets a section. A suite that was not re-run keeps its last figures and its own date.
 * `pnpm reliability --render` only re-renders. `RELIABILITY_OUT` / `RELIABILITY_DOC` override the JSON
 * directory and the rendered file.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const outDir = path.resolve(root, process.env.RELIABILITY_OUT ?? "docs/reliability")
const docFile = path.resolve(root, process.env.RELIABILITY_DOC ?? "docs/reliability.md")
const command = ["pnpm reliability", ...process.argv.slice(2)].join(" ")

interface SuiteJson {
  readonly suite: string
  readonly title: string
  readonly size: string
  readonly figures: Record<string, number | string>
  readonly notes?: ReadonlyArray<string>
  /** Added by this runner to the files a run produced. */
  run?: {
    readonly date: string
    readonly command: string
    readonly node: string
    readonly machine: string
    readonly passed: boolean | undefined
  }
}

const machine = () => {
  const cpus = os.cpus()
  return `${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${os.loadavg()[0]!.toFixed(2)} at start`
}

/** Which test files passed, from vitest's JSON report (keyed by suite name = file name). */
const fileResults = (reportFile: string): Map<string, boolean> => {
  const results = new Map<string, boolean>()
  if (!fs.existsSync(reportFile)) return results
  const report = JSON.parse(fs.readFileSync(reportFile, "utf8")) as {
    testResults?: ReadonlyArray<{ name: string; status: string }>
  }
  for (const r of report.testResults ?? []) {
    results.set(path.basename(r.name).replace(/\.test\.ts$/, ""), r.status === "passed")
  }
  return results
}

const run = (): number => {
  fs.mkdirSync(outDir, { recursive: true })
  const started = Date.now()
  const machineLine = machine()
  const reportFile = path.join(os.tmpdir(), `reliability-vitest-${process.pid}.json`)
  const vitest = path.join(root, "node_modules/.bin/vitest")
  const filters = process.argv.slice(2).filter((a) => a !== "--render")
  const result = spawnSync(
    vitest,
    [
      "run",
      ...(filters.length > 0 ? filters.map((f) => `test/reliability/${f.replace(/(\.test\.ts)?$/, ".test.ts")}`) : ["test/reliability/"]),
      // One file at a time: the suites measure, and the machine is shared.
      "--no-file-parallelism",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${reportFile}`
    ],
    { cwd: root, stdio: "inherit", env: { ...process.env, RELIABILITY_FULL: "1", RELIABILITY_OUT: outDir } }
  )
  const passed = fileResults(reportFile)
  fs.rmSync(reportFile, { force: true })
  // Stamp the files this run wrote with when, where and how they were produced.
  for (const file of fs.readdirSync(outDir).filter((f) => f.endsWith(".json"))) {
    const full = path.join(outDir, file)
    if (fs.statSync(full).mtimeMs < started) continue
    const json = JSON.parse(fs.readFileSync(full, "utf8")) as SuiteJson
    json.run = {
      date: new Date(started).toISOString(),
      command,
      node: process.version,
      machine: machineLine,
      passed: passed.get(json.suite)
    }
    fs.writeFileSync(full, JSON.stringify(json, null, 2) + "\n")
  }
  return result.status ?? 1
}

const cell = (v: unknown) => String(v).replaceAll("|", "\\|").replaceAll("\n", " ")

const render = () => {
  const suites = fs.existsSync(outDir)
    ? fs.readdirSync(outDir).filter((f) => f.endsWith(".json")).sort().flatMap((f) => {
      try {
        const json = JSON.parse(fs.readFileSync(path.join(outDir, f), "utf8")) as SuiteJson
        return typeof json.suite === "string" && typeof json.figures === "object" ? [json] : []
      } catch {
        process.stderr.write(`reliability: skipping ${f}: not a suite report\n`)
        return []
      }
    })
    : []
  const lines: Array<string> = [
    "# Reliability figures",
    "",
    "Produced by `pnpm reliability`: the suites in `test/reliability` at full size, one file at a time, each",
    "writing its figures to `docs/reliability/<suite>.json`; this page is rendered from those files (do not edit",
    "it by hand). `pnpm test` runs the same suites at small size and asserts the same targets.",
    ""
  ]
  if (suites.length === 0) lines.push("No suite has reported yet.", "")
  for (const s of suites) {
    lines.push(`## ${s.title} (\`${s.suite}\`)`, "")
    const status = s.run?.passed === true ? "targets met" : s.run?.passed === false ? "**FAILED**" : "status unknown"
    lines.push(`- Size: ${s.size}; ${status}`)
    if (s.run !== undefined) {
      lines.push(`- Command: \`${s.run.command}\``)
      lines.push(`- Date: ${s.run.date}`)
      lines.push(`- Node: ${s.run.node}`)
      lines.push(`- Machine: ${s.run.machine}`)
    }
    lines.push("", "| Figure | Value |", "|---|---|")
    for (const [label, value] of Object.entries(s.figures)) lines.push(`| ${cell(label)} | ${cell(value)} |`)
    lines.push("")
    for (const note of s.notes ?? []) lines.push(`- ${note}`)
    if ((s.notes ?? []).length > 0) lines.push("")
  }
  fs.mkdirSync(path.dirname(docFile), { recursive: true })
  fs.writeFileSync(docFile, lines.join("\n"))
  process.stdout.write(`reliability: rendered ${suites.length} suite(s) into ${path.relative(root, docFile)}\n`)
}

const renderOnly = process.argv.includes("--render")
const status = renderOnly ? 0 : run()
render()
process.exit(status)

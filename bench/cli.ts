/**
 * Figures for the `effect-keyvault` CLI against a running emulator (plain HTTP on loopback):
 * - cold start to first value: `effect-keyvault get NAME` from process spawn until the value is on stdout, and
 *   until exit; bin.ts bundled with esbuild and run by node (as a built package runs), and through tsx (pnpm kv);
 * - `export` of 1,000 secrets to a dotenv file (wall time of the whole process).
 *
 * Run: `pnpm exec tsx bench/cli.ts [runs]` (default 15 runs for get, 5 for export; medians are printed).
 */
import { Emulator } from "../packages/emulator/src/index.js"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { bundleBin } from "../packages/cli/test/bundle.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const runs = Number(process.argv[2] ?? 15)

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const time = (command: string, args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ firstOutput: number; exit: number; code: number | null }>((resolve, reject) => {
    const start = performance.now()
    let firstOutput = Number.NaN
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] })
    child.stdout.once("data", () => (firstOutput = performance.now() - start))
    child.on("error", reject)
    child.on("close", (code) => resolve({ firstOutput, exit: performance.now() - start, code }))
  })

const main = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-cli-bench-"))
  const emulator = await Emulator.startServer({ tls: false })
  try {
    await Effect.runPromise(Effect.forEach(
      Array.from({ length: 1000 }, (_, i) => i),
      (i) => emulator.engine.setSecret(`bench-secret-${String(i).padStart(4, "0")}`, { value: `value-${i}-${"x".repeat(32)}` }),
      { discard: true }
    ))
    const bundle = await bundleBin(path.join(dir, "bin"))
    const env = { AZURE_KEYVAULT_URL: emulator.url }
    const tsx = path.join(root, "node_modules/.bin/tsx")
    const src = path.join(root, "packages/cli/src/bin.ts")

    const measure = async (label: string, command: string, args: ReadonlyArray<string>, n: number) => {
      await time(command, args, env) // warm the OS file cache (and tsx's transform cache)
      const results = []
      for (let i = 0; i < n; i++) {
        const r = await time(command, args, env)
        if (r.code !== 0) throw new Error(`${label}: exit code ${r.code}`)
        results.push(r)
      }
      console.log(
        `${label}: median first output ${median(results.map((r) => r.firstOutput)).toFixed(0)} ms, ` +
          `median exit ${median(results.map((r) => r.exit)).toFixed(0)} ms (${n} runs; min ${Math.min(...results.map((r) => r.exit)).toFixed(0)} ms, max ${Math.max(...results.map((r) => r.exit)).toFixed(0)} ms)`
      )
    }

    await measure("get (node, bundled bin)", process.execPath, [bundle, "get", "bench-secret-0001"], runs)
    await measure("get (tsx on the source, pnpm kv)", tsx, [src, "get", "bench-secret-0001"], Math.max(10, Math.floor(runs / 2)))
    await measure("node -e 0 (baseline: node itself)", process.execPath, ["-e", "process.stdout.write('x')"], runs)
    const out = path.join(dir, "all.env")
    await measure(
      "export 1,000 secrets (node, bundled bin)",
      process.execPath,
      [bundle, "export", "--file", out, "--force"],
      Math.max(3, Math.floor(runs / 3))
    )
    const lines = fs.readFileSync(out, "utf8").trim().split("\n").length
    console.log(`export wrote ${lines} entries; load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores`)
  } finally {
    await emulator.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

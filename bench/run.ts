/**
 * `pnpm bench` (see bench/README.md). Three parts, each writing bench/results/<part>.json:
 *
 * - `fair`: client CPU per operation, throughput and p50/p99 at concurrency 1/16/64, every client in its
 *   own process against a static HTTPS responder in another (bench/fair.ts);
 * - `extras`: cold start, bundle size, import time, heap while streaming 10,000 secrets, cached gets
 *   (bench/extras.ts);
 * - `e2e`: the end-to-end view against the emulator (bench/e2e.ts).
 *
 * Flags: `--quick` (smaller batches, fewer rounds: a few minutes), `--only fair,extras,e2e`.
 * Environment: BENCH_SCALE, BENCH_ROUNDS, BENCH_WARMUP_ROUNDS, BENCH_CLIENTS override the defaults;
 * BENCH_BASELINE_SRC (an earlier version's packages/secrets/src) adds the client `ours-baseline`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type ClientId, clientIds, isClientId } from "./clients.js"
import { repoRoot } from "./emulator.js"
import { machine, packageVersions } from "./machine.js"

const quick = process.argv.includes("--quick")
const onlyArg = process.argv.find((a) => a.startsWith("--only"))
const onlyValue = onlyArg === undefined
  ? undefined
  : onlyArg.includes("=")
  ? onlyArg.split("=")[1]
  : process.argv[process.argv.indexOf(onlyArg) + 1]
const parts = (onlyValue ?? "fair,extras,e2e").split(",").map((s) => s.trim())
for (const p of parts) if (!["fair", "extras", "e2e"].includes(p)) throw new Error(`--only: unknown part '${p}'`)

// Quick defaults; explicit environment variables still win (e2e.ts reads them at import).
if (quick) {
  process.env.BENCH_SCALE ??= "0.2"
  process.env.BENCH_ROUNDS ??= "3"
  process.env.BENCH_WARMUP_ROUNDS ??= "1"
}
const envNumber = (name: string, fallback: number) => {
  const raw = process.env[name]
  if (raw === undefined || raw === "") return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`)
  return n
}
const wanted = (process.env.BENCH_CLIENTS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
for (const w of wanted) if (!isClientId(w)) throw new Error(`BENCH_CLIENTS: unknown client '${w}' (${clientIds.join(", ")})`)
const defaultClients: ReadonlyArray<ClientId> = [
  "raw",
  "official",
  "ours-undici",
  "ours-platform-undici",
  "ours-fetch",
  // A before/after in the same run when an earlier version's sources are given.
  ...(process.env.BENCH_BASELINE_SRC ? ["ours-baseline" as const] : [])
]
const clients = wanted.length > 0 ? (wanted as Array<ClientId>) : defaultClients

const write = (name: string, data: object) => {
  const outDir = path.join(repoRoot, "bench/results")
  fs.mkdirSync(outDir, { recursive: true })
  fs.writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`)
  console.log(`written: bench/results/${name}.json`)
}

const main = async () => {
  const started = Date.now()
  const m = machine()
  const versions = packageVersions(
    ["effect", "@effect/platform", "@effect/platform-node", "undici", "@azure/keyvault-secrets", "@azure/core-rest-pipeline", "esbuild"]
  )
  console.log(`effect-keyvault benchmarks${quick ? " (--quick)" : ""} — node ${m.node}, ${m.cpu}, ${m.cores} cores, load ${m.loadAverage.join(" ")}`)
  const common = { date: new Date().toISOString(), quick, machineAtStart: m, versions }
  // Our package as users run it (compiled JS, not the sources through tsx): bench/compile.ts.
  await (await import("./compile.js")).compileForBench()
  if (parts.includes("fair")) {
    const { runFair } = await import("./fair.js")
    const fair = await runFair({
      quick,
      clients,
      scale: envNumber("BENCH_SCALE", 1),
      rounds: Math.max(1, Math.round(envNumber("BENCH_ROUNDS", 5))),
      warmupRounds: Math.round(envNumber("BENCH_WARMUP_ROUNDS", 1))
    })
    write("fair", { ...common, machineAtEnd: machine(), ...fair })
  }
  if (parts.includes("extras")) {
    const { runExtras } = await import("./extras.js")
    const { startResponder } = await import("./fair.js")
    const responder = await startResponder()
    try {
      const extras = await runExtras({ quick, target: responder })
      write("extras", { ...common, machineAtEnd: machine(), ...extras })
    } finally {
      responder.stop()
    }
  }
  if (parts.includes("e2e")) {
    const { runEndToEnd } = await import("./e2e.js")
    await runEndToEnd(clients)
  }
  console.log(`\nbench done in ${Math.round((Date.now() - started) / 1000)} s; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`)
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)

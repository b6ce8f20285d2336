/**
 * The figures users feel besides per-request cost, all against the static responder (bench/responder.ts):
 *
 * - cold start: spawn → first secret printed, median of N runs, for programs in bench/cold/ bundled with
 *   esbuild (the same treatment for every program: our package ships TypeScript sources here);
 * - bundle size: the same esbuild bundles, minified and gzipped;
 * - marginal import time of our package over `effect` + `@effect/platform` (package compiled to JS first);
 * - peak heap growth while streaming 10,000 secrets (one child process per client, `--expose-gc`);
 * - cached get operations per second (SecretCache hit path, in process).
 *
 * Internal mode (spawned by the runner): `--heap <client>`.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { type ClientId, isClientId, makeClient } from "./clients.js"
import { compileSecrets } from "./compile.js"
import { repoRoot } from "./emulator.js"
import { fmtMiB, fmtNumber, median, summarize, table } from "./stats.js"

const cacheDir = path.join(repoRoot, "bench/.cache")

export const coldPrograms = ["official", "effect-official", "ours-undici", "ours-fetch", "ours-platform-undici"] as const
type ColdProgram = typeof coldPrograms[number]
const coldLabels: Record<ColdProgram, string> = {
  "official": "official SDK, plain promises",
  "effect-official": "Effect program wrapping the official SDK",
  "ours-undici": "ours + UndiciHttpClient",
  "ours-fetch": "ours + FetchHttpClient",
  "ours-platform-undici": "ours + @effect/platform-node barrel, NodeHttpClient.layerUndici"
}

interface Target {
  readonly small: string
  readonly large: string
  readonly caFile: string
}

/** How every cold-start program is bundled (also by bench/cold-phases.ts). */
export const coldBundleOptions = {
  bundle: true,
  minify: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  logLevel: "error"
} as const

const bundle = async (program: ColdProgram) => {
  const esbuild = await import("esbuild")
  const outfile = path.join(cacheDir, `cold-${program}.cjs`)
  await esbuild.build({ ...coldBundleOptions, entryPoints: [path.join(repoRoot, "bench/cold", `${program}.ts`)], outfile })
  const bytes = fs.readFileSync(outfile)
  return { outfile, minified: bytes.length, gzipped: zlib.gzipSync(bytes, { level: 9 }).length }
}

/** ms from spawn until the first line on stdout. */
const timeToFirstLine = (file: string, target: Target): Promise<number> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [file], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "", BENCH_URL: target.small, NODE_EXTRA_CA_CERTS: target.caFile }
    })
    let out = ""
    let err = ""
    let done = false
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      if (!done && out.includes("\n")) {
        done = true
        const ms = performance.now() - t0
        if (out.trim() !== "v".repeat(64)) reject(new Error(`${file} printed '${out.trim()}'`))
        else resolve(ms)
      }
    })
    child.stderr.on("data", (d: Buffer) => (err += d.toString()))
    child.on("exit", (code) => {
      if (!done) reject(new Error(`${file} exited ${code} without output: ${err.slice(0, 500)}`))
    })
  })

/** Our package compiled to plain JS (no bundling) inside the repo, so `effect` resolves as for a user. */
// Already compiled when run through bench/run.ts (BENCH_OURS_JS).
const compileOurs = async () =>
  process.env.BENCH_OURS_JS ?? await compileSecrets(path.join(repoRoot, "packages/secrets/src"), "secrets-js")

const importTimes = (dir: string): { base: number; ours: number } => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bench/import-time.mjs"), dir], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: "" },
    encoding: "utf8"
  })
  if (r.status !== 0) throw new Error(`import-time child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split("\n").pop()!)
}

/** Child mode: one listing of the 10,000-secret vault, heap sampled every 2 ms. */
const heapChild = async (id: ClientId) => {
  const ca = fs.readFileSync(process.env.BENCH_CA_FILE!, "utf8")
  const client = await makeClient(id, { url: process.env.BENCH_LARGE_URL!, ca, token: "bench-token" })
  const gc = (globalThis as { gc?: () => void }).gc!
  // Warm up on the same vault: the JIT and the connection are ready, the figure is the streaming itself.
  if ((await client.list(1)) !== 10_000) throw new Error(`${id}: listing is not 10,000 items`)
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((r) => setImmediate(r))
  }
  const baseline = process.memoryUsage().heapUsed
  let peak = baseline
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed)
  }, 2)
  const count = await client.list(1)
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage().heapUsed)
  await client.close()
  process.stdout.write(`${JSON.stringify({ count, peakGrowth: peak - baseline })}\n`)
}

const heapGrowth = (id: ClientId, target: Target): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(repoRoot, "bench/extras.ts"), "--heap", id], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "", BENCH_LARGE_URL: target.large, BENCH_CA_FILE: target.caFile }
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr.on("data", (d: Buffer) => (err += d.toString()))
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? ""
      if (code === 0 && last.startsWith("{")) resolve((JSON.parse(last) as { peakGrowth: number }).peakGrowth)
      else reject(new Error(`heap child ${id} exited ${code}: ${err.slice(-500)}`))
    })
  })

/** Cached gets per second: SecretCache hits in one Effect loop (one miss first fills the cache). */
const cachedGets = async (target: Target, ops: number) => {
  const [{ Effect, Layer, ManagedRuntime, Redacted }, undici, { Credential, SecretCache, SecretClient }, UndiciHttpClient] = await Promise.all([
    import("effect"),
    import("undici"),
    import("../packages/secrets/src/index.js"),
    import("../packages/secrets/src/UndiciHttpClient.js")
  ])
  const agent = new undici.Agent({ connect: { ca: fs.readFileSync(target.caFile, "utf8") } })
  const runtime = ManagedRuntime.make(
    SecretCache.layer({ timeToLive: "1 hour" }).pipe(
      Layer.provideMerge(SecretClient.layer({ vaultUrl: target.small, verifyChallengeResource: false })),
      Layer.provide(Credential.layerStatic(Redacted.make("bench-token"))),
      Layer.provide(UndiciHttpClient.layerWithDispatcher(agent))
    )
  )
  const cache = await runtime.runPromise(SecretCache.SecretCache)
  const loop = (n: number) =>
    Effect.gen(function*() {
      for (let i = 0; i < n; i++) yield* cache.get("bench-00000")
    })
  await runtime.runPromise(loop(Math.min(ops, 100_000)))
  const rates: Array<number> = []
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now()
    await runtime.runPromise(loop(ops))
    rates.push(ops / ((performance.now() - t0) / 1000))
  }
  await runtime.dispose()
  await agent.close()
  return summarize(rates)
}

export interface ExtrasOptions {
  readonly quick: boolean
  readonly target: Target
}

export const runExtras = async ({ quick, target }: ExtrasOptions) => {
  console.log(`\n=== Cold start, bundle size, import time, heap while streaming 10,000, cached gets ===`)
  fs.mkdirSync(cacheDir, { recursive: true })
  const runs = quick ? 5 : 15

  const bundles: Record<string, { minified: number; gzipped: number; coldStartMs: number; coldStartSpread: number }> = {}
  const files: Partial<Record<ColdProgram, string>> = {}
  for (const p of coldPrograms) {
    const b = await bundle(p)
    files[p] = b.outfile
    bundles[p] = { minified: b.minified, gzipped: b.gzipped, coldStartMs: Number.NaN, coldStartSpread: Number.NaN }
  }
  // Interleaved: run i of every program, then run i+1, so load drift hits them alike.
  const cold: Record<string, Array<number>> = {}
  await timeToFirstLine(files.official!, target) // the first spawn warms the OS file cache
  for (let i = 0; i < runs; i++) {
    for (const p of coldPrograms) (cold[p] ??= []).push(await timeToFirstLine(files[p]!, target))
  }
  for (const p of coldPrograms) {
    const s = summarize(cold[p]!)
    bundles[p] = { ...bundles[p]!, coldStartMs: s.median, coldStartSpread: s.spread }
  }
  console.log(`\nCold start (spawn → first secret printed, esbuild bundle, median of ${runs}) and bundle size (minified, gzip -9)\n`)
  console.log(table(
    ["program", "cold start", "minified", "gzipped"],
    coldPrograms.map((p) => [coldLabels[p], `${fmtNumber(bundles[p]!.coldStartMs)} ms`, `${fmtNumber(bundles[p]!.minified / 1024, 1)} KiB`, `${fmtNumber(bundles[p]!.gzipped / 1024, 1)} KiB`])
  ))

  const compiled = await compileOurs()
  const times = Array.from({ length: runs }, () => importTimes(compiled))
  const importTime = { base: median(times.map((t) => t.base)), ours: median(times.map((t) => t.ours)) }
  console.log(`\nImport time: effect + @effect/platform ${fmtNumber(importTime.base)} ms; our package on top (index, compiled JS): ${fmtNumber(importTime.ours, 1)} ms (median of ${runs})`)

  const heap: Record<string, number> = {}
  for (const id of ["official", "ours-undici", "ours-platform-undici", "ours-fetch"] as const) {
    const samples: Array<number> = []
    for (let i = 0; i < (quick ? 1 : 3); i++) samples.push(await heapGrowth(id, target))
    heap[id] = median(samples)
  }
  console.log(`\nPeak heap growth while streaming 10,000 secrets (median of ${quick ? 1 : 3} processes each)\n`)
  console.log(table(["client", "peak heap growth"], Object.entries(heap).map(([id, b]) => [id, fmtMiB(b)])))

  const cached = await cachedGets(target, quick ? 200_000 : 1_000_000)
  console.log(`\nCached get (SecretCache hit, one Effect loop): ${fmtNumber(cached.median)} ops/s (median of 5, ±${Math.round(cached.spread * 100)} %)`)
  return { bundles, coldStartRuns: runs, coldStartSamples: cold, importTimeMs: importTime, heapPeakGrowthBytes: heap, cachedGetsPerSecond: cached }
}

const heapIndex = process.argv.indexOf("--heap")
if (heapIndex >= 0) {
  const id = process.argv[heapIndex + 1] ?? ""
  if (!isClientId(id)) throw new Error(`--heap: unknown client '${id}'`)
  heapChild(id).then(() => process.exit(0), (e) => {
    console.error(e)
    process.exit(1)
  })
}

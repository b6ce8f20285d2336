/**
 * The end-to-end view of `pnpm bench`: throughput and memory of our SecretClient against the official SDK and raw HTTP,
 * all in one run against one emulator (a child process), so every figure is a ratio taken under the
 * same conditions. See bench/README.md.
 *
 * Environment: BENCH_SCALE (default 1; e.g. 0.2 for a quick run), BENCH_ROUNDS (default 7, min 5 for
 * a median worth the name), BENCH_WARMUP_ROUNDS (default 2, untimed), BENCH_CLIENTS (comma-separated subset of the client ids).
 * Internal: `--memory <client>` runs the memory measurement of one client (spawned by the runner).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type BenchClient, type ClientId, clientIds, isClientId, labels, makeClient, type Target } from "./clients.js"
import { repoRoot, startEmulator } from "./emulator.js"
import { machine as machineNow, packageVersions } from "./machine.js"
import { fmtMiB, fmtNumber, fmtPercent, fmtRatio, type Summary, summarize, table } from "./stats.js"

const TOKEN = "bench-token"
const VALUE = "v".repeat(64)
const SECRET_COUNT = 200
const names = Array.from({ length: SECRET_COUNT }, (_, i) => `bench-${String(i).padStart(3, "0")}`)
const GET_NAME = names[0]!
const SET_NAME = names[SECRET_COUNT - 1]!

const envNumber = (name: string, fallback: number, allowZero = false) => {
  const raw = process.env[name]
  if (raw === undefined || raw === "") return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) throw new Error(`${name} must be a positive number, got '${raw}'`)
  return n
}
const scale = envNumber("BENCH_SCALE", 1)
const scaled = (n: number) => Math.max(1, Math.round(n * scale))

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  readonly id: string
  readonly label: string
  /** Operations per timed batch (a listing counts as one operation). */
  readonly ops: number
  readonly run: (client: BenchClient) => Promise<unknown>
}

const makeScenarios = (): ReadonlyArray<Scenario> => {
  const get = scaled(300)
  const get16 = scaled(1000)
  const set = scaled(200)
  const list = scaled(20)
  return [
    { id: "get", label: `get (sequential, ${get}/batch)`, ops: get, run: (c) => c.get(GET_NAME, get, 1) },
    { id: "get16", label: `get ×16 (concurrency 16, ${get16}/batch)`, ops: get16, run: (c) => c.get(GET_NAME, get16, 16) },
    { id: "set", label: `set (sequential, ${set}/batch)`, ops: set, run: (c) => c.set(SET_NAME, VALUE, set) },
    { id: "list200", label: `list 200 (8 pages; listings, ${list}/batch)`, ops: list, run: (c) => c.list(list) }
  ]
}

/** Checks the client really does the work (right value, right item count) and gives the JIT a first pass. */
const warmUp = async (client: BenchClient) => {
  const value = await client.get(GET_NAME, scaled(100), 4)
  if (value !== VALUE) throw new Error(`${client.id}: getSecret returned a wrong value`)
  await client.get(GET_NAME, scaled(200), 16)
  await client.set(SET_NAME, VALUE, scaled(50))
  const count = await client.list(Math.max(2, scaled(4)))
  if (count !== SECRET_COUNT) throw new Error(`${client.id}: listing found ${count} secrets, expected ${SECRET_COUNT}`)
}

// ---------------------------------------------------------------------------------------------
// Memory (one child process per client)

interface MemoryResult {
  /** Heap used at process start (before any client library is loaded). */
  readonly heapStart: number
  /** Heap used after loading, building and warming up the client, after gc. */
  readonly heapBaseline: number
  /** Highest heap used sampled (every 5 ms) during the workload. */
  readonly heapPeak: number
  /** Heap used after the workload, after gc, minus the baseline. */
  readonly retained: number
  /** `process.resourceUsage().maxRSS`, in bytes. */
  readonly maxRss: number
  readonly gets: number
  readonly listings: number
}

const fullGc = async () => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("--memory needs node --expose-gc")
  // Two passes with a turn of the event loop between, so finalizers and weak refs settle.
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((r) => setImmediate(r))
  }
}

const memoryChild = async (id: ClientId) => {
  const heapStart = process.memoryUsage().heapUsed
  const target: Target = {
    url: process.env.BENCH_URL!,
    ca: fs.readFileSync(process.env.BENCH_CA_FILE!, "utf8"),
    token: TOKEN
  }
  const gets = scaled(2000)
  const listings = scaled(20)
  const client = await makeClient(id, target)
  await warmUp(client)
  await fullGc()
  const heapBaseline = process.memoryUsage().heapUsed
  let heapPeak = heapBaseline
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
  }, 5)
  await client.get(GET_NAME, gets, 16)
  await client.list(listings)
  clearInterval(sampler)
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
  await fullGc()
  const retained = process.memoryUsage().heapUsed - heapBaseline
  const result: MemoryResult = {
    heapStart,
    heapBaseline,
    heapPeak,
    retained,
    maxRss: process.resourceUsage().maxRSS * 1024,
    gets,
    listings
  }
  await client.close()
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

const measureMemory = (id: ClientId, url: string, caFile: string): Promise<MemoryResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "bench/e2e.ts"), "--memory", id], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "--expose-gc", BENCH_URL: url, BENCH_CA_FILE: caFile }
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr.on("data", (d: Buffer) => (err += d.toString()))
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? ""
      if (code === 0 && last.startsWith("{")) resolve(JSON.parse(last) as MemoryResult)
      else reject(new Error(`memory child for ${id} exited with ${code}: ${err.trim().split("\n").slice(-5).join(" | ")}`))
    })
  })

// ---------------------------------------------------------------------------------------------
// Runner

const ours = (id: ClientId) => id.startsWith("ours-")

/** The end-to-end view against the emulator (a child process); writes bench/results/e2e.json. */
export const runEndToEnd = async (defaultClients: ReadonlyArray<ClientId>) => {
  const started = Date.now()
  const rounds = Math.max(1, Math.round(envNumber("BENCH_ROUNDS", 7)))
  const warmupRounds = Math.round(envNumber("BENCH_WARMUP_ROUNDS", 2, true))
  const wanted = (process.env.BENCH_CLIENTS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
  for (const w of wanted) if (!isClientId(w)) throw new Error(`BENCH_CLIENTS: unknown client '${w}' (${clientIds.join(", ")})`)
  const selected = clientIds.filter((id) => wanted.length === 0 ? defaultClients.includes(id) : wanted.includes(id))
  const scenarios = makeScenarios()
  const { loadAverage, ...host } = machineNow()
  const machine = { ...host, loadAverageAtStart: loadAverage }
  const versions = packageVersions(
    ["effect", "@effect/platform", "@effect/platform-node", "undici", "@azure/keyvault-secrets", "@azure/core-rest-pipeline"]
  )
  console.log(`\n=== End-to-end: clients against the emulator (one client process, emulator in another) ===`)
  console.log(`effect-keyvault benchmarks — node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverageAtStart.join(" ")}`)
  console.log(`scale ${scale}, ${warmupRounds} warm-up + ${rounds} timed rounds, clients: ${selected.join(", ")}\n`)

  const emulator = await startEmulator()
  const caFile = path.join(os.tmpdir(), `effect-keyvault-bench-${process.pid}.pem`)
  fs.writeFileSync(caFile, emulator.ca)
  const notes: Array<string> = []
  const clients = new Map<ClientId, BenchClient>()
  try {
    const target: Target = { url: emulator.url, ca: emulator.ca, token: TOKEN }
    console.log(`emulator: ${emulator.url} (pid ${emulator.pid})`)

    // Seed with the raw client: the floor, and independent of the code under test.
    const seeder = await makeClient("raw", target)
    for (const name of names) await seeder.set(name, VALUE, 1)
    await seeder.close()
    console.log(`seeded ${SECRET_COUNT} secrets`)

    for (const id of selected) {
      try {
        const client = await makeClient(id, target)
        await warmUp(client)
        clients.set(id, client)
      } catch (e) {
        const cause = e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e)
        const note = `${id} (${labels[id]}) could not run: ${cause}`
        notes.push(note)
        console.log(`!! ${note}`)
      }
    }
    console.log(`checked: ${[...clients.keys()].join(", ")}\n`)

    // Round-robin: every round runs every scenario on every client, starting at a different client
    // each round, so drift (thermal, other load on the box, emulator state) hits all of them alike.
    const active = [...clients.values()]
    // Effect's fiber runtime and Schema decoders need thousands of calls before the JIT has optimised
    // them (a get measured ~3× slower in the first 500 calls than after 3000), so whole untimed rounds
    // come first.
    for (let round = 0; round < warmupRounds; round++) {
      for (const scenario of scenarios) for (const client of active) await scenario.run(client)
      process.stdout.write(`warm-up round ${round + 1}/${warmupRounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
    }
    const samples = new Map<string, Array<number>>()
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        for (let i = 0; i < active.length; i++) {
          const client = active[(i + round) % active.length]!
          const t0 = performance.now()
          await scenario.run(client)
          const seconds = (performance.now() - t0) / 1000
          const key = `${scenario.id}/${client.id}`
          samples.set(key, [...(samples.get(key) ?? []), scenario.ops / seconds])
        }
      }
      process.stdout.write(`round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
    }
    for (const client of active) await client.close()
    clients.clear()

    const throughput: Record<string, Record<string, Summary>> = {}
    for (const scenario of scenarios) {
      throughput[scenario.id] = {}
      for (const client of active) throughput[scenario.id]![client.id] = summarize(samples.get(`${scenario.id}/${client.id}`)!)
    }
    const ids = active.map((c) => c.id)
    const opsOf = (s: string, id: ClientId) => throughput[s]?.[id]?.median ?? Number.NaN

    console.log("\nThroughput: operations per second, median of rounds (± spread = (max − min) / median)")
    console.log("(a list operation is one full listing of 200 secrets = 8 pages)\n")
    console.log(table(
      ["scenario", ...ids],
      scenarios.map((s) => [
        s.label,
        ...ids.map((id) => `${fmtNumber(opsOf(s.id, id))} ±${fmtPercent(throughput[s.id]![id]!.spread)}`)
      ])
    ))

    const ratios: Record<string, Record<string, { vsOfficial: number; vsRaw: number }>> = {}
    const oursIds = ids.filter(ours)
    for (const s of scenarios) {
      ratios[s.id] = {}
      for (const id of oursIds) {
        ratios[s.id]![id] = { vsOfficial: opsOf(s.id, id) / opsOf(s.id, "official"), vsRaw: opsOf(s.id, id) / opsOf(s.id, "raw") }
      }
    }
    if (oursIds.length > 0) {
      console.log("\nThroughput ratios: ours ÷ other (ops/s; above 1.00× = ours is faster)\n")
      console.log(table(
        ["scenario", ...oursIds.flatMap((id) => [`${id} vs official`, `vs raw`])],
        scenarios.map((s) => [
          s.id,
          ...oursIds.flatMap((id) => [fmtRatio(ratios[s.id]![id]!.vsOfficial), fmtRatio(ratios[s.id]![id]!.vsRaw)])
        ])
      ))
      console.log("\nofficial ÷ raw: " + scenarios.map((s) => `${s.id} ${fmtRatio(opsOf(s.id, "official") / opsOf(s.id, "raw"))}`).join(", "))
    }

    // Memory: one fresh process per client, one after the other (never two at once on 2 cores).
    console.log(`\nMemory: one child process per client (${scaled(2000)} gets at concurrency 16 + ${scaled(20)} full listings)`)
    const memory: Record<string, MemoryResult> = {}
    for (const id of ids) {
      try {
        memory[id] = await measureMemory(id, emulator.url, caFile)
      } catch (e) {
        const note = `memory of ${id} not measured: ${(e as Error).message}`
        notes.push(note)
        console.log(`!! ${note}`)
      }
    }
    const memIds = ids.filter((id) => memory[id] !== undefined)
    const memRatio = (id: ClientId, base: ClientId, f: (m: MemoryResult) => number) =>
      memory[id] && memory[base] ? f(memory[id]!) / f(memory[base]!) : Number.NaN
    const footprint = (m: MemoryResult) => m.heapBaseline - m.heapStart
    console.log("(footprint = heap after loading + warm-up − heap at start; peak/retained are heap above that baseline;")
    console.log(" ratios = ours ÷ other, below 1.00× = ours uses less)\n")
    console.log(table(
      ["client", "footprint", "peak heap", "retained", "max RSS", "peak heap vs official", "RSS vs official", "RSS vs raw", "footprint vs official"],
      memIds.map((id) => {
        const m = memory[id]!
        return [
          id,
          fmtMiB(footprint(m)),
          fmtMiB(m.heapPeak - m.heapBaseline),
          fmtMiB(m.retained),
          fmtMiB(m.maxRss),
          ours(id) ? fmtRatio(memRatio(id, "official", (x) => x.heapPeak - x.heapBaseline)) : "",
          ours(id) ? fmtRatio(memRatio(id, "official", (x) => x.maxRss)) : "",
          ours(id) ? fmtRatio(memRatio(id, "raw", (x) => x.maxRss)) : "",
          ours(id) ? fmtRatio(memRatio(id, "official", footprint)) : ""
        ]
      })
    ))

    const finishedLoad = os.loadavg().map((l) => Number(l.toFixed(2)))
    const results = {
      date: new Date().toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      machine: { ...machine, loadAverageAtEnd: finishedLoad },
      versions,
      config: {
        scale,
        rounds,
        warmupRounds,
        secrets: SECRET_COUNT,
        valueBytes: VALUE.length,
        scenarios: scenarios.map((s) => ({ id: s.id, label: s.label, opsPerBatch: s.ops }))
      },
      clients: Object.fromEntries(selected.map((id) => [id, labels[id]])),
      throughput,
      ratios,
      memory,
      notes
    }
    const outDir = path.join(repoRoot, "bench/results")
    fs.mkdirSync(outDir, { recursive: true })
    fs.writeFileSync(path.join(outDir, "e2e.json"), `${JSON.stringify(results, null, 2)}\n`)
    for (const note of notes) console.log(`\nnote: ${note}`)
    console.log(`\nload average at end: ${finishedLoad.join(" ")}; total ${results.durationSeconds} s`)
    console.log(`written: bench/results/e2e.json`)
  } finally {
    for (const client of clients.values()) await client.close().catch(() => {})
    fs.rmSync(caFile, { force: true })
    await emulator.stop()
  }
}

const memoryIndex = process.argv.indexOf("--memory")
if (memoryIndex >= 0) {
  const id = process.argv[memoryIndex + 1] ?? ""
  if (!isClientId(id)) throw new Error(`--memory: unknown client '${id}' (${clientIds.join(", ")})`)
  memoryChild(id).then(
    () => process.exit(0),
    (e) => {
      console.error(e)
      process.exit(1)
    }
  )
}

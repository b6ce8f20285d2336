/**
 * The fair benchmark: every client in its own process against a static HTTPS responder in another
 * process (bench/responder.ts), so the figures are the client's own cost. Per scenario and client:
 * client CPU per operation (`process.cpuUsage` of the client process over the batch), wall throughput,
 * and p50/p99 latency of single operations. Clients run one at a time, round-robin, a different one
 * first each round; the figure is the median over rounds with its spread.
 *
 * Run through `pnpm bench` (see bench/README.md); `--worker <client>` is the client process (internal).
 */
import { type ChildProcess, fork, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import * as path from "node:path"
import { type BenchClient, type ClientId, isClientId, labels, makeClient } from "./clients.js"
import { repoRoot } from "./emulator.js"
import { fmtNumber, fmtPercent, fmtRatio, median, type Summary, summarize, table } from "./stats.js"

const TOKEN = "bench-token"
const VALUE = "v".repeat(64)
const GET_NAME = "bench-00000"

export const fairClients: ReadonlyArray<ClientId> = ["raw", "official", "ours-undici", "ours-platform-undici", "ours-fetch"]

interface ScenarioSpec {
  readonly id: string
  readonly label: string
  readonly kind: "get" | "set" | "list200" | "list10k"
  readonly concurrency: number
  /** Operations per batch at scale 1 (a listing is one operation). */
  readonly ops: number
  /** Items per operation (for per-item figures). */
  readonly items: number
}

const specs: ReadonlyArray<ScenarioSpec> = [
  { id: "get1", label: "get, 1 in flight", kind: "get", concurrency: 1, ops: 1500, items: 1 },
  { id: "get16", label: "get, 16 in flight", kind: "get", concurrency: 16, ops: 3000, items: 1 },
  { id: "get64", label: "get, 64 in flight", kind: "get", concurrency: 64, ops: 3000, items: 1 },
  { id: "set1", label: "set, 1 in flight", kind: "set", concurrency: 1, ops: 1000, items: 1 },
  { id: "set16", label: "set, 16 in flight", kind: "set", concurrency: 16, ops: 2000, items: 1 },
  { id: "set64", label: "set, 64 in flight", kind: "set", concurrency: 64, ops: 2000, items: 1 },
  { id: "list200", label: "list 200 (8 pages)", kind: "list200", concurrency: 1, ops: 20, items: 200 },
  { id: "list10k", label: "list 10,000 (400 pages)", kind: "list10k", concurrency: 1, ops: 2, items: 10_000 }
]

interface BatchRequest {
  readonly type: "batch"
  readonly spec: ScenarioSpec
  readonly ops: number
}

interface BatchResult {
  readonly cpuMicros: number
  readonly wallMs: number
  readonly p50: number
  readonly p99: number
}

const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

// ---------------------------------------------------------------------------------------------
// Worker: one client, in its own process

const worker = async (id: ClientId) => {
  const ca = fs.readFileSync(process.env.BENCH_CA_FILE!, "utf8")
  const small = await makeClient(id, { url: process.env.BENCH_SMALL_URL!, ca, token: TOKEN })
  let large: BenchClient | undefined
  const run = async (spec: ScenarioSpec, ops: number, record?: (ms: number) => void): Promise<unknown> => {
    switch (spec.kind) {
      case "get":
        return small.get(GET_NAME, ops, spec.concurrency, record)
      case "set":
        return small.set(GET_NAME, VALUE, ops, spec.concurrency, record)
      case "list200":
        return small.list(ops, record)
      case "list10k":
        large ??= await makeClient(id, { url: process.env.BENCH_LARGE_URL!, ca, token: TOKEN })
        return large.list(ops, record)
    }
  }
  // Check the client really does the work before timing it.
  if ((await small.get(GET_NAME, 5, 1)) !== VALUE) throw new Error(`${id}: wrong secret value`)
  if ((await small.list(1)) !== 200) throw new Error(`${id}: listing of the small vault is not 200 items`)
  process.send!({ type: "ready" })
  process.on("message", (msg: BatchRequest | { type: "exit" }) => {
    if (msg.type === "exit") {
      void Promise.all([small.close(), large?.close()]).finally(() => process.exit(0))
      return
    }
    void (async () => {
      const latencies = new Float64Array(msg.ops)
      let n = 0
      const record = (ms: number) => {
        if (n < latencies.length) latencies[n++] = ms
      }
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      await run(msg.spec, msg.ops, record)
      const wallMs = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      const sorted = latencies.subarray(0, n).sort()
      const result: BatchResult = { cpuMicros: cpu.user + cpu.system, wallMs, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) }
      process.send!({ type: "result", result })
    })().catch((e) => {
      process.send!({ type: "error", message: String(e instanceof Error ? e.stack ?? e.message : e) })
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Orchestrator

interface Responder {
  readonly small: string
  readonly large: string
  readonly caFile: string
  readonly stats: () => Promise<{ cpuMicros: number; requests: number }>
  readonly stop: () => void
}

export const startResponder = (): Promise<Responder> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "bench/responder.ts")], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NODE_OPTIONS: "" }
    })
    let out = ""
    child.on("exit", (code) => reject(new Error(`responder exited (code ${code})`)))
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      if (!out.includes("\n")) return
      child.removeAllListeners("exit")
      const info = JSON.parse(out.split("\n")[0]!) as { urls: { small: string; large: string }; caFile: string }
      const ca = fs.readFileSync(info.caFile, "utf8")
      const agent = new https.Agent({ ca, keepAlive: true })
      resolve({
        small: info.urls.small,
        large: info.urls.large,
        caFile: info.caFile,
        stats: () =>
          new Promise((ok, ko) => {
            https.get(`${info.urls.small}/__stats`, { agent }, (res) => {
              let body = ""
              res.on("data", (c: Buffer) => (body += c.toString()))
              res.on("end", () => ok(JSON.parse(body)))
            }).on("error", ko)
          }),
        stop: () => child.kill("SIGTERM")
      })
    })
  })

interface Worker {
  readonly id: ClientId
  readonly batch: (spec: ScenarioSpec, ops: number) => Promise<BatchResult>
  readonly stop: () => void
}

const startWorker = (id: ClientId, responder: Responder): Promise<Worker> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = fork(path.join(repoRoot, "bench/fair.ts"), ["--worker", id], {
      cwd: repoRoot,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: {
        ...process.env,
        NODE_OPTIONS: "",
        BENCH_SMALL_URL: responder.small,
        BENCH_LARGE_URL: responder.large,
        BENCH_CA_FILE: responder.caFile
      }
    })
    let pending: { ok: (r: BatchResult) => void; ko: (e: Error) => void } | undefined
    child.on("exit", (code) => {
      const e = new Error(`${id} worker exited (code ${code})`)
      reject(e)
      pending?.ko(e)
    })
    child.on("message", (msg: { type: string; result?: BatchResult; message?: string }) => {
      if (msg.type === "ready") {
        resolve({
          id,
          batch: (spec, ops) =>
            new Promise((ok, ko) => {
              pending = { ok, ko }
              child.send({ type: "batch", spec, ops } satisfies BatchRequest)
            }),
          stop: () => {
            child.removeAllListeners("exit")
            child.send({ type: "exit" })
          }
        })
      } else if (msg.type === "result") {
        const p = pending
        pending = undefined
        p?.ok(msg.result!)
      } else if (msg.type === "error") {
        const p = pending
        pending = undefined
        p?.ko(new Error(`${id}: ${msg.message}`))
      }
    })
  })

export interface FairOptions {
  readonly quick: boolean
  readonly clients: ReadonlyArray<ClientId>
  readonly rounds: number
  readonly warmupRounds: number
  readonly scale: number
}

interface Cell {
  readonly cpuPerOp: Summary
  readonly cpuPerItem: Summary
  readonly opsPerSecond: Summary
  readonly p50: Summary
  readonly p99: Summary
}

export const runFair = async (options: FairOptions) => {
  const started = Date.now()
  // BENCH_SCENARIOS=get1,set1 runs a subset (for iterating; a full run reports every scenario).
  const only = (process.env.BENCH_SCENARIOS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
  const scenarios = specs
    .filter((s) => only.length === 0 || only.includes(s.id))
    .map((s) => ({ ...s, ops: Math.max(1, Math.round(s.ops * options.scale)) }))
  console.log(`\n=== Fair benchmark: clients in their own processes against a static HTTPS responder ===`)
  console.log(`scale ${options.scale}, ${options.warmupRounds} warm-up + ${options.rounds} timed rounds, clients: ${options.clients.join(", ")}`)
  const responder = await startResponder()
  const workers: Array<Worker> = []
  const notes: Array<string> = []
  try {
    for (const id of options.clients) {
      try {
        workers.push(await startWorker(id, responder))
      } catch (e) {
        notes.push(`${id} could not run: ${(e as Error).message}`)
        console.log(`!! ${notes[notes.length - 1]}`)
      }
    }
    for (let r = 0; r < options.warmupRounds; r++) {
      for (const s of scenarios) for (const w of workers) await w.batch(s, s.ops)
      console.log(`warm-up round ${r + 1}/${options.warmupRounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    }
    const samples = new Map<string, Array<BatchResult & { ops: number }>>()
    const responderCpu: Array<number> = []
    for (let r = 0; r < options.rounds; r++) {
      for (const s of scenarios) {
        for (let i = 0; i < workers.length; i++) {
          const w = workers[(i + r) % workers.length]!
          const before = await responder.stats()
          const result = await w.batch(s, s.ops)
          const after = await responder.stats()
          // Requests per batch differ per scenario; CPU per request of the responder (minus the stats call).
          responderCpu.push((after.cpuMicros - before.cpuMicros) / Math.max(1, after.requests - before.requests - 1))
          const key = `${s.id}/${w.id}`
          samples.set(key, [...(samples.get(key) ?? []), { ...result, ops: s.ops }])
        }
      }
      console.log(`round ${r + 1}/${options.rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    }
    const ids = workers.map((w) => w.id)
    const cells: Record<string, Record<string, Cell>> = {}
    for (const s of scenarios) {
      cells[s.id] = {}
      for (const id of ids) {
        const xs = samples.get(`${s.id}/${id}`)!
        cells[s.id]![id] = {
          cpuPerOp: summarize(xs.map((x) => x.cpuMicros / x.ops)),
          cpuPerItem: summarize(xs.map((x) => x.cpuMicros / x.ops / s.items)),
          opsPerSecond: summarize(xs.map((x) => x.ops / (x.wallMs / 1000))),
          p50: summarize(xs.map((x) => x.p50)),
          p99: summarize(xs.map((x) => x.p99))
        }
      }
    }
    const cell = (s: string, id: ClientId) => cells[s]?.[id]
    const ratio = (s: string, id: ClientId, base: ClientId, f: (c: Cell) => Summary) => {
      const a = cell(s, id)
      const b = cell(s, base)
      return a && b ? f(a).median / f(b).median : Number.NaN
    }
    console.log("\nClient CPU per operation, µs (median of rounds ± spread); lower is better\n")
    console.log(table(
      ["scenario", ...ids],
      scenarios.map((s) => [s.label, ...ids.map((id) => `${fmtNumber(cell(s.id, id)!.cpuPerOp.median)} ±${fmtPercent(cell(s.id, id)!.cpuPerOp.spread)}`)])
    ))
    const ours = ids.filter((id) => id.startsWith("ours-"))
    console.log("\nClient CPU ratios: ours ÷ other (below 1.00× = ours costs less)\n")
    console.log(table(
      ["scenario", ...ours.flatMap((id) => [`${id} ÷ official`, "÷ raw"]), "official ÷ raw"],
      scenarios.map((s) => [
        s.id,
        ...ours.flatMap((id) => [fmtRatio(ratio(s.id, id, "official", (c) => c.cpuPerOp)), fmtRatio(ratio(s.id, id, "raw", (c) => c.cpuPerOp))]),
        fmtRatio(ratio(s.id, "official", "raw", (c) => c.cpuPerOp))
      ])
    ))
    console.log("\nWall throughput, operations per second (median ± spread)\n")
    console.log(table(
      ["scenario", ...ids],
      scenarios.map((s) => [s.label, ...ids.map((id) => `${fmtNumber(cell(s.id, id)!.opsPerSecond.median)} ±${fmtPercent(cell(s.id, id)!.opsPerSecond.spread)}`)])
    ))
    console.log("\nLatency of one operation, ms: p50 / p99 (medians over rounds)\n")
    console.log(table(
      ["scenario", ...ids],
      scenarios.map((s) => [s.label, ...ids.map((id) => `${fmtNumber(cell(s.id, id)!.p50.median, 2)} / ${fmtNumber(cell(s.id, id)!.p99.median, 2)}`)])
    ))
    const responderPerRequest = median(responderCpu)
    console.log(`\nresponder CPU per request: ${fmtNumber(responderPerRequest)} µs (median over batches)`)
    return {
      durationSeconds: Math.round((Date.now() - started) / 1000),
      config: { ...options, scenarios: scenarios.map(({ id, label, concurrency, ops, items }) => ({ id, label, concurrency, opsPerBatch: ops, items })) },
      clients: Object.fromEntries(ids.map((id) => [id, labels[id]])),
      responderCpuMicrosPerRequest: responderPerRequest,
      cells,
      cpuRatios: Object.fromEntries(scenarios.map((s) => [s.id, Object.fromEntries(ours.map((id) => [id, {
        vsOfficial: ratio(s.id, id, "official", (c) => c.cpuPerOp),
        vsRaw: ratio(s.id, id, "raw", (c) => c.cpuPerOp)
      }]))])),
      notes
    }
  } finally {
    for (const w of workers) w.stop()
    responder.stop()
  }
}

const workerIndex = process.argv.indexOf("--worker")
if (workerIndex >= 0) {
  const id = process.argv[workerIndex + 1] ?? ""
  if (!isClientId(id)) throw new Error(`--worker: unknown client '${id}'`)
  worker(id).catch((e) => {
    console.error(e)
    process.exit(1)
  })
}

/**
 * Resources: build, use and close SecretClient layers (over each transport) and the emulator layers many
 * times; afterwards the process's active handles and sockets are back to where they were, and the heap
 * (after a full GC) has not grown by more than a small amount per cycle.
 */
import { Emulator, TestVault } from "@effect-keyvault/emulator"
import { Credential, SecretClient } from "@effect-keyvault/secrets"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as v8 from "node:v8"
import * as Undici from "undici"
import * as vm from "node:vm"
import { type Running, startEmulator } from "./support/cli.js"
import { size, sized, writeReport } from "./support/report.js"

const CYCLES = sized(20, 200)
/** JIT, inline caches and lazily built module state grow the heap over the first cycles; not counted. */
const WARMUP = sized(5, 30)
/** How long closed resources may take to go away (keep-alive sockets of a shared pool close on idle). */
const SETTLE_MS = 15_000
/**
 * Bound on heap growth per cycle over the second half of the cycles (after warm-up settles): a leaked client
 * or vault per cycle would be far above it. Few cycles make the slope noisy (±300 KiB between two GCs).
 */
const MAX_GROWTH_PER_CYCLE = sized(256 * 1024, 32 * 1024)

// A full GC on demand without a vitest flag: expose it for this process, then take it from a new context.
v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

/** Active libuv resources by kind ("TCPSocketWrap", "TCPServerWrap", "Timeout", …). */
const activeResources = (): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

const excess = (baseline: Map<string, number>): Record<string, number> => {
  const extra: Record<string, number> = {}
  for (const [kind, n] of activeResources()) {
    const over = n - (baseline.get(kind) ?? 0)
    if (over > 0) extra[kind] = over
  }
  return extra
}

const heapAfterGc = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

interface Measured {
  readonly subject: string
  readonly cycles: number
  readonly extra: Record<string, number>
  readonly settleMs: number
  /** Over all measured cycles. */
  readonly growthPerCycle: number
  /** Over the second half only: what remains once warm-up effects are gone. */
  readonly lateGrowthPerCycle: number
}

const results: Array<Measured> = []

/** Warm up, take the baseline, run the cycles, wait for resources to settle, compare. */
const measure = (subject: string, cycle: Effect.Effect<void, unknown>, cycles = CYCLES, warmup = WARMUP) =>
  Effect.gen(function*() {
    for (let i = 0; i < warmup; i++) yield* cycle
    yield* Effect.sleep("50 millis")
    const baseline = activeResources()
    const heapBefore = heapAfterGc()
    const half = Math.floor(cycles / 2)
    for (let i = 0; i < half; i++) yield* cycle
    const heapMid = heapAfterGc()
    for (let i = half; i < cycles; i++) yield* cycle
    const closed = performance.now()
    let extra = excess(baseline)
    while (Object.keys(extra).length > 0 && performance.now() - closed < SETTLE_MS) {
      yield* Effect.sleep("100 millis")
      extra = excess(baseline)
    }
    const settleMs = performance.now() - closed
    const heapAfter = heapAfterGc()
    const growthPerCycle = (heapAfter - heapBefore) / cycles
    const lateGrowthPerCycle = (heapAfter - heapMid) / (cycles - half)
    results.push({ subject, cycles, extra, settleMs, growthPerCycle, lateGrowthPerCycle })
    expect(extra).toEqual({})
    // Over a handful of cycles the slope is GC noise; the bound is only meaningful over ten or more.
    if (cycles - half >= 10) expect(lateGrowthPerCycle).toBeLessThan(MAX_GROWTH_PER_CYCLE)
  })

/** What every cycle does with a client: a write, a read and a listing. */
const use = (n: number) =>
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    yield* client.setSecret(`cycle-${n % 5}`, `value-${n}`)
    const read = yield* client.getSecret(`cycle-${n % 5}`)
    expect(Redacted.value(read.value)).toBe(`value-${n}`)
    yield* client.listPropertiesOfSecrets().pipe(Stream.runDrain)
  })

const counter = () => {
  let n = 0
  return () => n++
}

const clientOptions = (url: string): SecretClient.SecretClientOptions => ({
  vaultUrl: url,
  allowInsecureLoopback: true,
  verifyChallengeResource: false,
  timeout: "10 seconds"
})

const timeout = sized(120_000, 900_000)

describe("resources over build/use/close cycles", () => {
  // The vault for the client cycles runs in its own process, so only the client's handles are counted here.
  let server: Running
  beforeAll(async () => {
    server = await startEmulator()
  }, 60_000)
  afterAll(async () => {
    server.child.kill("SIGTERM")
    await server.exited
    writeReport({
      suite: "resources",
      title: "Resources over build/use/close cycles",
      figures: Object.fromEntries(results.flatMap((r) => [
        [`${r.subject}: cycles`, r.cycles],
        [`${r.subject}: resources left after close`, Object.keys(r.extra).length === 0 ? 0 : JSON.stringify(r.extra)],
        [`${r.subject}: time until back to baseline (ms)`, Math.round(r.settleMs)],
        [`${r.subject}: heap growth per cycle after GC, all cycles (bytes)`, Math.round(r.growthPerCycle)],
        [`${r.subject}: heap growth per cycle after GC, second half (bytes)`, Math.round(r.lateGrowthPerCycle)]
      ])),
      notes: [
        `Each subject: ${WARMUP} warm-up cycles (HTTPS: fewer, a certificate is generated per start), then the baseline (process.getActiveResourcesInfo() by kind, heapUsed after a full GC), then the cycles, each building the layer in a fresh scope, writing, reading and listing through a SecretClient, and closing the scope.`,
        "Client cycles talk HTTP to an emulator CLI in a child process, so only the client's own handles are in the count. FetchHttpClient uses the process-wide fetch dispatcher, whose pooled keep-alive connection to the vault outlives each layer by design and is shared by the next cycle (it is part of the baseline after warm-up); the undici and node:http layers own their pools and close them with the layer. Time until back to baseline is polled every 100 ms.",
        `Targets: no resource kind above its baseline within ${SETTLE_MS / 1000} s of the last close; heap growth over the second half below ${MAX_GROWTH_PER_CYCLE / 1024} KiB per cycle (asserted when the second half has ten or more cycles). Negative values are GC noise; the all-cycles figure still includes warm-up (JIT and inline caches), which a standalone run of 2,000 TestVault cycles showed flattening to a few hundred bytes per cycle.`
      ]
    })
  })

  const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
    ["FetchHttpClient", FetchHttpClient.layer],
    ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
    ["NodeHttpClient.layer (node:http)", NodeHttpClient.layer]
  ]
  for (const [label, transport] of transports) {
    it.live(`SecretClient.layer over ${label}: ${CYCLES} cycles (${size})`, () => {
      const next = counter()
      const cycle = Effect.suspend(() =>
        use(next()).pipe(
          Effect.provide(SecretClient.layer(clientOptions(server.url)).pipe(
            Layer.provide(Layer.mergeAll(Credential.layerStatic("resources-token"), transport))
          ))
        )
      )
      return measure(`SecretClient over ${label}`, cycle)
    }, timeout)
  }

  it.live(`Emulator.layer (HTTP server) with a client: ${CYCLES} cycles (${size})`, () => {
    const next = counter()
    const cycle = Effect.suspend(() =>
      use(next()).pipe(
        Effect.provide(
          Layer.unwrapEffect(Effect.map(Emulator.Emulator, (e) => SecretClient.layer(clientOptions(e.url)))).pipe(
            Layer.provide(Emulator.layer({ tls: false })),
            Layer.provide(Layer.mergeAll(Credential.layerStatic("resources-token"), NodeHttpClient.layerUndici))
          )
        )
      )
    )
    return measure("Emulator.layer (HTTP) + client", cycle)
  }, timeout)

  // A certificate is generated at every start, so fewer cycles.
  const tlsCycles = sized(4, 40)
  it.live(`Emulator.layer (HTTPS server) with a client trusting its certificate: ${tlsCycles} cycles (${size})`, () => {
    const next = counter()
    const cycle = Effect.suspend(() =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        // The client's own pool, trusting only this emulator's certificate, closed with the scope.
        const dispatcher = Layer.scoped(
          NodeHttpClient.Dispatcher,
          Effect.acquireRelease(
            Effect.sync(() => new Undici.Agent({ connect: { ca: emulator.certificatePem } })),
            (agent) => Effect.promise(() => agent.destroy())
          )
        )
        yield* use(next()).pipe(Effect.provide(SecretClient.layer({ ...clientOptions(emulator.url), allowInsecureLoopback: false }).pipe(
          Layer.provide(Layer.mergeAll(
            Credential.layerStatic("resources-token"),
            NodeHttpClient.layerUndiciWithoutDispatcher.pipe(Layer.provide(dispatcher))
          ))
        )))
      }).pipe(Effect.provide(Emulator.layer({ tls: true })))
    )
    return measure("Emulator.layer (HTTPS) + client", cycle, tlsCycles, sized(2, 10))
  }, timeout)

  it.live(`Emulator.layerInProcess with a client: ${CYCLES} cycles (${size})`, () => {
    const next = counter()
    const cycle = Effect.suspend(() =>
      use(next()).pipe(
        Effect.provide(SecretClient.layer({ vaultUrl: "https://emulator.vault.azure.net" }).pipe(
          Layer.provide(Layer.mergeAll(Credential.layerStatic("resources-token"), Emulator.layerInProcess()))
        ))
      )
    )
    return measure("Emulator.layerInProcess + client", cycle)
  }, timeout)

  it.live(`TestVault.layer: ${CYCLES} cycles (${size})`, () => {
    const next = counter()
    const cycle = Effect.suspend(() =>
      use(next()).pipe(Effect.provide(TestVault.layer({ seed: [{ name: "seeded", value: "s" }] })))
    )
    return measure("TestVault.layer", cycle)
  }, timeout)
})

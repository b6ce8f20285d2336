/**
 * Cached `SecretCache.get` throughput in process (`pnpm bench:cache`): one secret read once from an in-process
 * emulator, then N cached reads. Reported: median ops/s over rounds for
 * - `loop`: `yield* cache.get(name)` in a loop inside one Effect (how application code calls it);
 * - `forEach`: `Effect.forEach(range, () => cache.get(name), { discard: true })`;
 * - `runSync`: one `Effect.runSync(cache.get(name))` per read (includes starting a fiber each time).
 *
 * Environment: CACHE_BENCH_OPS (1,000,000 per round), CACHE_BENCH_ROUNDS (7).
 */
import { Effect, Layer } from "effect"
import { Emulator } from "../packages/emulator/src/index.js"
import { Credential, SecretCache, SecretClient } from "../packages/secrets/src/index.js"

const OPS = Number(process.env["CACHE_BENCH_OPS"] ?? 1_000_000)
const ROUNDS = Number(process.env["CACHE_BENCH_ROUNDS"] ?? 7)

const Live = SecretCache.layer().pipe(
  Layer.provideMerge(SecretClient.layer({ vaultUrl: "https://emulator.vault.azure.net" })),
  Layer.provide(Credential.layerStatic("bench-token")),
  Layer.provide(Emulator.layerInProcess())
)

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const cache = yield* SecretCache.SecretCache
  yield* client.setSecret("bench-secret", "x".repeat(64))
  yield* cache.get("bench-secret") // the one miss
  const get = cache.get("bench-secret")
  const loop = Effect.gen(function*() {
    for (let i = 0; i < OPS; i++) yield* cache.get("bench-secret")
  })
  const forEach = Effect.forEach(Array.from({ length: OPS }), () => cache.get("bench-secret"), { discard: true })
  const runSync = Effect.sync(() => {
    for (let i = 0; i < OPS / 10; i++) Effect.runSync(get)
  })
  const measure = (effect: Effect.Effect<void, unknown>, ops: number) =>
    Effect.gen(function*() {
      const samples: Array<number> = []
      for (let r = 0; r < ROUNDS + 1; r++) {
        const start = performance.now()
        yield* effect
        const ms = performance.now() - start
        if (r > 0) samples.push(ops / (ms / 1000)) // the first round is warm-up
      }
      return median(samples)
    })
  const results = {
    loop: yield* measure(loop, OPS),
    forEach: yield* measure(forEach, OPS),
    runSync: yield* measure(runSync, OPS / 10)
  }
  const stats = yield* cache.stats
  console.log(`SecretCache.get, cached, ${OPS} reads per round, median of ${ROUNDS} rounds (Node ${process.version})`)
  for (const [id, opsPerSec] of Object.entries(results)) {
    console.log(`  ${id.padEnd(8)} ${Math.round(opsPerSec).toLocaleString("en-US")} ops/s`)
  }
  console.log(`  (cache stats: ${stats.hits} hits, ${stats.misses} miss)`)
})

Effect.runPromise(program.pipe(Effect.provide(Live))).catch((e) => {
  console.error(e)
  process.exit(1)
})

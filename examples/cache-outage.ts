/**
 * A cache that rides out an outage: `SecretCache` serves the last good value while the vault fails, refreshes
 * in the background (readers never wait), and publishes its counters as Effect Metrics. Also: the lazy
 * `SecretConfigProvider`, which reads a config key from the vault only when it is first asked for.
 *
 *   pnpm tsx examples/cache-outage.ts     # against an in-process test vault with fault injection
 *
 * Durations are seconds here so the demo is quick; in production keep the default TTL (8 hours).
 */
import { TestVault } from "@effect-keyvault/emulator"
import { SecretCache, SecretClient, SecretConfigProvider } from "@effect-keyvault/secrets"
import { Config, Console, Effect, Layer, Metric, Redacted } from "effect"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const cache = yield* SecretCache.SecretCache
  const vault = yield* TestVault.TestVault
  yield* client.setSecret("db-password", "first value")

  yield* cache.get("db-password")
  // The vault goes down: every read answers 503.
  yield* vault.inject({ operation: "getSecret", status: 503, times: "always" })
  let failed = 0
  for (let i = 0; i < 10; i++) {
    yield* Effect.sleep("300 millis")
    const read = yield* Effect.either(cache.get("db-password"))
    if (read._tag === "Left") failed++
  }
  const during = yield* cache.stats
  yield* Console.log(`outage: 10 reads, ${failed} failed, ${during.stale} served stale, ${during.refreshFailures} refresh failure(s)`)

  // The vault is back with a new version: a background refresh picks it up.
  yield* vault.clearFaults
  yield* client.setSecret("db-password", "second value")
  let version = ""
  const latest = (yield* client.getSecret("db-password")).properties.version
  for (let i = 0; i < 40 && version !== latest; i++) {
    version = (yield* cache.get("db-password")).properties.version ?? ""
    yield* Effect.sleep("250 millis")
  }
  yield* Console.log(`after the outage: serving the new version: ${version === latest}`)
  const stale = yield* Metric.value(SecretCache.metrics.stale)
  yield* Console.log(`metric effect_keyvault_secret_cache_stale = ${stale.count}`)

  // Lazy configuration: only DB_PASSWORD is read, when asked for; the value stays Redacted.
  const password = yield* Config.redacted("DB_PASSWORD").pipe(
    Effect.provide(SecretConfigProvider.layerLazy({ fallback: null }).pipe(Layer.provide(Layer.succeed(SecretClient.SecretClient, client))))
  )
  yield* Console.log(`DB_PASSWORD from the vault, lazily; prints as ${String(password)}; ${Redacted.value(password).length} chars`)
})

const Live = SecretCache.layer({ timeToLive: "1 second", maxStale: "1 minute", backoff: { base: "200 millis" } }).pipe(
  Layer.provideMerge(TestVault.layer())
)

Effect.runPromise(program.pipe(Effect.provide(Live))).then(
  () => console.log("done"),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)

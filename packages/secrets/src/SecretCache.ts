/**
 * `SecretCache`: read-through caching of secrets on top of `SecretClient`.
 *
 * Key Vault's guidance is to cache secrets in memory (for hours) rather than read them per request: a vault
 * allows about 4,000 secret transactions per 10 s, and every read costs a round trip. The official SDKs leave
 * this to the application; here it is one layer. Concurrent reads of the same secret share one request, a
 * missing secret is remembered for a short while (so a fallback path does not hammer the vault), and any other
 * failure is not cached at all, so the next read tries again.
 *
 * @example
 * ```ts
 * import { Credential, SecretCache, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const SecretsLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * const CacheLive = SecretCache.layer({ timeToLive: "8 hours" }).pipe(Layer.provide(SecretsLive))
 *
 * const password = Effect.gen(function*() {
 *   const cache = yield* SecretCache.SecretCache
 *   const secret = yield* cache.get("db-password") // one request, then served from memory
 *   return Redacted.value(secret.value)
 * }).pipe(Effect.provide(CacheLive))
 * ```
 *
 * @since 0.1.0
 */
import * as Cache from "effect/Cache"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type { KeyVaultSecret } from "./KeyVaultSecret.js"
import * as SecretClient from "./SecretClient.js"

/**
 * Cache settings.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretCache } from "@effect-keyvault/secrets"
 *
 * const options: SecretCache.Options = { timeToLive: "1 hour", notFoundTimeToLive: "10 seconds", capacity: 200 }
 * const CacheLive = SecretCache.layer(options)
 * ```
 */
export interface Options {
  /** How long a secret read stays cached. Default: 8 hours (Key Vault's own guidance). */
  readonly timeToLive?: Duration.DurationInput | undefined
  /** How long a `NotFound` is remembered. Default: 1 minute. Other failures are never cached. */
  readonly notFoundTimeToLive?: Duration.DurationInput | undefined
  /** Most entries kept (name × version). Default: 1000. */
  readonly capacity?: number | undefined
}

/**
 * Cached reads of secrets, with invalidation and statistics.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Credential, SecretCache, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * // Write a new version, then make sure the next read sees it
 * const rotate = (name: string, value: string) =>
 *   Effect.gen(function*() {
 *     const client = yield* SecretClient.SecretClient
 *     const cache: SecretCache.Service = yield* SecretCache.SecretCache
 *     yield* client.setSecret(name, value)
 *     yield* cache.invalidate(name)
 *     const { hits, misses } = yield* cache.stats
 *     yield* Effect.logDebug(`cache hits=${hits} misses=${misses}`)
 *   })
 * ```
 */
export interface Service {
  /** The secret (latest, or `version`), from memory when cached and fresh, otherwise from the vault. */
  readonly get: (
    name: string,
    options?: { readonly version?: string | undefined }
  ) => Effect.Effect<KeyVaultSecret, SecretClient.ServiceErrors>
  /** Forget every cached version of `name` (e.g. after writing a new version). */
  readonly invalidate: (name: string) => Effect.Effect<void>
  /** Forget everything. */
  readonly invalidateAll: Effect.Effect<void>
  /** Cache statistics: hits, misses and size. */
  readonly stats: Effect.Effect<{ readonly hits: number; readonly misses: number; readonly size: number }>
}

/**
 * The tag of the cache {@link Service}.
 *
 * @since 0.1.0
 * @category Context
 *
 * @example
 * ```ts
 * import { SecretCache } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const apiKey = Effect.flatMap(SecretCache.SecretCache, (cache) => cache.get("api-key")).pipe(
 *   Effect.map((secret) => secret.value) // still Redacted
 * )
 * ```
 */
export class SecretCache extends Context.Tag("@effect-keyvault/secrets/SecretCache")<SecretCache, Service>() {}

// Names are case-insensitive in Key Vault; versions are not part of the name rule but are hex in practice.
const keyOf = (name: string, version: string | undefined) => `${name.toLowerCase()}/${version ?? ""}`

/**
 * Build a cache over the `SecretClient` in context.
 *
 * @example
 * ```ts
 * import { SecretCache } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const cache = yield* SecretCache.make({ timeToLive: "1 hour", notFoundTimeToLive: "30 seconds" })
 *   const first = yield* cache.get("api-key")
 *   const again = yield* cache.get("API-KEY") // same entry: names are case-insensitive
 *   return first === again
 * })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, SecretClient.SecretClient> =>
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const ttl = Duration.decode(options.timeToLive ?? "8 hours")
    const notFoundTtl = Duration.decode(options.notFoundTimeToLive ?? "1 minute")
    const cache = yield* Cache.makeWith({
      capacity: options.capacity ?? 1000,
      lookup: (key: string) => {
        const slash = key.lastIndexOf("/")
        const version = key.slice(slash + 1)
        return client.getSecret(key.slice(0, slash), version === "" ? {} : { version })
      },
      timeToLive: Exit.match({
        onSuccess: () => ttl,
        onFailure: (cause) => {
          const failure = cause._tag === "Fail" ? cause.error : undefined
          return failure?._tag === "NotFound" ? notFoundTtl : Duration.zero
        }
      })
    })
    // Hits served without going through `Cache`: one clock read and a Map lookup (Cache.get costs ~1-2 µs
    // per hit). An entry is added after a successful Cache read and expires exactly when the Cache's entry
    // does (its load time + TTL); misses, failures, TTL and concurrent loads stay with Cache.
    const hot = new Map<string, { readonly secret: KeyVaultSecret; readonly expiresAt: number }>()
    const capacity = options.capacity ?? 1000
    const ttlMillis = Duration.toMillis(ttl)
    let hotHits = 0
    const remember = (key: string, secret: KeyVaultSecret) =>
      Effect.map(cache.entryStats(key), (stats) => {
        if (stats._tag === "None" || !(ttlMillis > 0)) return
        // Bounded like the Cache; the oldest entry goes first (Map keeps insertion order).
        if (hot.size >= capacity && !hot.has(key)) hot.delete(hot.keys().next().value!)
        hot.set(key, { secret, expiresAt: stats.value.loadedMillis + ttlMillis })
      })
    return SecretCache.of({
      get: (name, opts) =>
        Effect.clockWith((clock) => {
          const key = keyOf(name, opts?.version)
          const now = clock.unsafeCurrentTimeMillis()
          const entry = hot.get(key)
          if (entry !== undefined) {
            if (now < entry.expiresAt) {
              hotHits++
              return Effect.succeed(entry.secret)
            }
            hot.delete(key)
          }
          // A zero TTL still serves the failure to callers at the same instant; drop it outright instead.
          return cache.get(key).pipe(
            Effect.tap((secret) => remember(key, secret)),
            Effect.tapError((e) => e._tag === "NotFound" ? Effect.void : cache.invalidate(key))
          )
        }),
      invalidate: (name) =>
        Effect.flatMap(cache.keys, (keys) => {
          const prefix = `${name.toLowerCase()}/`
          for (const k of [...hot.keys()]) if (k.startsWith(prefix)) hot.delete(k)
          return Effect.forEach(keys.filter((k) => k.startsWith(prefix)), (k) => cache.invalidate(k), {
            discard: true
          })
        }),
      invalidateAll: Effect.zipRight(Effect.sync(() => hot.clear()), cache.invalidateAll),
      stats: Effect.map(cache.cacheStats, (s) => ({ hits: s.hits + hotHits, misses: s.misses, size: s.size }))
    })
  })

/**
 * The cache as a layer over `SecretClient`.
 *
 * @example
 * ```ts
 * import { Credential, SecretCache, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * const SecretsLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * // Both services: write through SecretClient, read through SecretCache.
 * const Live = SecretCache.layer().pipe(Layer.provideMerge(SecretsLive))
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options?: Options): Layer.Layer<SecretCache, never, SecretClient.SecretClient> =>
  Layer.effect(SecretCache, make(options))

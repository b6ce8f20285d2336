/**
 * `SecretCache`: read-through caching of secrets on top of `SecretClient`.
 *
 * Key Vault's guidance is to cache secrets in memory (for hours) rather than read them per request: a vault
 * allows about 4,000 secret transactions per 10 s, and every read costs a round trip. The official SDKs leave
 * this to the application; here it is one layer. Concurrent reads of the same secret share one request, a
 * missing secret is remembered for a short while (so a fallback path does not hammer the vault), and any other
 * failure is not cached, so the next read tries again.
 *
 * The cache rides out outages and throttling: a value near expiry is refreshed in the background (readers get
 * the cached value at once; refresh points are jittered so a fleet does not refresh in step), and when the vault
 * fails the last good value is served for up to `maxStale`. Failed refreshes back off exponentially, honouring
 * the service's `Retry-After`; a 429 pauses every refresh of the cache. Size is bounded (least recently read is
 * evicted), and hits, misses, stale reads and refresh failures are Effect `Metric`s.
 *
 * A read of the vault is shared by every reader that wants it, so it runs with the cache's own context (the one
 * the cache was built in: its `RetryPolicy`, `SecretClient.withRequestOptions`, log annotations), never with
 * that of the reader who happened to start it.
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
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { footprints } from "./internal/cacheFootprint.js"
import type { KeyVaultSecret } from "./KeyVaultSecret.js"
import type * as Poller from "./Poller.js"
import * as SecretClient from "./SecretClient.js"
import * as SecretError from "./SecretError.js"

/**
 * Cache settings. Every field is optional; the defaults follow Key Vault's guidance (cache for hours) and are
 * the ones that keep a 500-instance fleet under the vault's throttling limit (see the fleet simulation in
 * `bench/README.md`).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretCache } from "@effect-keyvault/secrets"
 *
 * const options: SecretCache.Options = {
 *   timeToLive: "1 hour",
 *   notFoundTimeToLive: "10 seconds",
 *   capacity: 200,
 *   maxStale: "1 day", // ride out a vault outage of up to a day on the last good value
 *   refreshAhead: 0.2, // refresh in the background during the last 20% of the TTL
 *   jitter: 0.1 // spread refreshes over 10% of the TTL so instances do not refresh together
 * }
 * const CacheLive = SecretCache.layer(options)
 * ```
 */
export interface Options {
  /** How long a secret read stays fresh. Default: 8 hours (Key Vault's own guidance). */
  readonly timeToLive?: Duration.DurationInput | undefined
  /** How long a `NotFound` is remembered. Default: 1 minute. Other failures are never cached. */
  readonly notFoundTimeToLive?: Duration.DurationInput | undefined
  /** Most entries kept (name × version); the least recently read is evicted. Default: 1000. */
  readonly capacity?: number | undefined
  /**
   * How long past its TTL a value is still served while refreshing it fails (stale-on-error). After that the
   * read waits for the vault and fails with its error. Default: 24 hours. `NotFound` and `Forbidden` with
   * `disabled` (`SecretDisabled`) are authoritative: a deleted or disabled secret is never served stale (a
   * disabled one drops the entry and the read fails with that `Forbidden`). While refreshes fail, a read is
   * answered at once, so the read that starts a refresh still gets the stale value even if that refresh then
   * finds the secret disabled; every read after it fails.
   *
   * @since 0.2.0
   */
  readonly maxStale?: Duration.DurationInput | undefined
  /**
   * Fraction of the TTL, before expiry, in which a read starts a background refresh (the reader gets the
   * cached value at once). Default: 0.2. `0` turns refresh-ahead off (an expired entry is re-read on demand).
   *
   * @since 0.2.0
   */
  readonly refreshAhead?: number | undefined
  /**
   * Fraction of the TTL over which each entry's refresh point is spread at random, so that instances started
   * together do not refresh together. Default: 0.1.
   *
   * @since 0.2.0
   */
  readonly jitter?: number | undefined
  /**
   * Backoff between failed refreshes of one entry: `base × 2^(failures-1)`, capped at `max`, randomized to
   * 50–100%, and never shorter than a `Throttled` error's `retryAfterMs`. A 429 also pauses every refresh of
   * this cache until its `retryAfterMs` has passed. Default: 1 second, 5 minutes.
   *
   * @since 0.2.0
   */
  readonly backoff?: { readonly base?: Duration.DurationInput; readonly max?: Duration.DurationInput } | undefined
  /**
   * How long a read with nothing cached keeps retrying `Throttled` (429) before failing with it, waiting the
   * backoff above (jittered, at least `retryAfterMs`). Default: 2 minutes; `0` fails at the first 429 the
   * client's own retry policy gives up on. While the cache is paused by a 429, such a read waits for the pause
   * only if it ends within `throttledWait`; otherwise it fails at once with `Throttled` (`retryAfterMs`: what is
   * left of the pause).
   *
   * @since 0.2.0
   */
  readonly throttledWait?: Duration.DurationInput | undefined
}

/**
 * Cache counters since the cache was built.
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretCache } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const report = Effect.flatMap(SecretCache.SecretCache, (cache) => cache.stats).pipe(
 *   Effect.map((s: SecretCache.Stats) => `hit ratio ${(s.hits / Math.max(1, s.hits + s.misses)).toFixed(2)}, stale ${s.stale}`)
 * )
 * ```
 */
export interface Stats {
  /** Reads answered from memory with a fresh value (or a remembered `NotFound`). */
  readonly hits: number
  /** Reads that had to wait for the vault (nothing cached, or an expired entry re-read on demand). */
  readonly misses: number
  /** Reads answered with a value past its TTL because refreshing it failed. */
  readonly stale: number
  /** Background or on-demand refreshes that failed (the entry was kept). */
  readonly refreshFailures: number
  /** Entries evicted to stay within `capacity`. */
  readonly evictions: number
  /** Entries held now. */
  readonly size: number
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
 * // (SecretCache.layerWithClient does this for every write through the client)
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
  /**
   * The secret (latest, or `version`): from memory when cached, otherwise from the vault. A value near expiry
   * is refreshed in the background; one past expiry is served stale (up to `maxStale`) when the vault fails.
   * The vault is read with the cache's context: settings given to this call only (`withRequestOptions`, a
   * `RetryPolicy` provided around it) do not apply, since other readers may share the read.
   */
  readonly get: (
    name: string,
    options?: { readonly version?: string | undefined }
  ) => Effect.Effect<KeyVaultSecret, SecretClient.ServiceErrors>
  /** Forget every cached version of `name` (e.g. after writing a new version); in-flight reads are not stored. */
  readonly invalidate: (name: string) => Effect.Effect<void>
  /** Forget everything. */
  readonly invalidateAll: Effect.Effect<void>
  /** Cache statistics (also published as the `Metric`s in {@link metrics}). */
  readonly stats: Effect.Effect<Stats>
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

/**
 * The cache's counters as Effect `Metric`s (summed over every cache in the process), for any metrics exporter
 * (e.g. `@effect/opentelemetry`).
 *
 * @since 0.2.0
 * @category Metrics
 *
 * @example
 * ```ts
 * import { SecretCache } from "@effect-keyvault/secrets"
 * import { Effect, Metric } from "effect"
 *
 * const staleReads = Metric.value(SecretCache.metrics.stale).pipe(Effect.map((state) => state.count))
 * ```
 */
export const metrics = {
  hits: Metric.counter("effect_keyvault_secret_cache_hits", { description: "Reads served fresh from memory" }),
  misses: Metric.counter("effect_keyvault_secret_cache_misses", { description: "Reads that waited for the vault" }),
  stale: Metric.counter("effect_keyvault_secret_cache_stale", {
    description: "Reads served a value past its TTL because refreshing failed"
  }),
  refreshFailures: Metric.counter("effect_keyvault_secret_cache_refresh_failures", {
    description: "Failed refreshes (the cached value was kept)"
  }),
  evictions: Metric.counter("effect_keyvault_secret_cache_evictions", { description: "LRU evictions" })
} as const

// Names are case-insensitive in Key Vault; versions are not part of the name rule but are hex in practice.
const keyOf = (name: string, version: string | undefined) => `${name.toLowerCase()}/${version ?? ""}`

type Failure = SecretClient.ServiceErrors

interface Entry {
  readonly name: string
  readonly version: string | undefined
  value: KeyVaultSecret | undefined
  notFound: SecretError.NotFound | undefined
  /** When the refresh-ahead window opens (jittered). */
  refreshAt: number
  expiresAt: number
  staleUntil: number
  lastUsed: number
  failures: number
  /** Set when a refresh found the secret disabled: the entry was dropped and readers waiting on it fail with this. */
  revoked: SecretError.Forbidden | undefined
  nextAttemptAt: number
  refreshing: Fiber.Fiber<void> | undefined
}

/** A read in flight; `superseded` once the name is invalidated, so that it does not store what it got. */
interface Ticket {
  superseded: boolean
}

const noTags: ReadonlyArray<never> = []

/**
 * Build a cache over the `SecretClient` in context. Vault reads (shared loads, background refreshes) run in the
 * surrounding `Scope`, and are interrupted when it closes, with the context `make` runs in: a `RetryPolicy` or
 * `SecretClient.withRequestOptions` around `make` applies to every read of the cache, a reader's own does not.
 * They run without a parent span.
 *
 * @example
 * ```ts
 * import { SecretCache } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const cache = yield* SecretCache.make({ timeToLive: "1 hour", notFoundTimeToLive: "30 seconds" })
 *   const first = yield* cache.get("api-key")
 *   const again = yield* cache.get("API-KEY") // same entry: names are case-insensitive
 *   return first === again
 * }))
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, never, SecretClient.SecretClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const refreshes = yield* FiberSet.make<void, never>()
    const loads = yield* FiberSet.make<KeyVaultSecret, Failure>()
    // Shared work (a read that every concurrent reader joins, a background refresh) runs with the context the
    // cache is built with (its RetryPolicy, request options, log annotations), never with that of the reader
    // that happened to start it. The parent span is left out: loads are not children of the layer's build.
    const ownContext = <A>(effect: Effect.Effect<A>) =>
      Effect.mapInputContext(effect, (context: Context.Context<never>) => Context.omit(Tracer.ParentSpan)(context))
    const runLoad = yield* ownContext(FiberSet.runtime(loads)<never>())
    const runRefresh = yield* ownContext(FiberSet.runtime(refreshes)<never>())
    const ttl = Duration.toMillis(Duration.decode(options.timeToLive ?? "8 hours"))
    const notFoundTtl = Duration.toMillis(Duration.decode(options.notFoundTimeToLive ?? "1 minute"))
    const maxStale = Duration.toMillis(Duration.decode(options.maxStale ?? "24 hours"))
    const capacity = Math.max(1, options.capacity ?? 1000)
    const refreshAhead = Math.min(1, Math.max(0, options.refreshAhead ?? 0.2))
    const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.1))
    const backoffBase = Duration.toMillis(Duration.decode(options.backoff?.base ?? "1 second"))
    const backoffMax = Duration.toMillis(Duration.decode(options.backoff?.max ?? "5 minutes"))
    const throttledWait = Duration.toMillis(Duration.decode(options.throttledWait ?? "2 minutes"))

    const entries = new Map<string, Entry>()
    const inflight = new Map<string, Fiber.Fiber<KeyVaultSecret, Failure>>()
    // One ticket per load or refresh in flight, by lower-case name. invalidate marks the name's tickets so that a
    // read that started before it does not store what it got; a ticket leaves when its read ends, so this holds
    // only names with a read in flight (a stamp per name ever invalidated would grow without bound).
    const tickets = new Map<string, Set<Ticket>>()
    let tick = 0
    // A 429 seen by any read pauses every refresh of this cache until then (the vault limit is shared).
    let throttledUntil = 0
    let lastThrottled: SecretError.Throttled | undefined
    const counts = { hits: 0, misses: 0, stale: 0, refreshFailures: 0, evictions: 0 }

    const issue = (name: string): Ticket => {
      const lower = name.toLowerCase()
      const ticket: Ticket = { superseded: false }
      const set = tickets.get(lower)
      if (set === undefined) tickets.set(lower, new Set([ticket]))
      else set.add(ticket)
      return ticket
    }
    const release = (name: string, ticket: Ticket) => {
      const lower = name.toLowerCase()
      const set = tickets.get(lower)
      // After an invalidate the name's set may be a newer one, without this ticket: deleting is then a no-op.
      if (set !== undefined && set.delete(ticket) && set.size === 0) tickets.delete(lower)
    }

    const backoffMs = (failures: number, error: Failure | undefined) =>
      Effect.map(Random.nextRange(0.5, 1), (r) => {
        const exp = Math.min(backoffMax, backoffBase * 2 ** Math.min(30, failures - 1)) * r
        return error?._tag === "Throttled" ? Math.max(exp, error.retryAfterMs ?? 1000) : exp
      })

    const noteThrottled = (error: Failure, now: number) => {
      if (error._tag === "Throttled") {
        throttledUntil = Math.max(throttledUntil, now + (error.retryAfterMs ?? 1000))
        lastThrottled = error
      }
    }

    const evictIfFull = () => {
      if (entries.size < capacity) return
      let oldestKey: string | undefined
      let oldest = Number.POSITIVE_INFINITY
      for (const [k, e] of entries) {
        if (e.lastUsed < oldest && e.refreshing === undefined) {
          oldest = e.lastUsed
          oldestKey = k
        }
      }
      if (oldestKey !== undefined) {
        entries.delete(oldestKey)
        counts.evictions++
        metrics.evictions.unsafeUpdate(1, noTags)
      }
    }

    // Store a successful read or a NotFound (fresh timings); anything else leaves the cache as it is.
    const store = (key: string, name: string, version: string | undefined, result: KeyVaultSecret | SecretError.NotFound) =>
      Effect.gen(function*() {
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        const isValue = !("_tag" in result && result._tag === "NotFound")
        const life = isValue ? ttl : notFoundTtl
        const spread = isValue ? (yield* Random.next) * jitter * ttl : 0
        const refreshAt = isValue && refreshAhead > 0
          ? now + Math.max(0, life - refreshAhead * life - spread)
          : now + life
        const existing = entries.get(key)
        if (existing === undefined) evictIfFull()
        entries.set(key, {
          name,
          version,
          value: isValue ? result as KeyVaultSecret : undefined,
          notFound: isValue ? undefined : result as SecretError.NotFound,
          refreshAt,
          expiresAt: now + life,
          staleUntil: isValue ? now + life + maxStale : now + life,
          lastUsed: existing?.lastUsed ?? ++tick,
          failures: 0,
          nextAttemptAt: 0,
          refreshing: undefined,
          revoked: undefined
        })
      })

    // The cache-wide pause as an error: `retryAfterMs` is what is left of it.
    const pausedError = (remainingMs: number) =>
      new SecretError.Throttled({
        vault: lastThrottled?.vault ?? client.vaultUrl,
        status: 429,
        retryAfterMs: remainingMs,
        message: lastThrottled?.message ?? "Throttled"
      })

    // One vault read; waits out a cache-wide throttle first (jittered, so paused reads do not return together),
    // but not past `deadline`: a pause that lasts longer fails at once with `Throttled`.
    const fetchOnce = (name: string, version: string | undefined, deadline: number) =>
      Effect.gen(function*() {
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        if (now < throttledUntil) {
          if (throttledUntil > deadline) return yield* Effect.fail(pausedError(throttledUntil - now))
          const pause = (throttledUntil - now) * (1 + (yield* Random.next) * 0.5)
          yield* Effect.sleep(Duration.millis(Math.min(pause, deadline - now)))
        }
        return yield* client.getSecret(name, version === undefined ? {} : { version }).pipe(
          Effect.tapError((e) => Effect.clockWith((c) => c.currentTimeMillis).pipe(Effect.map((t) => noteThrottled(e, t))))
        )
      })

    // A read with nothing to fall back on keeps retrying 429 for up to `throttledWait`.
    const fetchMiss = (name: string, version: string | undefined) =>
      Effect.gen(function*() {
        const start = yield* Effect.clockWith((c) => c.currentTimeMillis)
        let attempt = 0
        while (true) {
          attempt++
          const result = yield* Effect.either(fetchOnce(name, version, start + throttledWait))
          if (result._tag === "Right") return result.right
          const error = result.left
          const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
          if (error._tag !== "Throttled") return yield* Effect.fail(error)
          const wait = yield* backoffMs(attempt, error)
          if (now + wait - start > throttledWait) return yield* Effect.fail(error)
          yield* Effect.sleep(Duration.millis(wait))
        }
      })

    const load = (key: string, name: string, version: string | undefined) =>
      Effect.suspend(() => {
        const ticket = issue(name)
        return fetchMiss(name, version).pipe(
          Effect.tap((secret) => ticket.superseded ? Effect.void : store(key, name, version, secret)),
          Effect.tapError((e) =>
            e._tag === "NotFound" && !ticket.superseded ? store(key, name, version, e) : Effect.void
          ),
          // Only our own slot: after an invalidate, a newer read of the key may hold it.
          Effect.ensuring(Effect.fiberIdWith((id) =>
            Effect.sync(() => {
              release(name, ticket)
              const current = inflight.get(key)
              if (current !== undefined && Equal.equals(current.id(), id)) inflight.delete(key)
            })
          ))
        )
      })

    const countMiss = () => {
      counts.misses++
      metrics.misses.unsafeUpdate(1, noTags)
    }

    // Join the read of `key` in flight, or start one.
    const loadShared = (key: string, name: string, version: string | undefined) =>
      Effect.suspend(() => {
        const running = inflight.get(key)
        if (running !== undefined) return Fiber.join(running)
        // The read runs in the cache's scope and context: a reader that is interrupted does not cancel it for
        // the others, and its per-call settings do not apply to them.
        const fiber = runLoad(load(key, name, version))
        if (fiber.unsafePoll() === null) inflight.set(key, fiber)
        return Fiber.join(fiber)
      })

    const miss = (key: string, name: string, version: string | undefined) =>
      Effect.suspend(() => {
        countMiss()
        return loadShared(key, name, version)
      })

    // Re-read an entry that has a value; on failure keep it and back off. NotFound replaces it and a disabled
    // secret (Forbidden, SecretDisabled) drops it: both are authoritative, never served stale.
    const refresh = (key: string, entry: Entry): Effect.Effect<void> =>
      Effect.suspend(() => {
        const ticket = issue(entry.name)
        return fetchOnce(entry.name, entry.version, Number.POSITIVE_INFINITY).pipe(
          Effect.flatMap((secret) => ticket.superseded ? Effect.void : store(key, entry.name, entry.version, secret)),
          Effect.catchAll((error) =>
            Effect.gen(function*() {
              if (ticket.superseded || entries.get(key) !== entry) return
              if (error._tag === "NotFound") return yield* store(key, entry.name, entry.version, error)
              if (error._tag === "Forbidden" && error.disabled) {
                entry.revoked = error
                entries.delete(key)
                return
              }
              counts.refreshFailures++
              metrics.refreshFailures.unsafeUpdate(1, noTags)
              entry.failures++
              const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
              entry.nextAttemptAt = now + (yield* backoffMs(entry.failures, error))
            })
          ),
          Effect.ensuring(Effect.sync(() => {
            release(entry.name, ticket)
            entry.refreshing = undefined
          }))
        )
      })

    const startRefresh = (key: string, entry: Entry, now: number): Effect.Effect<Fiber.Fiber<void> | undefined> => {
      if (entry.refreshing !== undefined) return Effect.succeed(entry.refreshing)
      if (now < entry.nextAttemptAt || now < throttledUntil) return Effect.succeed(undefined)
      return Effect.sync(() => {
        const fiber = runRefresh(refresh(key, entry))
        // The fiber may already be done (and have cleared `refreshing`) when run returns.
        if (fiber.unsafePoll() === null) entry.refreshing = fiber
        return fiber
      })
    }

    const serveStale = (value: KeyVaultSecret) => {
      counts.stale++
      metrics.stale.unsafeUpdate(1, noTags)
      return Effect.succeed(value)
    }

    const hit = <A>(effect: Effect.Effect<A, Failure>) => {
      counts.hits++
      metrics.hits.unsafeUpdate(1, noTags)
      return effect
    }

    const get = (name: string, opts?: { readonly version?: string | undefined }) =>
      Effect.clockWith((clock) => {
        const version = opts?.version
        const key = keyOf(name, version)
        const entry = entries.get(key)
        if (entry === undefined) return miss(key, name, version)
        const now = clock.unsafeCurrentTimeMillis()
        entry.lastUsed = ++tick
        if (entry.value === undefined) {
          if (now < entry.expiresAt) return hit(Effect.fail(entry.notFound!))
          entries.delete(key)
          return miss(key, name, version)
        }
        const value = entry.value
        if (now < entry.refreshAt) return hit(Effect.succeed(value))
        if (now < entry.expiresAt) return hit(Effect.as(startRefresh(key, entry, now), value))
        if (now >= entry.staleUntil) {
          entries.delete(key)
          return miss(key, name, version)
        }
        // Expired. While the vault is known to fail, answer at once with the last good value; otherwise
        // (nobody read it during the refresh window) re-read it now and fall back to it on failure.
        if (entry.failures > 0 || now < throttledUntil) {
          return Effect.zipRight(startRefresh(key, entry, now), serveStale(value))
        }
        // A disabled secret fails the read; an entry invalidated meanwhile is read afresh, never served stale.
        countMiss()
        return Effect.flatMap(startRefresh(key, entry, now), (fiber) =>
          Effect.flatMap(fiber === undefined ? Effect.void : Fiber.join(fiber), () => {
            const current = entries.get(key)
            if (current?.value !== undefined && current !== entry) return Effect.succeed(current.value)
            if (current?.notFound !== undefined) return Effect.fail(current.notFound)
            if (entry.revoked !== undefined) return Effect.fail(entry.revoked)
            if (current !== entry) return loadShared(key, name, version)
            return serveStale(value)
          }))
      })

    const invalidate = (name: string) =>
      Effect.sync(() => {
        const lower = name.toLowerCase()
        const superseded = tickets.get(lower)
        if (superseded !== undefined) {
          for (const ticket of superseded) ticket.superseded = true
          tickets.delete(lower)
        }
        const prefix = `${lower}/`
        for (const k of [...entries.keys()]) if (k.startsWith(prefix)) entries.delete(k)
        for (const k of [...inflight.keys()]) if (k.startsWith(prefix)) inflight.delete(k)
      })

    const service = SecretCache.of({
      get,
      invalidate,
      invalidateAll: Effect.sync(() => {
        for (const set of tickets.values()) for (const ticket of set) ticket.superseded = true
        tickets.clear()
        entries.clear()
        inflight.clear()
      }),
      stats: Effect.sync(() => ({ ...counts, size: entries.size }))
    })
    footprints.set(service, () => ({ entries: entries.size, inflight: inflight.size, names: tickets.size }))
    return service
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
  Layer.scoped(SecretCache, make(options))

/**
 * A `SecretClient` whose writes invalidate `cache`: after `setSecret`, `updateSecretProperties`, delete,
 * purge, recover and restore of a name (whether they succeed or fail), the next cached read goes to the vault.
 * The pollers of `beginDeleteSecret` and `beginRecoverDeletedSecret` invalidate again when they complete
 * (`poll` answering `true`, or `pollUntilDone`): until then a recovering secret still reads as `NotFound`.
 * Reads and listings pass through unchanged.
 *
 * @example
 * ```ts
 * import { SecretCache, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const cache = yield* SecretCache.SecretCache
 *   const client = SecretCache.invalidating(cache)(yield* SecretClient.SecretClient)
 *   yield* client.setSecret("api-key", "v2") // the cached "api-key" is dropped
 *   return yield* cache.get("api-key") // reads v2
 * })
 * ```
 *
 * @since 0.2.0
 * @category Combinators
 */
export const invalidating = (cache: Service) => (client: SecretClient.Service): SecretClient.Service => {
  const after = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>) => Effect.ensuring(effect, cache.invalidate(name))
  // A delete or recover changes what reads see when it completes, not when it starts (a recovering secret
  // answers 404 until then): a read in between may cache that. So the poller invalidates again once it
  // reports completion, whether by `poll` or `pollUntilDone` (once: polling a finished poller again does not
  // drop what was read since).
  const untilDone = <A, E>(poller: Poller.Poller<A, E>): Poller.Poller<A, E> => {
    let settled = false
    const settle = Effect.suspend(() => {
      if (settled) return Effect.void
      settled = true
      return cache.invalidate(poller.name)
    })
    return {
      operation: poller.operation,
      name: poller.name,
      get result() {
        return poller.result
      },
      poll: Effect.tap(poller.poll, (done) => done ? settle : Effect.void),
      pollUntilDone: Effect.tap(poller.pollUntilDone, () => settle),
      state: poller.state,
      serialize: poller.serialize
    }
  }
  const begin = <A, E, E2>(name: string, effect: Effect.Effect<Poller.Poller<A, E>, E2>) =>
    Effect.map(after(name, effect), untilDone)
  return {
    ...client,
    setSecret: (name, value, options) => after(name, client.setSecret(name, value, options)),
    updateSecretProperties: (name, options) => after(name, client.updateSecretProperties(name, options)),
    deleteSecret: (name) => after(name, client.deleteSecret(name)),
    beginDeleteSecret: (name, options) => begin(name, client.beginDeleteSecret(name, options)),
    purgeDeletedSecret: (name) => after(name, client.purgeDeletedSecret(name)),
    recoverDeletedSecret: (name) => after(name, client.recoverDeletedSecret(name)),
    beginRecoverDeletedSecret: (name, options) => begin(name, client.beginRecoverDeletedSecret(name, options)),
    restoreSecretBackup: (backup) =>
      Effect.tap(client.restoreSecretBackup(backup), (properties) => cache.invalidate(properties.name))
  }
}

/**
 * The cache and a `SecretClient` whose writes invalidate it ({@link invalidating}), replacing the client in
 * context: a program that writes through `SecretClient` and reads through `SecretCache` never reads its own
 * old value.
 *
 * @example
 * ```ts
 * import { Credential, SecretCache, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * const SecretsLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * const Live = SecretCache.layerWithClient({ timeToLive: "1 hour" }).pipe(Layer.provide(SecretsLive))
 *
 * const rotate = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const cache = yield* SecretCache.SecretCache
 *   yield* client.setSecret("api-key", "v2")
 *   return yield* cache.get("api-key") // v2, not the cached v1
 * }).pipe(Effect.provide(Live))
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerWithClient = (
  options?: Options
): Layer.Layer<SecretCache | SecretClient.SecretClient, never, SecretClient.SecretClient> =>
  Layer.scopedContext(Effect.gen(function*() {
    const cache = yield* make(options)
    const client = yield* SecretClient.SecretClient
    return Context.make(SecretCache, cache).pipe(Context.add(SecretClient.SecretClient, invalidating(cache)(client)))
  }))

import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Metric, Option, Redacted, TestClock } from "effect"
import { TestVault } from "../../emulator/src/index.js"
import { SecretCache, SecretClient, SecretError } from "../src/index.js"

// A real client over an in-process vault (TestVault, consistency delays on), the cache on top; TestClock drives
// expiry, background refreshes and the client's retry backoff together.
const consistencyDelay = { delete: "2 seconds", recover: "2 seconds", purge: "2 seconds" } as const
const vault = TestVault.layer({ seed: [{ name: "db-password", value: "v1" }], consistencyDelay })
const live = (options?: SecretCache.Options) => SecretCache.layer(options).pipe(Layer.provideMerge(vault))

const getCalls = Effect.map(
  Effect.flatMap(TestVault.TestVault, (v) => v.calls),
  (calls) => calls.filter((c) => c.operation === "getSecret").length
)

describe("SecretCache", () => {
  it.effect("serves repeated reads from memory, case-insensitively, until the TTL passes", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const a = yield* cache.get("db-password")
      const b = yield* cache.get("DB-PASSWORD")
      assert.strictEqual(Redacted.value(b.value), "v1")
      assert.strictEqual(a, b)
      assert.strictEqual(yield* getCalls, 1)
      yield* TestClock.adjust("59 minutes")
      yield* cache.get("db-password")
      assert.strictEqual(yield* getCalls, 1)
      yield* TestClock.adjust("2 minutes")
      yield* cache.get("db-password")
      assert.strictEqual(yield* getCalls, 2)
      const stats = yield* cache.stats
      assert.strictEqual(stats.hits, 2)
      assert.strictEqual(stats.misses, 2)
    }).pipe(Effect.provide(live({ timeToLive: "1 hour", refreshAhead: 0 }))))

  it.effect("concurrent reads of one secret share one request", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const all = yield* Effect.all(Array.from({ length: 20 }, () => cache.get("db-password")), {
        concurrency: "unbounded"
      })
      assert.strictEqual(all.length, 20)
      assert.strictEqual(yield* getCalls, 1)
    }).pipe(Effect.provide(live())))

  it.effect("invalidate drops every cached version of a name, so a new version is seen", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      const first = yield* cache.get("db-password")
      yield* cache.get("db-password", { version: first.properties.version })
      yield* client.setSecret("db-password", "v2")
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v1", "still cached")
      yield* cache.invalidate("DB-Password")
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v2")
      assert.strictEqual((yield* cache.stats).size, 1)
    }).pipe(Effect.provide(live())))

  it.effect("layerWithClient: writes through the client invalidate the cache", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v1")
      yield* client.setSecret("db-password", "v2")
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v2")
      yield* client.updateSecretProperties("db-password", { enabled: false })
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "Forbidden")
      yield* client.updateSecretProperties("db-password", { enabled: true })
      yield* client.deleteSecret("db-password").pipe(Effect.fork, Effect.tap(() => TestClock.adjust("5 seconds")), Effect.flatMap(Fiber.join))
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "NotFound")
    }).pipe(Effect.provide(SecretCache.layerWithClient().pipe(Layer.provideMerge(vault)))))

  it.effect("remembers NotFound for notFoundTimeToLive only", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      assert.strictEqual((yield* Effect.flip(cache.get("later")))._tag, "NotFound")
      yield* client.setSecret("later", "now here")
      assert.strictEqual((yield* Effect.flip(cache.get("later")))._tag, "NotFound", "negative entry still fresh")
      yield* TestClock.adjust("31 seconds")
      assert.strictEqual(Redacted.value((yield* cache.get("later")).value), "now here")
    }).pipe(Effect.provide(live({ notFoundTimeToLive: "30 seconds" }))))

  it.effect("never caches other failures: a throttled read is retried on the next call", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const testVault = yield* TestVault.TestVault
      yield* testVault.inject({ operation: "getSecret", status: 403, code: "Forbidden", message: "firewall" })
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "Forbidden")
      const fiber = yield* Effect.fork(cache.get("db-password"))
      yield* TestClock.adjust("1 second")
      const secret = yield* Fiber.join(fiber)
      assert.strictEqual(Redacted.value(secret.value), "v1")
    }).pipe(Effect.provide(live())))

  it.effect("serves the last good value through a 5-minute vault outage, with no failed reads", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      const testVault = yield* TestVault.TestVault
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v1")
      yield* TestClock.adjust("3 minutes")
      // The vault goes down (every read answers 503, which the client retries and gives up on).
      yield* testVault.inject({ operation: "getSecret", status: 503, times: "always" })
      let failed = 0
      let stale = 0
      for (let t = 0; t < 300; t += 5) {
        const result = yield* Effect.either(cache.get("db-password"))
        if (result._tag === "Left") failed++
        else assert.strictEqual(Redacted.value(result.right.value), "v1")
        yield* TestClock.adjust("5 seconds")
      }
      stale = (yield* cache.stats).stale
      assert.strictEqual(failed, 0)
      assert.isAbove(stale, 0, "reads past the 5-minute TTL were served stale")
      const during = (yield* cache.stats).refreshFailures
      assert.isAbove(during, 0)
      // Backoff: 60 reads during the outage, far fewer refresh attempts.
      assert.isBelow(during, 15)
      // The vault comes back with a new version; the next refresh picks it up without a failed read.
      yield* testVault.clearFaults
      yield* client.setSecret("db-password", "v2")
      let seen = "v1"
      for (let i = 0; i < 120 && seen === "v1"; i++) {
        seen = Redacted.value((yield* cache.get("db-password")).value)
        yield* TestClock.adjust("5 seconds")
      }
      assert.strictEqual(seen, "v2")
    }).pipe(Effect.provide(live({ timeToLive: "5 minutes", maxStale: "1 hour" }))))

  it.effect("a value past maxStale is not served: the read fails with the vault's error", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const testVault = yield* TestVault.TestVault
      yield* cache.get("db-password")
      yield* testVault.inject({ operation: "getSecret", fail: transportError, times: "always" })
      yield* TestClock.adjust("90 seconds")
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v1", "stale within maxStale")
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "TransportError")
    }).pipe(Effect.provide(live({ timeToLive: "1 minute", maxStale: "2 minutes" }))))

  it.effect("refreshes ahead of expiry in the background: the reader does not wait on the vault", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      const testVault = yield* TestVault.TestVault
      yield* cache.get("db-password")
      yield* client.setSecret("db-password", "v2")
      // The vault is slow now: 30 s per read.
      yield* testVault.inject({ operation: "getSecret", latency: "30 seconds", times: "always" })
      yield* TestClock.adjust("55 minutes") // inside the refresh-ahead window (last 20% of 1 hour, jitter 0)
      const reader = yield* Effect.fork(cache.get("db-password"))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      const answered = yield* Fiber.poll(reader)
      assert.isTrue(Option.isSome(answered), "answered without the clock moving")
      assert.strictEqual(Redacted.value((yield* Fiber.join(reader)).value), "v1")
      assert.strictEqual(yield* getCalls, 2, "one background refresh started")
      yield* TestClock.adjust("31 seconds")
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v2")
      assert.strictEqual(yield* getCalls, 2)
      assert.strictEqual((yield* cache.stats).misses, 1)
    }).pipe(Effect.provide(live({ timeToLive: "1 hour", jitter: 0 }))))

  it.effect("jitter spreads the refreshes of entries loaded together", () =>
    Effect.gen(function*() {
      const names = Array.from({ length: 20 }, (_, i) => `s${i}`)
      const spread = (jitter: number) =>
        Effect.gen(function*() {
          const cache = yield* SecretCache.make({ timeToLive: "100 minutes", refreshAhead: 0.2, jitter })
          const testVault = yield* TestVault.TestVault
          yield* Effect.forEach(names, (n) => cache.get(n), { concurrency: "unbounded" })
          const minutes = new Set<number>()
          let before = (yield* testVault.calls).length
          for (let m = 1; m <= 100; m++) {
            yield* TestClock.adjust("1 minute")
            yield* Effect.forEach(names, (n) => cache.get(n), { discard: true })
            yield* TestClock.adjust("1 second") // let the background refreshes finish
            const now = (yield* testVault.calls).length
            if (now > before) minutes.add(m)
            before = now
          }
          return minutes.size
        }).pipe(
          Effect.scoped,
          Effect.provide(TestVault.layer({ seed: names.map((name) => ({ name, value: name })), consistencyDelay }))
        )
      assert.strictEqual(yield* spread(0), 1, "without jitter every entry refreshes in the same minute")
      assert.isAtLeast(yield* spread(0.2), 5, "with jitter the refreshes spread over several minutes")
    }))

  it.effect("a 429 backs off by its Retry-After and pauses every refresh of the cache", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      const testVault = yield* TestVault.TestVault
      yield* client.setSecret("other", "o1")
      yield* cache.get("db-password")
      yield* cache.get("other")
      const throttled = new SecretError.Throttled({
        vault: client.vaultUrl,
        status: 429,
        retryAfterMs: 60_000,
        message: "Throttled"
      })
      yield* testVault.inject({ operation: "getSecret", name: "db-password", fail: throttled, times: "always" })
      yield* TestClock.adjust("55 minutes")
      const calls0 = yield* getCalls
      yield* cache.get("db-password") // background refresh → 429 (60 s)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* getCalls, calls0 + 1)
      yield* cache.get("other") // in its refresh window too, but the cache is paused
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* getCalls, calls0 + 1, "no refresh while throttled")
      for (let i = 0; i < 50; i++) {
        yield* cache.get("db-password")
        yield* TestClock.adjust("1 second")
      }
      assert.strictEqual(yield* getCalls, calls0 + 1, "Retry-After (60 s) honoured")
      yield* TestClock.adjust("15 seconds")
      yield* cache.get("other")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* getCalls, calls0 + 2, "refreshes resume after Retry-After")
    }).pipe(Effect.provide(live({ timeToLive: "1 hour", jitter: 0 }))))

  it.effect("a read with nothing cached waits out 429s (up to throttledWait) instead of failing", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      const testVault = yield* TestVault.TestVault
      const throttled = new SecretError.Throttled({ vault: client.vaultUrl, status: 429, retryAfterMs: 5_000, message: "Throttled" })
      yield* testVault.inject({ operation: "getSecret", fail: throttled, times: 3 })
      const reader = yield* Effect.fork(cache.get("db-password"))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(Redacted.value((yield* Fiber.join(reader)).value), "v1")
      yield* testVault.inject({ operation: "getSecret", fail: throttled, times: "always" })
      yield* cache.invalidateAll
      const failing = yield* Effect.fork(cache.get("db-password"))
      yield* TestClock.adjust("3 minutes")
      assert.strictEqual((yield* Fiber.join(failing).pipe(Effect.flip))._tag, "Throttled")
    }).pipe(Effect.provide(live())))

  it.effect("a disabled secret is not served stale: the read fails with Forbidden (SecretDisabled)", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v1")
      // Disabled behind the cache's back (plain client: no invalidation).
      yield* client.updateSecretProperties("db-password", { enabled: false })
      yield* TestClock.adjust("61 seconds")
      const error = yield* Effect.flip(cache.get("db-password"))
      assert.strictEqual(error._tag, "Forbidden")
      assert.isTrue(error._tag === "Forbidden" && error.disabled)
      assert.strictEqual((yield* cache.stats).stale, 0)
      assert.strictEqual((yield* cache.stats).size, 0, "the entry was dropped")
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "Forbidden")
      // Re-enabled: the next read goes to the vault.
      yield* client.updateSecretProperties("db-password", { enabled: true })
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v1")
    }).pipe(Effect.provide(live({ timeToLive: "1 minute", refreshAhead: 0 }))))

  it.effect("a disabled secret found by a background refresh drops the entry", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      yield* cache.get("db-password")
      yield* client.updateSecretProperties("db-password", { enabled: false })
      yield* TestClock.adjust("55 minutes") // refresh-ahead window: the reader gets the cached value at once
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v1")
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "Forbidden")
      yield* TestClock.adjust("10 minutes") // past the TTL, within maxStale
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "Forbidden")
      assert.strictEqual((yield* cache.stats).stale, 0)
    }).pipe(Effect.provide(live({ timeToLive: "1 hour", jitter: 0 }))))

  it.effect("throttledWait caps the cache-wide 429 pause: a cold read fails at once with Throttled", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      const testVault = yield* TestVault.TestVault
      yield* client.setSecret("other", "o1")
      const throttled = new SecretError.Throttled({ vault: client.vaultUrl, status: 429, retryAfterMs: 120_000, message: "Throttled" })
      yield* testVault.inject({ operation: "getSecret", name: "db-password", fail: throttled, times: 1 })
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "Throttled")
      const calls = yield* getCalls
      // "other" was never read: with throttledWait 0 the read must not sit out the 120 s pause.
      const reader = yield* Effect.fork(Effect.flip(cache.get("other")))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      const answered = yield* Fiber.poll(reader)
      assert.isTrue(Option.isSome(answered), "answered without the clock moving")
      const error = yield* Fiber.join(reader)
      assert.strictEqual(error._tag, "Throttled")
      assert.strictEqual(error._tag === "Throttled" ? error.retryAfterMs : undefined, 120_000)
      assert.strictEqual(yield* getCalls, calls, "no request while paused")
    }).pipe(Effect.provide(live({ throttledWait: 0 }))))

  it.effect("a cold read waits out a cache-wide 429 pause that fits in throttledWait, fails at once on a longer one", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      const testVault = yield* TestVault.TestVault
      yield* client.setSecret("other", "o1")
      yield* client.setSecret("third", "t1")
      const throttled = (retryAfterMs: number) =>
        new SecretError.Throttled({ vault: client.vaultUrl, status: 429, retryAfterMs, message: "Throttled" })
      // 30 s pause, throttledWait 1 minute: the read waits and succeeds.
      yield* testVault.inject({ operation: "getSecret", name: "db-password", fail: throttled(30_000), times: 1 })
      const first = yield* Effect.fork(cache.get("db-password"))
      const second = yield* Effect.fork(cache.get("other"))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(Redacted.value((yield* Fiber.join(first)).value), "v1")
      assert.strictEqual(Redacted.value((yield* Fiber.join(second)).value), "o1")
      // 5 minute pause, longer than throttledWait: the read fails at once.
      yield* cache.invalidateAll
      yield* testVault.inject({ operation: "getSecret", name: "db-password", fail: throttled(300_000), times: 1 })
      assert.strictEqual((yield* Effect.flip(cache.get("db-password")))._tag, "Throttled")
      const third = yield* Effect.fork(Effect.flip(cache.get("third")))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      assert.isTrue(Option.isSome(yield* Fiber.poll(third)), "answered without the clock moving")
      assert.strictEqual((yield* Fiber.join(third))._tag, "Throttled")
    }).pipe(Effect.provide(live({ throttledWait: "1 minute" }))))

  it.effect("an entry invalidated while its on-demand refresh is in flight is read afresh, not served stale", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      const testVault = yield* TestVault.TestVault
      assert.strictEqual(Redacted.value((yield* cache.get("db-password")).value), "v1")
      yield* TestClock.adjust("61 seconds")
      // The expired entry's re-read is slow; the secret is deleted through the invalidating client meanwhile.
      yield* testVault.inject({ operation: "getSecret", latency: "10 seconds", times: 1 })
      const reader = yield* Effect.fork(Effect.either(cache.get("db-password")))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      const deleting = yield* Effect.fork(client.deleteSecret("db-password"))
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(deleting)
      yield* TestClock.adjust("10 seconds")
      const result = yield* Fiber.join(reader)
      assert.isTrue(result._tag === "Left", "no deleted value served")
      assert.strictEqual(result._tag === "Left" ? result.left._tag : undefined, "NotFound")
      assert.strictEqual((yield* cache.stats).stale, 0)
    }).pipe(Effect.provide(SecretCache.layerWithClient({ timeToLive: "1 minute", refreshAhead: 0 }).pipe(Layer.provideMerge(vault)))))

  it.effect("bounded size: the least recently read entry is evicted", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("a", "1")
      yield* client.setSecret("b", "2")
      yield* client.setSecret("c", "3")
      yield* cache.get("a")
      yield* cache.get("b")
      yield* cache.get("a")
      yield* cache.get("c") // evicts b, the least recently read
      const stats = yield* cache.stats
      assert.strictEqual(stats.size, 2)
      assert.strictEqual(stats.evictions, 1)
      const calls = yield* getCalls
      yield* cache.get("a")
      assert.strictEqual(yield* getCalls, calls, "a is still cached")
      yield* cache.get("b")
      assert.strictEqual(yield* getCalls, calls + 1, "b was evicted")
    }).pipe(Effect.provide(live({ capacity: 2 }))))

  it.effect("counters are Effect Metrics", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const testVault = yield* TestVault.TestVault
      const read = Effect.all({
        hits: Metric.value(SecretCache.metrics.hits),
        misses: Metric.value(SecretCache.metrics.misses),
        stale: Metric.value(SecretCache.metrics.stale),
        refreshFailures: Metric.value(SecretCache.metrics.refreshFailures)
      })
      const before = yield* read
      yield* cache.get("db-password")
      yield* cache.get("db-password")
      yield* testVault.inject({ operation: "getSecret", fail: transportError, times: "always" })
      yield* TestClock.adjust("61 seconds")
      yield* cache.get("db-password") // expired: refresh fails, stale served
      const after = yield* read
      assert.strictEqual(after.misses.count - before.misses.count, 2, "the first read, and the on-demand re-read")
      assert.strictEqual(after.hits.count - before.hits.count, 1)
      assert.strictEqual(after.stale.count - before.stale.count, 1)
      assert.strictEqual(after.refreshFailures.count - before.refreshFailures.count, 1)
    }).pipe(Effect.provide(live({ timeToLive: "1 minute" }))))

  it.effect("a reader that is interrupted does not cancel the read it shares with others", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const testVault = yield* TestVault.TestVault
      yield* testVault.inject({ operation: "getSecret", latency: "10 seconds", times: 1 })
      const first = yield* Effect.fork(cache.get("db-password"))
      const second = yield* Effect.fork(cache.get("db-password"))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(first)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(Redacted.value((yield* Fiber.join(second)).value), "v1")
      assert.strictEqual(yield* getCalls, 1)
    }).pipe(Effect.provide(live())))

  it.effect("the in-memory hit path keeps the capacity: an evicted entry is read again", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("other", "o1")
      yield* cache.get("db-password")
      yield* cache.get("other")
      yield* cache.get("db-password") // capacity 1: "other" pushed it out
      assert.strictEqual(yield* getCalls, 3)
      yield* cache.get("db-password")
      assert.strictEqual(yield* getCalls, 3, "now cached again")
      assert.strictEqual((yield* cache.stats).hits, 1)
    }).pipe(Effect.provide(live({ capacity: 1 }))))

  it.effect("invalidateAll also empties the in-memory hit path", () =>
    Effect.gen(function*() {
      const cache = yield* SecretCache.SecretCache
      yield* cache.get("db-password")
      yield* cache.get("db-password")
      yield* cache.invalidateAll
      yield* cache.get("db-password")
      assert.strictEqual(yield* getCalls, 2)
    }).pipe(Effect.provide(live())))
})


const transportError = new SecretError.TransportError({
  vault: "https://test.vault.azure.net",
  reason: "Transport",
  message: "connection refused"
})
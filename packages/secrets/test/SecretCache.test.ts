import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import { TestVault } from "../../emulator/src/index.js"
import { SecretCache, SecretClient } from "../src/index.js"

// A real client over an in-process vault (TestVault), the cache on top; TestClock drives expiry.
const vault = TestVault.layer({ seed: [{ name: "db-password", value: "v1" }] })
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
    }).pipe(Effect.provide(live({ timeToLive: "1 hour" }))))

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

/**
 * Bulk reads (issue 9 item 1) against the emulator over a real socket: one result per name, one challenge
 * for a whole start-up batch, the concurrency budget honoured.
 */
import { assert, describe, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
// Relative: this package cannot depend on the emulator (the emulator depends on it).
import { Emulator, TestVault } from "../../emulator/src/index.js"
import { Chunk, Effect, Either, Fiber, Layer, Option, Redacted, Stream, TestClock } from "effect"
import { Credential, SecretClient, SecretError } from "../src/index.js"

const TOKEN = "emulator-token"

/** A socket emulator whose onRequest log is kept, plus a fresh client (no challenge cached yet). */
const setup = Effect.gen(function*() {
  const log: Array<Emulator.RequestLogEntry> = []
  let inFlight = 0
  let maxInFlight = 0
  const emu = yield* Emulator.start({
    tls: false,
    token: TOKEN,
    host: "127.0.0.1",
    port: 0,
    challengeResource: "https://127.0.0.1",
    onRequest: (e) => {
      log.push(e)
    }
  })
  const names = Array.from({ length: 50 }, (_, i) => `bulk-${i}`)
  for (const name of names) yield* emu.engine.setSecret(name, { value: `value-of-${name}` })
  // Counts requests the transport has in flight: the concurrency budget is what the vault sees.
  // Built in the test's scope: the undici dispatcher must outlive `make`.
  const deps = yield* Layer.build(Layer.merge(Credential.layerStatic(TOKEN), NodeHttpClient.layerUndici))
  const client = yield* SecretClient.make({
    vaultUrl: emu.url,
    allowInsecureLoopback: true,
    transformClient: (http) =>
      HttpClient.transform(http, (effect) =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            inFlight++
            maxInFlight = Math.max(maxInFlight, inFlight)
          }),
          () => effect,
          () => Effect.sync(() => inFlight--)
        ))
  }).pipe(Effect.provide(deps))
  return { emu, log, names, client, maxInFlight: () => maxInFlight }
})

describe("getSecrets", () => {
  it.scopedLive("50 secrets at start-up: one 401 challenge, 50 authorized GETs, every value", () =>
    Effect.gen(function*() {
      const { client, log, names } = yield* setup
      const results = yield* client.getSecrets(names, { concurrency: 16 })
      assert.strictEqual(results.length, 50)
      for (const [i, r] of results.entries()) {
        assert.strictEqual(r.name, names[i])
        assert.isTrue(Either.isRight(r.result))
        if (Either.isRight(r.result)) assert.strictEqual(Redacted.value(r.result.right.value), `value-of-${names[i]}`)
      }
      const challenges = log.filter((e) => e.status === 401)
      assert.strictEqual(challenges.length, 1, "one challenge round trip, not one per name")
      assert.strictEqual(log.filter((e) => e.method === "GET" && e.status === 200).length, 50)
      assert.strictEqual(log.length, 51)
    }))

  it.scopedLive("a missing, a disabled and an invalid name fail alone; the rest of the batch succeeds", () =>
    Effect.gen(function*() {
      const { client, emu } = yield* setup
      yield* emu.engine.setSecret("off", { value: "x", enabled: false })
      const results = yield* client.getSecrets(["bulk-1", "nope", "off", "bad name!", "bulk-2"])
      assert.deepStrictEqual(
        results.map((r) => Either.isRight(r.result) ? "ok" : r.result.left._tag),
        ["ok", "NotFound", "Forbidden", "InvalidArgument", "ok"]
      )
    }))

  it.scopedLive("the concurrency budget bounds requests in flight; names equal up to case are read once", () =>
    Effect.gen(function*() {
      const { client, log, maxInFlight, names } = yield* setup
      const results = yield* client.getSecrets([...names, "BULK-0", "Bulk-1"], { concurrency: 4 })
      assert.strictEqual(results.length, 52)
      assert.strictEqual(results[50].name, "BULK-0")
      assert.isTrue(Either.isRight(results[50].result))
      assert.isAtMost(maxInFlight(), 4)
      assert.strictEqual(log.filter((e) => e.status === 200).length, 50)
    }))

  it.scopedLive("an invalid concurrency is a typed InvalidArgument, not a crash", () =>
    Effect.gen(function*() {
      const { client } = yield* setup
      for (const concurrency of [0, -1, 1.5, 10_000, Number.NaN]) {
        const e = yield* Effect.flip(client.getSecrets(["a"], { concurrency }))
        assert.strictEqual(e._tag, "InvalidArgument")
        assert.strictEqual(e.argument, "concurrency")
      }
    }))
})

describe("getSecretsStream", () => {
  it.scopedLive("streams names from the listing, in order, with one challenge", () =>
    Effect.gen(function*() {
      const { client, log, names } = yield* setup
      const out = yield* client.getSecretsStream(
        client.listPropertiesOfSecrets({ maxPageSize: 7 }).pipe(Stream.map((p) => p.name)),
        { concurrency: 8 }
      ).pipe(Stream.runCollect)
      assert.deepStrictEqual(Chunk.toArray(out).map((r) => r.name).sort(), [...names].sort())
      assert.isTrue(Chunk.every(out, (r) => Either.isRight(r.result)))
      assert.strictEqual(log.filter((e) => e.status === 401).length, 1)
    }))
})

describe("getSecrets through TestVault faults", () => {
  it.effect("a name the vault keeps failing (500, retried) ends as its own HttpError; the batch completes", () =>
    Effect.gen(function*() {
      const vault = yield* TestVault.TestVault
      const client = yield* SecretClient.SecretClient
      yield* vault.inject({ operation: "getSecret", name: "b", status: 500, times: "always" })
      const fiber = yield* Effect.fork(client.getSecrets(["a", "b", "c"]))
      // The retry policy's waits run on the TestClock.
      for (let i = 0; i < 120 && Option.isNone(yield* Fiber.poll(fiber)); i++) yield* TestClock.adjust("1 second")
      const results = yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        results.map((r) => Either.isRight(r.result) ? "ok" : r.result.left._tag),
        ["ok", "HttpError", "ok"]
      )
      const gets = (yield* vault.exchanges).filter((x) => x.operation === "getSecret")
      assert.isAbove(gets.filter((x) => x.name === "b").length, 1) // retried before giving up
    }).pipe(Effect.provide(TestVault.layer({ seed: ["a", "b", "c"].map((name) => ({ name, value: name })) }))))

  it.effect("TestVault records each name of a bulk read as a getSecret call, and its fail faults apply per name", () =>
    Effect.gen(function*() {
      const vault = yield* TestVault.TestVault
      const client = yield* SecretClient.SecretClient
      yield* vault.inject({
        operation: "getSecret",
        name: "b",
        fail: new SecretError.Forbidden({ vault: vault.vaultUrl, name: "b", status: 403, message: "denied by test" })
      })
      const results = yield* client.getSecrets(["a", "b", "c"], { concurrency: 1 })
      assert.deepStrictEqual(
        results.map((r) => Either.isRight(r.result) ? "ok" : r.result.left._tag),
        ["ok", "Forbidden", "ok"]
      )
      const streamed = yield* client.getSecretsStream(["b"]).pipe(Stream.runCollect)
      assert.isTrue(Either.isRight(Chunk.unsafeHead(streamed).result)) // the fault was used once
      assert.deepStrictEqual(
        (yield* vault.calls).map((c) => `${c.operation} ${c.name}`),
        ["getSecret a", "getSecret b", "getSecret c", "getSecret b"]
      )
    }).pipe(Effect.provide(TestVault.layer({ seed: ["a", "b", "c"].map((name) => ({ name, value: name })) }))))
})

describe("bulk reads of a single string", () => {
  it.effect("a string is one name, not one read per character (list and stream forms)", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const results = yield* client.getSecrets("abc")
      assert.deepStrictEqual(results.map((r) => r.name), ["abc"])
      const streamed = yield* Stream.runCollect(client.getSecretsStream("abc"))
      assert.deepStrictEqual(Chunk.toReadonlyArray(streamed).map((r) => r.name), ["abc"])
    }).pipe(Effect.provide(TestVault.layer({ seed: [{ name: "abc", value: "v" }] }))))
})

import { SecretClient, SecretError } from "@effect-keyvault/secrets"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Redacted, Stream, TestClock } from "effect"
import { TestVault } from "@effect-keyvault/emulator"

const seeded = TestVault.layer({
  seed: [
    { name: "db-password", value: "hunter2", tags: { env: "test" } },
    { name: "api-key", value: Redacted.make("k-1"), contentType: "text/plain" }
  ]
})

describe("TestVault", () => {
  it.effect("serves seeded secrets through the real client", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const secret = yield* client.getSecret("db-password")
      assert.strictEqual(Redacted.value(secret.value), "hunter2")
      assert.deepStrictEqual(secret.properties.tags, { env: "test" })
      const names = yield* client.listPropertiesOfSecrets().pipe(
        Stream.map((p) => p.name),
        Stream.runCollect
      )
      assert.deepStrictEqual(Chunk.toArray(names).sort(), ["api-key", "db-password"])
    }).pipe(Effect.provide(seeded)))

  it.effect("each build is a fresh vault", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const error = yield* Effect.flip(client.getSecret("db-password"))
      assert.strictEqual(error._tag, "NotFound")
    }).pipe(Effect.provide(TestVault.layer())))

  it.effect("fail faults surface as the given typed error, once by default", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      yield* vault.inject({
        operation: "getSecret",
        name: "DB-PASSWORD",
        fail: new SecretError.Forbidden({
          vault: vault.vaultUrl,
          name: "db-password",
          status: 403,
          message: "denied by test"
        })
      })
      const first = yield* Effect.flip(client.getSecret("db-password"))
      assert.strictEqual(first._tag, "Forbidden")
      const second = yield* client.getSecret("db-password")
      assert.strictEqual(Redacted.value(second.value), "hunter2")
      // The other name is untouched by a name-scoped fault.
      const calls = yield* vault.calls
      assert.deepStrictEqual(calls, [
        { operation: "getSecret", name: "db-password" },
        { operation: "getSecret", name: "db-password" }
      ])
    }).pipe(Effect.provide(seeded)))

  it.effect("a 429 with Retry-After is retried by the SDK after the asked wait (TestClock)", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      yield* vault.inject({ operation: "getSecret", status: 429, retryAfter: "5 seconds", times: 2 })
      const fiber = yield* Effect.fork(client.getSecret("api-key"))
      yield* TestClock.adjust("4 seconds")
      assert.isTrue(fiber.unsafePoll() === null, "still waiting before Retry-After has passed")
      yield* TestClock.adjust("6 seconds")
      const secret = yield* Fiber.join(fiber)
      assert.strictEqual(Redacted.value(secret.value), "k-1")
      const statuses = (yield* vault.exchanges).filter((e) => e.operation === "getSecret").map((e) => e.status)
      // Injected faults stand in front of the vault: two 429s, then the challenge (401), then the answer.
      assert.deepStrictEqual(statuses, [429, 429, 401, 200])
    }).pipe(Effect.provide(seeded)))

  it.effect("always-failing 429 ends in Throttled once retries are exhausted", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      yield* vault.inject({ operation: "setSecret", status: 429, retryAfter: "1 second", times: "always" })
      const fiber = yield* Effect.fork(Effect.flip(client.setSecret("x", "y")))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "Throttled")
    }).pipe(Effect.provide(seeded)))

  it.effect("latency faults delay on the test clock", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      yield* vault.inject({ operation: "getSecret", latency: "30 seconds", times: "always" })
      const fiber = yield* Effect.fork(client.getSecret("api-key"))
      yield* TestClock.adjust("29 seconds")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("2 minutes")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isSuccess(exit))
    }).pipe(Effect.provide(seeded)))

  it.effect("delete waits for the vault's consistency delay with the polling schedule", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const vault = yield* TestVault.TestVault
      const fiber = yield* Effect.fork(client.deleteSecret("db-password"))
      yield* TestClock.adjust("10 seconds")
      const deleted = yield* Fiber.join(fiber)
      assert.strictEqual(deleted.properties.name, "db-password")
      const polls = (yield* vault.exchanges).filter((e) => e.operation === "getDeletedSecret").map((e) => e.status)
      assert.isTrue(polls.includes(404), `polled while the delete was in progress: ${polls}`)
      assert.strictEqual(polls[polls.length - 1], 200)
    }).pipe(Effect.provide(TestVault.layer({
      seed: [{ name: "db-password", value: "x" }],
      consistencyDelay: { delete: "5 seconds" }
    }))))
})

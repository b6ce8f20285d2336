/**
 * Testing code that uses secrets, with the test layers from `@effect-keyvault/emulator`.
 *
 * `TestVault.layer` is a real SecretClient over an in-process vault: the same requests, errors,
 * pollers and retries as production, no sockets, a fresh vault per layer, and time on the TestClock.
 *
 *   pnpm vitest run examples/testing.test.ts
 */
import { TestVault } from "@effect-keyvault/emulator"
import { SecretClient, SecretError } from "@effect-keyvault/secrets"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, TestClock } from "effect"
import { DatabaseConfig, DatabaseConfigLive, DEFAULT_PASSWORD, SECRET_NAME } from "./services/DatabaseConfig.js"
import { rotate } from "./services/Rotation.js"

// The service under test on top of a seeded test vault; TestVault stays visible to the test.
const withVault = (options: TestVault.TestVaultOptions) => {
  const vault = TestVault.layer(options)
  return Layer.merge(DatabaseConfigLive.pipe(Layer.provide(vault)), vault)
}

describe("DatabaseConfig (reads a password, falls back on NotFound)", () => {
  it.effect("uses the vault's password when it exists", () =>
    Effect.gen(function*() {
      const settings = yield* (yield* DatabaseConfig).load
      assert.strictEqual(settings.source, "key-vault")
      assert.strictEqual(Redacted.value(settings.password), "from-the-vault")
    }).pipe(Effect.provide(withVault({ seed: [{ name: SECRET_NAME, value: "from-the-vault" }] }))))

  it.effect("falls back to the default when the secret does not exist", () =>
    Effect.gen(function*() {
      const settings = yield* (yield* DatabaseConfig).load
      assert.strictEqual(settings.source, "default")
      assert.strictEqual(settings.password, DEFAULT_PASSWORD)
    }).pipe(Effect.provide(withVault({}))))

  it.effect("does NOT fall back when access is forbidden (a disabled secret)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* DatabaseConfig).load)
      assert.strictEqual(error._tag, "Forbidden")
    }).pipe(Effect.provide(withVault({ seed: [{ name: SECRET_NAME, value: "x", enabled: false }] }))))

  it.effect("surfaces an injected typed error unchanged", () =>
    Effect.gen(function*() {
      const vault = yield* TestVault.TestVault
      yield* vault.inject({
        operation: "getSecret",
        name: SECRET_NAME,
        fail: new SecretError.TransportError({
          vault: vault.vaultUrl,
          name: SECRET_NAME,
          reason: "Transport",
          message: "connection reset"
        })
      })
      const error = yield* Effect.flip((yield* DatabaseConfig).load)
      assert.strictEqual(error._tag, "TransportError")
      assert.deepStrictEqual(yield* vault.calls, [{ operation: "getSecret", name: SECRET_NAME }])
    }).pipe(Effect.provide(withVault({ seed: [{ name: SECRET_NAME, value: "x" }] }))))

  it.effect("rides out throttling: two 429s with Retry-After, then success, on the TestClock", () =>
    Effect.gen(function*() {
      const vault = yield* TestVault.TestVault
      yield* vault.inject({ operation: "getSecret", status: 429, retryAfter: "3 seconds", times: 2 })
      const fiber = yield* Effect.fork((yield* DatabaseConfig).load)
      yield* TestClock.adjust("6 seconds")
      const settings = yield* Fiber.join(fiber)
      assert.strictEqual(settings.source, "key-vault")
      const injected = (yield* vault.exchanges).filter((e) => e.injected).map((e) => e.status)
      assert.deepStrictEqual(injected, [429, 429])
    }).pipe(Effect.provide(withVault({ seed: [{ name: SECRET_NAME, value: "x" }] }))))
})

// One vault shared by a block of tests, with @effect/vitest's `layer`.
layer(TestVault.layer({ seed: [{ name: "api-token", value: "t-0" }] }))("rotate (a composed workflow)", (it) => {
  it.effect("writes a new version and disables every older one", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      yield* client.setSecret("api-token", "t-1")
      const result = yield* rotate("api-token", Redacted.make("t-2"))
      assert.strictEqual(Redacted.value(result.current.value), "t-2")
      assert.strictEqual(result.disabled.length, 2)
      assert.deepStrictEqual(
        result.versions.filter((v) => v.enabled).map((v) => v.version),
        [result.current.properties.version]
      )
      // Disabled versions are refused by the vault with the real 403.
      const old = yield* Effect.flip(client.getSecret("api-token", { version: result.disabled[0] }))
      assert.strictEqual(old._tag, "Forbidden")
    }))

  it.effect("stops at the first failure: a 403 while disabling surfaces as Forbidden", () =>
    Effect.gen(function*() {
      const vault = yield* TestVault.TestVault
      yield* vault.inject({ operation: "updateSecretProperties", status: 403, code: "Forbidden", message: "no set permission" })
      const error = yield* Effect.flip(rotate("api-token", Redacted.make("t-3")))
      assert.strictEqual(error._tag, "Forbidden")
    }))
})

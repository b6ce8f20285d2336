import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Redacted, TestClock } from "effect"
import { TestVault } from "../../emulator/src/index.js"
import { SecretClient, SecretConfigProvider, SecretError } from "../src/index.js"
import { recordingTracer } from "./utils.js"

const vault = TestVault.layer({
  seed: [
    { name: "myapp-db-password", value: "pw" },
    { name: "myapp-db--host", value: "db.internal" },
    { name: "myapp-feature-flag", value: "true" },
    { name: "myapp-disabled", value: "nope", enabled: false },
    { name: "other-app-key", value: "not mine" }
  ]
})

const withConfig = (options: SecretConfigProvider.Options) =>
  SecretConfigProvider.layer(options).pipe(Layer.provideMerge(vault))

describe("SecretConfigProvider", () => {
  it("maps secret names to config paths", () => {
    assert.strictEqual(SecretConfigProvider.defaultConfigPath("db-password"), "DB_PASSWORD")
    assert.strictEqual(SecretConfigProvider.defaultConfigPath("db--connection-string"), "DB.CONNECTION_STRING")
  })

  it.effect("serves the vault's secrets (prefix stripped, nested, disabled skipped) with a fallback", () =>
    Effect.gen(function*() {
      const password = yield* Config.redacted("DB_PASSWORD")
      assert.strictEqual(Redacted.value(password), "pw")
      const host = yield* Config.nested("DB")(Config.string("HOST"))
      assert.strictEqual(host, "db.internal")
      assert.isTrue(yield* Config.boolean("FEATURE_FLAG"))
      // Disabled and other apps' secrets are not in the snapshot; the fallback answers instead.
      assert.strictEqual(yield* Config.string("DISABLED").pipe(Config.withDefault("absent")), "absent")
      assert.strictEqual(yield* Config.string("OTHER_APP_KEY").pipe(Config.withDefault("absent")), "absent")
      assert.strictEqual(yield* Config.integer("PORT"), 5432)
    }).pipe(Effect.provide(withConfig({
      prefix: "MYAPP-",
      fallback: ConfigProvider.fromMap(new Map([["PORT", "5432"]]))
    }))))

  it.effect("fails the layer with the typed error when the vault cannot be listed", () =>
    Effect.gen(function*() {
      const testVault = yield* TestVault.TestVault
      yield* testVault.inject({ operation: "listPropertiesOfSecrets", status: 403, code: "Forbidden", message: "no list" })
      const error = yield* Effect.flip(Layer.build(SecretConfigProvider.layer({ fallback: null })).pipe(Effect.scoped))
      assert.strictEqual(error._tag, "Forbidden")
    }).pipe(Effect.provide(vault)))
})

// TestClock starts at the epoch; tests move it past this expiry first.
const past = new Date(60_000)
const vault2 = () =>
  TestVault.layer({
    seed: [
      { name: "myapp-db-password", value: "pw" },
      { name: "myapp-db--host", value: "db.internal" },
      { name: "myapp-port", value: "5432" },
      { name: "myapp-expired", value: "old", expiresOn: past },
      { name: "myapp-disabled", value: "nope", enabled: false }
    ],
    consistencyDelay: { delete: "2 seconds", recover: "2 seconds", purge: "2 seconds" }
  })

const getCalls = Effect.map(
  Effect.flatMap(TestVault.TestVault, (v) => v.calls),
  (calls) => calls.filter((c) => c.operation === "getSecret" || c.operation === "listPropertiesOfSecrets")
)

describe("SecretConfigProvider (0.2)", () => {
  it("maps config paths back to secret names", () => {
    assert.strictEqual(SecretConfigProvider.defaultSecretName(["DB", "CONNECTION_STRING"]), "db--connection-string")
    assert.strictEqual(SecretConfigProvider.defaultSecretName(["DB_PASSWORD"]), "db-password")
  })

  it.effect("snapshot skips expired secrets", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("2 minutes")
      yield* Effect.gen(function*() {
        assert.strictEqual(yield* Config.string("EXPIRED").pipe(Config.withDefault("absent")), "absent")
        assert.strictEqual(yield* Config.string("HOST").pipe(Config.nested("DB")), "db.internal")
      }).pipe(Effect.provide(SecretConfigProvider.layer({ prefix: "myapp-", fallback: null }).pipe(Layer.provideMerge(vault2()))))
    }))

  it.effect("lazy: reads nothing up front, then one key per first use; disabled, expired and missing fall back", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("2 minutes")
      const provider = yield* SecretConfigProvider.makeLazy({ prefix: "myapp-" })
      assert.strictEqual((yield* getCalls).length, 0, "nothing read when built")
      const read = <A>(config: Config.Config<A>) =>
        Effect.withConfigProvider(config, ConfigProvider.orElse(provider, () => ConfigProvider.fromMap(new Map([["EXPIRED", "env"], ["DISABLED", "env"], ["MISSING", "env"]]))))
      assert.strictEqual(Redacted.value(yield* read(Config.redacted("DB_PASSWORD"))), "pw")
      assert.strictEqual(yield* read(Config.integer("PORT")), 5432)
      assert.strictEqual(yield* read(Config.string("HOST").pipe(Config.nested("DB"))), "db.internal")
      assert.deepStrictEqual((yield* getCalls).map((c) => c.name), ["myapp-db-password", "myapp-port", "myapp-db--host"])
      yield* read(Config.redacted("DB_PASSWORD"))
      assert.strictEqual((yield* getCalls).length, 3, "cached")
      assert.strictEqual(yield* read(Config.string("EXPIRED")), "env")
      assert.strictEqual(yield* read(Config.string("DISABLED")), "env")
      assert.strictEqual(yield* read(Config.string("MISSING")), "env")
    }).pipe(Effect.scoped, Effect.provide(vault2())))

  it.effect("lazy: a value that does not parse fails without showing it; an unreachable vault is SourceUnavailable", () =>
    Effect.gen(function*() {
      const provider = yield* SecretConfigProvider.makeLazy({ prefix: "myapp-" })
      const bad = yield* Effect.flip(Effect.withConfigProvider(Config.integer("DB_PASSWORD"), provider))
      assert.notInclude(String(bad), "pw")
      assert.include(String(bad), "myapp-db-password")
      const testVault = yield* TestVault.TestVault
      yield* testVault.inject({ operation: "getSecret", status: 403, code: "Forbidden", times: "always" })
      yield* testVault.inject({ operation: "getSecret", fail: new SecretError.TransportError({ vault: "https://test.vault.azure.net", reason: "Transport", message: "down" }), times: "always" })
      const down = yield* Effect.flip(Effect.withConfigProvider(Config.string("OTHER"), provider))
      assert.include(String(down), "TransportError")
    }).pipe(Effect.scoped, Effect.provide(vault2())))

  it.effect("refreshInterval: picks up new, rotated and removed secrets, reading only what changed", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      assert.strictEqual(Redacted.value(yield* Config.redacted("DB_PASSWORD")), "pw")
      const before = (yield* getCalls).filter((c) => c.operation === "getSecret").length
      yield* TestClock.adjust("1 second") // `updated` has one-second resolution
      yield* client.setSecret("myapp-db-password", "rotated")
      yield* client.setSecret("myapp-new-key", "new")
      yield* client.updateSecretProperties("myapp-port", { enabled: false })
      const listings = Effect.map(getCalls, (calls) => calls.filter((c) => c.operation === "listPropertiesOfSecrets").length)
      const listedBefore = yield* listings
      yield* TestClock.adjust("60 seconds")
      // One poll saw three changes: the watch's own listing plus one re-read, not one re-read per change.
      assert.strictEqual((yield* listings) - listedBefore, 2)
      assert.strictEqual(Redacted.value(yield* Config.redacted("DB_PASSWORD")), "rotated")
      assert.strictEqual(yield* Config.string("NEW_KEY"), "new")
      assert.strictEqual(yield* Config.string("PORT").pipe(Config.withDefault("gone")), "gone")
      const gets = (yield* getCalls).filter((c) => c.operation === "getSecret").length - before
      assert.strictEqual(gets, 2, "only the rotated and the new secret were read again")
      // A failing refresh keeps the last values.
      const testVault = yield* TestVault.TestVault
      yield* testVault.inject({ operation: "listPropertiesOfSecrets", status: 403, code: "Forbidden", times: "always" })
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual(Redacted.value(yield* Config.redacted("DB_PASSWORD")), "rotated")
    }).pipe(Effect.provide(
      SecretConfigProvider.layer({ prefix: "myapp-", fallback: null, refreshInterval: "1 minute" }).pipe(
        Layer.provideMerge(vault2())
      )
    )))

  it.effect("the refresh watch is traced on its own, not under the makeRefreshing span that ended long ago", () =>
    Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      yield* Effect.gen(function*() {
        yield* SecretConfigProvider.makeRefreshing({ prefix: "myapp-", refreshInterval: "1 minute" })
        const made = spans.find((s) => s.name === "SecretConfigProvider.makeRefreshing")!
        const before = spans.length
        yield* TestClock.adjust("61 seconds")
        const polls = spans.slice(before).filter((s) => s.name.startsWith("SecretClient."))
        assert.isAbove(polls.length, 0)
        for (const s of polls) assert.isFalse(s.parent._tag === "Some" && s.parent.value.spanId === made.spanId, s.name)
      }).pipe(Effect.scoped, Effect.withTracer(tracer))
    }).pipe(Effect.provide(vault2())))

  it.effect("refreshInterval follows SecretWatch: a secret that expires drops out, a deleted one goes, no change reads nothing", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      assert.strictEqual(yield* Config.string("SOON"), "short-lived")
      const gets = Effect.map(getCalls, (calls) => calls.filter((c) => c.operation === "getSecret").length)
      const before = yield* gets
      yield* TestClock.adjust("60 seconds") // polls without changes: nothing is read again
      assert.strictEqual((yield* gets) - before, 0)
      yield* TestClock.adjust("60 seconds") // past expiresOn: the watch reports it, the snapshot drops it
      assert.strictEqual(yield* Config.string("SOON").pipe(Config.withDefault("expired")), "expired")
      yield* client.deleteSecret("myapp-db-password").pipe(Effect.fork)
      yield* TestClock.adjust("61 seconds")
      assert.strictEqual(yield* Config.string("DB_PASSWORD").pipe(Config.withDefault("deleted")), "deleted")
      const bad = yield* Effect.flip(
        Effect.scoped(SecretConfigProvider.makeRefreshing({ prefix: "myapp-", refreshInterval: "10 millis" }))
      )
      assert.strictEqual(bad._tag, "InvalidArgument")
    }).pipe(Effect.provide(
      SecretConfigProvider.layer({ prefix: "myapp-", fallback: null, refreshInterval: "1 minute" }).pipe(
        Layer.provideMerge(TestVault.layer({
          seed: [
            { name: "myapp-soon", value: "short-lived", expiresOn: new Date(90_000) }, // 90 s of TestClock time
            { name: "myapp-db-password", value: "pw" }
          ]
        }))
      )
    )))
})

import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Redacted } from "effect"
import { TestVault } from "../../emulator/src/index.js"
import { SecretConfigProvider } from "../src/index.js"

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

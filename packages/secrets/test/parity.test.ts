/**
 * Parity with the Python and JS SDKs (issue 8, items 9-12): api-versions, names users look for, identifier
 * parsing on the references' own vectors, per-call headers and raw-response access.
 */
import { assert, describe, it } from "@effect/vitest"
import { KnownContentType as JsKnownContentType, KnownDeletionRecoveryLevel as JsKnownDeletionRecoveryLevel } from "@azure/keyvault-secrets"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { ApiVersion, Credential, KeyVaultSecret, SecretClient } from "../src/index.js"
import { bundle, deletedBundle, type Handler, scriptedClient, VAULT, withChallenge } from "./utils.js"

const staticCredential = Credential.layerStatic(Redacted.make("token"))

const setup = (handler: Handler, options: Partial<SecretClient.SecretClientOptions> = {}) => {
  const scripted = scriptedClient(withChallenge(handler))
  const layer = SecretClient.layer({ vaultUrl: VAULT, ...options }).pipe(
    Layer.provide(staticCredential),
    Layer.provide(scripted.layer)
  )
  const run = <A, E>(f: (c: SecretClient.Service) => Effect.Effect<A, E>) =>
    Effect.flatMap(SecretClient.SecretClient, f).pipe(Effect.provide(layer))
  return { requests: scripted.requests, run }
}

describe("api-versions 2016-10-01 and 2026-03-01-preview (item 9)", () => {
  for (const apiVersion of ["2016-10-01", "2026-03-01-preview"] as const) {
    it.effect(`a client pinned to ${apiVersion} builds and sends it`, () =>
      Effect.gen(function*() {
        const t = setup(() => ({ status: 200, body: bundle("n") }), { apiVersion })
        const secret = yield* t.run((c) => Effect.zipRight(c.setSecret("n", "v"), c.getSecret("n")))
        assert.strictEqual(secret.name, "n")
        assert.isTrue(t.requests.length >= 3)
        for (const r of t.requests) assert.include(r.url, `api-version=${apiVersion}`)
      }))
  }

  it.effect("outContentType: allowed at 2026-03-01-preview, refused client-side at 2016-10-01", () =>
    Effect.gen(function*() {
      const preview = setup(() => ({ status: 200, body: bundle("n") }), { apiVersion: "2026-03-01-preview" })
      yield* preview.run((c) => c.getSecret("n", { outContentType: KeyVaultSecret.ContentType.PEM }))
      assert.include(preview.requests.at(-1)!.url, "outContentType=application%2Fx-pem-file")
      const old = setup(() => ({ status: 200, body: bundle("n") }), { apiVersion: "2016-10-01" })
      const e = yield* Effect.flip(old.run((c) => c.getSecret("n", { outContentType: KeyVaultSecret.ContentType.PEM })))
      assert.strictEqual(e._tag, "InvalidArgument")
      assert.strictEqual(old.requests.length, 0)
    }))

  it.effect("AZURE_KEYVAULT_API_VERSION accepts the new versions", () =>
    Effect.gen(function*() {
      const scripted = scriptedClient(withChallenge(() => ({ status: 200, body: bundle("n") })))
      const client = yield* SecretClient.SecretClient.pipe(
        Effect.provide(SecretClient.layerFromEnv.pipe(Layer.provide(staticCredential), Layer.provide(scripted.layer))),
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([["AZURE_KEYVAULT_URL", VAULT], ["AZURE_KEYVAULT_API_VERSION", "2026-03-01-preview"]])
        ))
      )
      assert.strictEqual(client.apiVersion, "2026-03-01-preview")
      assert.isTrue(ApiVersion.isApiVersion("2016-10-01"))
      assert.strictEqual(ApiVersion.latest, "2026-04-01")
    }))
})

describe("names users look for (item 11)", () => {
  it("ContentType / KnownContentType carry the JS SDK's values", () => {
    assert.deepStrictEqual({ ...KeyVaultSecret.KnownContentType }, { PEM: JsKnownContentType.PEM, PFX: JsKnownContentType.PFX })
    assert.strictEqual(KeyVaultSecret.ContentType, KeyVaultSecret.KnownContentType)
  })

  it("KnownDeletionRecoveryLevel has the JS SDK's seven names and values", () => {
    const js: Record<string, string> = Object.fromEntries(Object.entries(JsKnownDeletionRecoveryLevel).filter(([k]) => isNaN(Number(k))))
    assert.deepStrictEqual<Record<string, string>>({ ...KeyVaultSecret.KnownDeletionRecoveryLevel }, js)
    assert.strictEqual(Object.keys(js).length, 7)
  })

  it.effect("DeletedSecret.id is the deleted version's identifier", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 200, body: deletedBundle("gone") }))
      const deleted = yield* t.run((c) => c.getDeletedSecret("gone"))
      assert.strictEqual(deleted.id, `${VAULT}/secrets/gone/0123456789abcdef0123456789abcdef`)
      assert.strictEqual(deleted.id, deleted.properties.id)
    }))
})

/**
 * Parity with the Python and JS SDKs (issue 8, items 9-12): api-versions, names users look for, identifier
 * parsing on the references' own vectors, per-call headers and raw-response access.
 */
import { assert, describe, it } from "@effect/vitest"
import { KnownContentType as JsKnownContentType, KnownDeletionRecoveryLevel as JsKnownDeletionRecoveryLevel } from "@azure/keyvault-secrets"
import { Chunk, ConfigProvider, Effect, Layer, Option, Redacted, Stream } from "effect"
import { TestVault } from "../../emulator/src/index.js"
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

describe("per-call options: request headers and raw responses (item 12)", () => {
  const vault = TestVault.layer({ seed: [{ name: "api-key", value: "v1" }] })

  it.effect("withResponse returns the result with status, ids, region and service version", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      const [secret, info] = yield* SecretClient.withResponse(client.getSecret("api-key"))
      assert.strictEqual(Redacted.value(secret.value), "v1")
      assert.isTrue(Option.isSome(info))
      const r = Option.getOrThrow(info)
      assert.strictEqual(r.operation, "getSecret")
      assert.strictEqual(r.method, "GET")
      assert.strictEqual(r.status, 200)
      assert.strictEqual(r.region, "emulator")
      assert.strictEqual(r.serviceVersion, "1.9.0.0-emulator")
      assert.match(r.requestId ?? "", /^[0-9a-f-]{36}$/)
      assert.match(r.clientRequestId ?? "", /^[0-9a-f-]{36}$/)
      assert.include(r.url, "/secrets/api-key/")
      assert.strictEqual(r.headers["x-ms-keyvault-region"], "emulator")
      // Nothing sent: None, not a made-up response.
      const poller = yield* client.beginDeleteSecret("api-key")
      const saved = yield* poller.serialize
      const [, none] = yield* SecretClient.withResponse(
        client.beginDeleteSecret("api-key", { resumeFrom: saved })
      )
      assert.isTrue(Option.isNone(none))
    }).pipe(Effect.provide(vault)))

  it.effect("onResponse sees every page of a listing and every poll of a poller", () =>
    Effect.gen(function*() {
      const client = yield* SecretClient.SecretClient
      for (let i = 0; i < 7; i++) yield* client.setSecret(`s${i}`, "v")
      const seen: Array<string> = []
      const record = (info: SecretClient.ResponseInfo) => Effect.sync(() => seen.push(`${info.operation} ${info.status}`))
      const pages = yield* client.listPropertiesOfSecretsPages({ maxPageSize: 3 }).pipe(
        SecretClient.withRequestOptions({ onResponse: record }),
        Stream.runCollect
      )
      assert.strictEqual(Chunk.size(pages), seen.length)
      assert.isAtLeast(seen.length, 3)
      assert.isTrue(seen.every((s) => s === "listPropertiesOfSecrets 200"))
      seen.length = 0
      yield* client.deleteSecret("s0").pipe(SecretClient.withRequestOptions({ onResponse: record }))
      assert.strictEqual(seen[0], "deleteSecret 200")
      assert.isTrue(seen.slice(1).every((s) => s.startsWith("pollDeleteSecret ")))
    }).pipe(Effect.provide(vault)))

  it.effect("extra headers go on every request of the call, nested options merge, hooks all run", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 200, body: bundle("n"), headers: { "x-ms-keyvault-region": "westeurope" } }))
      const outer: Array<number> = []
      const inner: Array<string | undefined> = []
      yield* t.run((c) =>
        c.setSecret("n", "v").pipe(
          SecretClient.withRequestOptions({ headers: { "x-correlation-id": "inner", "x-inner": "1" }, onResponse: (i) => Effect.sync(() => inner.push(i.region)) }),
          SecretClient.withRequestOptions({ headers: { "x-correlation-id": "outer", "x-outer": "1" }, onResponse: (i) => Effect.sync(() => outer.push(i.status)) })
        )
      )
      // The token-less probe and the authorised PUT both carry the headers.
      assert.strictEqual(t.requests.length, 2)
      for (const r of t.requests) {
        assert.strictEqual(r.headers["x-correlation-id"], "inner")
        assert.strictEqual(r.headers["x-inner"], "1")
        assert.strictEqual(r.headers["x-outer"], "1")
      }
      assert.deepStrictEqual(outer, [200])
      assert.deepStrictEqual(inner, ["westeurope"])
      // Outside the combinator nothing is added.
      yield* t.run((c) => c.getSecret("n"))
      assert.isUndefined(t.requests.at(-1)!.headers["x-correlation-id"])
    }))

  it.effect("reserved or malformed headers fail with InvalidArgument before anything is sent", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 200, body: bundle("n") }))
      for (
        const headers of <ReadonlyArray<Record<string, string>>> [
          { Authorization: "Bearer stolen" },
          { "x-ms-client-request-id": "mine" },
          { "content-type": "text/plain" },
          { "bad name": "x" },
          { "x-ok": "a\r\nInjected: yes" }
        ]
      ) {
        const e = yield* Effect.flip(t.run((c) => SecretClient.withRequestOptions(c.getSecret("n"), { headers })))
        assert.strictEqual(e._tag, "InvalidArgument")
        assert.notInclude(e.message, "stolen")
        const s = yield* Effect.flip(
          t.run((c) => Stream.runDrain(SecretClient.withRequestOptions(c.listPropertiesOfSecrets(), { headers })))
        )
        assert.strictEqual(s._tag, "InvalidArgument")
      }
      assert.strictEqual(t.requests.length, 0)
    }))
})

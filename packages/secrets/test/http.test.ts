/**
 * Real sockets on 127.0.0.1: both FetchHttpClient and the undici NodeHttpClient drive the same pipeline.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Config, ConfigProvider, Effect, Layer, Redacted } from "effect"
import { Credential, RetryPolicy, SecretClient } from "../src/index.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { bundle, type Handler, scriptedServer, withChallenge } from "./utils.js"

const loopbackChallenge = (url: string) =>
  `Bearer authorization="https://login.microsoftonline.com/tenant-9", resource="${url}"`

const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["FetchHttpClient", FetchHttpClient.layer],
  ["NodeHttpClient (undici)", NodeHttpClient.layerUndici],
  ["UndiciHttpClient", UndiciHttpClient.layer]
]

const serve = (handler: (url: string) => Handler) =>
  Effect.gen(function*() {
    let base = ""
    const server = yield* scriptedServer((req, i) => handler(base)(req, i))
    base = server.url
    return server
  })

describe("over real HTTP on loopback", () => {
  for (const [label, httpLayer] of clients) {
    it.scoped(`${label}: challenge, set and get against a socket server`, () =>
      Effect.gen(function*() {
        const server = yield* serve((url) =>
          withChallenge((req) => ({
            status: 200,
            body: bundle("n", { id: `${url}/secrets/n/0123456789abcdef0123456789abcdef`, value: req.method === "PUT" ? JSON.parse(req.body).value : "stored" })
          }), loopbackChallenge(url))
        )
        const layer = SecretClient.layer({ vaultUrl: server.url, allowInsecureLoopback: true }).pipe(
          Layer.provide(Credential.layerStatic(Redacted.make("loopback-token"))),
          Layer.provide(httpLayer)
        )
        const [set, got] = yield* Effect.flatMap(SecretClient.SecretClient, (c) =>
          Effect.all([c.setSecret("n", "über-secret ✓"), c.getSecret("n")])).pipe(Effect.provide(layer))
        assert.strictEqual(Redacted.value(set.value), "über-secret ✓")
        assert.strictEqual(Redacted.value(got.value), "stored")
        assert.strictEqual(set.properties.vaultUrl, server.url)
        const [probe, put, get] = server.requests
        assert.strictEqual(probe.body, "")
        assert.isUndefined(probe.headers["authorization"])
        assert.strictEqual(put.headers["authorization"], "Bearer loopback-token")
        assert.strictEqual(JSON.parse(put.body).value, "über-secret ✓")
        assert.strictEqual(put.headers["content-type"], "application/json")
        assert.strictEqual(get.headers["authorization"], "Bearer loopback-token")
        assert.match(get.headers["user-agent"], /effect-keyvault\/0\.1\.0$/)
      }))
  }

  for (const [label, httpLayer] of clients) {
    // A transformClient may read a response itself (logging, metrics); the SDK must still read it afterwards.
    it.scoped(`${label}: a transformClient that reads every body leaves responses readable for the SDK`, () =>
      Effect.gen(function*() {
        const server = yield* serve((url) =>
          withChallenge(() => ({
            status: 200,
            body: bundle("n", { id: `${url}/secrets/n/0123456789abcdef0123456789abcdef`, value: "stored" })
          }), loopbackChallenge(url))
        )
        const seen: Array<number> = []
        const layer = SecretClient.layer({
          vaultUrl: server.url,
          allowInsecureLoopback: true,
          transformClient: HttpClient.transformResponse((execute) =>
            Effect.tap(execute, (res) => Effect.map(res.text, (text) => seen.push(text.length))))
        }).pipe(
          Layer.provide(Credential.layerStatic(Redacted.make("loopback-token"))),
          Layer.provide(httpLayer),
          Layer.provide(RetryPolicy.layer(RetryPolicy.make({ maxRetries: 0 })))
        )
        const got = yield* Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("n")).pipe(Effect.provide(layer))
        assert.strictEqual(Redacted.value(got.value), "stored")
        assert.strictEqual(seen.length, 2) // the challenge and the get
        assert.strictEqual(server.requests.length, 2)
      }))
  }

  it.live("a dropped connection is a TransportError after retries", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer(() => ({ status: 0, transportError: true }))
      const e = yield* Effect.flip(
        Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("n")).pipe(
          Effect.provide(
            SecretClient.layer({ vaultUrl: server.url, allowInsecureLoopback: true }).pipe(
              Layer.provide(Credential.layerStatic("t")),
              Layer.provide(NodeHttpClient.layerUndici),
              Layer.provide(RetryPolicy.layer(RetryPolicy.make({ baseDelay: "1 millis", maxRetries: 2 })))
            )
          )
        )
      )
      assert.strictEqual(e._tag, "TransportError")
      assert.strictEqual(server.requests.length, 3)
    }).pipe(Effect.scoped))

  it.scoped("a loopback challenge naming another resource is refused", () =>
    Effect.gen(function*() {
      const server = yield* serve(() => withChallenge(() => ({ status: 200, body: {} })))
      const e = yield* Effect.flip(
        Effect.flatMap(SecretClient.SecretClient, (c) => c.setSecret("n", "v")).pipe(
          Effect.provide(SecretClient.layer({ vaultUrl: server.url, allowInsecureLoopback: true }).pipe(
            Layer.provide(Credential.layerStatic("t")),
            Layer.provide(FetchHttpClient.layer)
          ))
        )
      )
      assert.strictEqual(e._tag, "ChallengeError")
      assert.strictEqual(server.requests.length, 1)
      assert.isUndefined(server.requests[0].headers["authorization"])
    }))
})

describe("layers and credentials", () => {
  it.effect("layerConfig reads AZURE_KEYVAULT_URL through Effect Config", () =>
    Effect.gen(function*() {
      const c = yield* SecretClient.SecretClient.pipe(
        Effect.provide(SecretClient.layerFromEnv.pipe(
          Layer.provide(Credential.layerStatic("t")),
          Layer.provide(FetchHttpClient.layer)
        )),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([
          ["AZURE_KEYVAULT_URL", "https://cfg.vault.azure.net/"],
          ["AZURE_KEYVAULT_API_VERSION", "7.5"]
        ])))
      )
      assert.strictEqual(c.vaultUrl, "https://cfg.vault.azure.net")
      assert.strictEqual(c.apiVersion, "7.5")
      const c2 = yield* SecretClient.SecretClient.pipe(
        Effect.provide(SecretClient.layerConfig({ vaultUrl: Config.string("X_URL"), apiVersion: Config.succeed(undefined) }).pipe(
          Layer.provide(Credential.layerStatic("t")),
          Layer.provide(FetchHttpClient.layer)
        )),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["X_URL", "https://x.vault.azure.net"]])))
      )
      assert.strictEqual(c2.apiVersion, "2026-04-01")
      const missing = yield* Effect.flip(SecretClient.SecretClient.pipe(
        Effect.provide(SecretClient.layerFromEnv.pipe(Layer.provide(Credential.layerStatic("t")), Layer.provide(FetchHttpClient.layer))),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
      ))
      assert.include(String(missing), "AZURE_KEYVAULT_URL")
    }))

  it.effect("fromTokenCredential passes scopes, tenant, claims and CAE through and redacts the token", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const cred = Credential.makeFromTokenCredential({
        getToken: async (scopes, options) => {
          seen.push({ scopes, options })
          return { token: "azure-token", expiresOnTimestamp: 42 }
        }
      })
      const t = yield* cred.getToken(["https://vault.azure.net/.default"], { tenantId: "t", claims: "c" })
      assert.strictEqual(Redacted.value(t.token), "azure-token")
      assert.notInclude(String(t.token), "azure-token")
      assert.deepStrictEqual(seen, [{ scopes: ["https://vault.azure.net/.default"], options: { tenantId: "t", claims: "c", enableCae: true } }])
      const nullCred = Credential.makeFromTokenCredential({ getToken: async () => null })
      assert.strictEqual((yield* Effect.flip(nullCred.getToken(["s"], {})))._tag, "TokenError")
      const throwing = Credential.makeFromTokenCredential({ getToken: async () => { throw new Error("AADSTS7000215") } })
      const e = yield* Effect.flip(throwing.getToken(["s"], {}))
      assert.include(e.message, "AADSTS7000215")
    }))

  it.effect("layerDefaultAzure loads @azure/identity lazily", () =>
    Effect.gen(function*() {
      const cred = yield* Credential.Credential.pipe(Effect.provide(Credential.layerDefaultAzure()))
      assert.isFunction(cred.getToken)
    }))
})

describe("credential layers", () => {
  it.effect("fromTokenCredential is a Layer usable by SecretClient", () =>
    Effect.gen(function*() {
      const cred = yield* Credential.Credential.pipe(
        Effect.provide(Credential.fromTokenCredential({ getToken: async () => ({ token: "x", expiresOnTimestamp: 1 }) }))
      )
      const t = yield* cred.getToken(["s"], {})
      assert.strictEqual(Redacted.value(t.token), "x")
    }))
})

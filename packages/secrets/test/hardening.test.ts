/**
 * Regression tests for the SDK review findings: probe handling, bounded dates, identifier decoding,
 * whole-attempt timeouts, missing values, typed option errors, paging loops, redirects, 429 wording and
 * the refresh back-off. Real sockets on 127.0.0.1 where the wire matters; TestClock where time does.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import {
  Config,
  ConfigError,
  ConfigProvider,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Redacted,
  Schema,
  Stream,
  TestClock
} from "effect"
import * as Transform from "../src/internal/transform.js"
import { Credential, KeyVaultSecretIdentifier, RetryPolicy, SecretClient } from "../src/index.js"
import { bundle, deletedBundle, type Handler, type Scripted, scriptedClient, scriptedServer, VAULT, withChallenge } from "./utils.js"

const loopbackChallenge = (url: string) =>
  `Bearer authorization="https://login.microsoftonline.com/tenant-9", resource="${url}"`

/** A socket server whose handler knows its own URL, with the challenge in front. */
const serve = (handler: (url: string) => Handler) =>
  Effect.gen(function*() {
    let base = ""
    const server = yield* scriptedServer((req, i) => withChallenge(handler(base), loopbackChallenge(base))(req, i))
    base = server.url
    return server
  })

const noRetries = RetryPolicy.layer(RetryPolicy.make({ baseDelay: "1 millis", maxRetries: 0 }))

const clientOver = (
  url: string,
  options: Partial<SecretClient.SecretClientOptions> = {},
  httpLayer: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer
) =>
  SecretClient.layer({ vaultUrl: url, allowInsecureLoopback: true, ...options }).pipe(
    Layer.provide(Credential.layerStatic("loopback-token")),
    Layer.provide(httpLayer)
  )

const withClient = <A, E, LE>(
  layer: Layer.Layer<SecretClient.SecretClient, LE>,
  f: (c: SecretClient.Service) => Effect.Effect<A, E>
) => Effect.flatMap(SecretClient.SecretClient, f).pipe(Effect.provide(layer))

const idAt = (url: string, name: string) => `${url}/secrets/${name}/0123456789abcdef0123456789abcdef`

describe("1. the token-less probe", () => {
  it.live("a 503 to the probe is retried and probes again; the body never goes out without a token", () =>
    Effect.gen(function*() {
      let first = true
      let base = ""
      const server = yield* scriptedServer((req, i): Scripted => {
        if (first) {
          first = false
          return { status: 503, headers: { "retry-after-ms": "1" }, body: { error: { code: "ServiceUnavailable", message: "busy" } } }
        }
        return withChallenge((r) => ({
          status: 200,
          body: bundle("n", { id: idAt(base, "n"), value: JSON.parse(r.body).value })
        }), loopbackChallenge(base))(req, i)
      })
      base = server.url
      const s = yield* withClient(clientOver(server.url), (c) => c.setSecret("n", "probe-secret"))
      assert.strictEqual(Redacted.value(s.value), "probe-secret")
      assert.deepStrictEqual(
        server.requests.map((r) => [r.headers["authorization"] !== undefined, r.body !== ""]),
        [[false, false], [false, false], [true, true]]
      )
      for (const r of server.requests) {
        if (r.headers["authorization"] === undefined) assert.notInclude(r.body, "probe-secret")
      }
    }).pipe(Effect.scoped))
})

describe("2. epoch seconds are bounded to the DateTime range", () => {
  it.effect("an absurd exp is a decode failure, the largest valid one decodes", () =>
    Effect.gen(function*() {
      const decode = Schema.decodeUnknownEither(Transform.KeyVaultSecretFromBundle)
      assert.isTrue(Either.isLeft(decode(bundle("n", { attributes: { exp: 1e13 } }))))
      assert.isTrue(Either.isLeft(decode(bundle("n", { attributes: { created: -1e13 } }))))
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Transform.DeletedSecretFromBundle)(
        deletedBundle("n", { scheduledPurgeDate: 1e300 })
      )))
      const ok = decode(bundle("n", { attributes: { exp: 8.64e12 } }))
      assert.isTrue(Either.isRight(ok))
    }))

  it.scoped("getSecret with exp 1e13 fails with MalformedResponse instead of crashing", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) => () => ({ status: 200, body: bundle("n", { id: idAt(url, "n"), attributes: { exp: 1e13 } }) }))
      const e = yield* Effect.flip(withClient(clientOver(server.url), (c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "MalformedResponse")
      assert.include(e.message, "attributes.exp")
    }))
})

describe("3. malformed percent-encoding in identifiers", () => {
  it.effect("parse returns InvalidIdentifier for a bad name or version instead of throwing", () =>
    Effect.gen(function*() {
      const badName = KeyVaultSecretIdentifier.parse("https://x.vault.azure.net/secrets/%E0%A4%A")
      assert.isTrue(Either.isLeft(badName))
      if (Either.isLeft(badName)) assert.include(badName.left.message, "invalid percent-encoding in the name")
      const badVersion = KeyVaultSecretIdentifier.parse("https://x.vault.azure.net/secrets/n/%ZZ")
      assert.isTrue(Either.isLeft(badVersion))
      if (Either.isLeft(badVersion)) assert.include(badVersion.left.message, "invalid percent-encoding in the version")
      const schemaResult = Schema.decodeUnknownEither(KeyVaultSecretIdentifier.FromString)("https://x.vault.azure.net/secrets/%")
      assert.isTrue(Either.isLeft(schemaResult))
      // Well-formed encodings still decode.
      const good = KeyVaultSecretIdentifier.unsafeParse("https://x.vault.azure.net/secrets/a%2Db/v1")
      assert.strictEqual(good.name, "a-b")
      assert.strictEqual(good.version, "v1")
    }))

  it.scoped("a response whose id has bad percent-encoding is a MalformedResponse", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) => () => ({ status: 200, body: bundle("n", { id: `${url}/secrets/%E0%A4%A/abc` }) }))
      const e = yield* Effect.flip(withClient(clientOver(server.url), (c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "MalformedResponse")
    }))
})

describe("4. timeouts cover the whole attempt and the credential", () => {
  it.live("a body that stalls after the headers times out as TransportError Timeout", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) => () => ({ status: 200, stallBody: `{"value":"v","id":"${idAt(url, "n")}"` }))
      const exit = yield* Effect.exit(
        withClient(clientOver(server.url, { timeout: "300 millis" }).pipe(Layer.provide(noRetries)), (c) => c.getSecret("n")).pipe(
          // Guard: before the fix this hung forever.
          Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "hung" as const })
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const e = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.isDefined(e)
        assert.notStrictEqual(e, "hung")
        if (e !== undefined && e !== "hung") {
          assert.strictEqual(e._tag, "TransportError")
          if (e._tag === "TransportError") assert.strictEqual(e.reason, "Timeout")
        }
      }
      assert.strictEqual(server.requests.length, 2) // probe + the one stalled attempt
    }).pipe(Effect.scoped))

  it.live("a stalled body is retried like any transport error and the next attempt succeeds", () =>
    Effect.gen(function*() {
      let stalls = 1
      const server = yield* serve((url) => () =>
        stalls-- > 0
          ? { status: 200, stallBody: `{"value":"v"` }
          : { status: 200, body: bundle("n", { id: idAt(url, "n") }) }
      )
      const retry = RetryPolicy.layer(RetryPolicy.make({ baseDelay: "1 millis", maxRetries: 1 }))
      const s = yield* withClient(clientOver(server.url, { timeout: "300 millis" }).pipe(Layer.provide(retry)), (c) => c.getSecret("n"))
      assert.strictEqual(s.name, "n")
      assert.strictEqual(server.requests.length, 3)
    }).pipe(Effect.scoped))

  it.effect("a credential that never answers fails with CredentialError after the timeout (TestClock)", () =>
    Effect.gen(function*() {
      const scripted = scriptedClient(withChallenge(() => ({ status: 200, body: bundle("n") })))
      const hanging = Layer.succeed(Credential.Credential, { getToken: () => Effect.never })
      const layer = SecretClient.layer({ vaultUrl: VAULT, timeout: "5 seconds" }).pipe(
        Layer.provide(hanging),
        Layer.provide(scripted.layer)
      )
      const fiber = yield* Effect.fork(withClient(layer, (c) => c.getSecret("n")))
      yield* TestClock.adjust("6 seconds")
      const e = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(e._tag, "CredentialError")
      assert.include(e.message, "no token within 5s")
      assert.strictEqual(scripted.requests.length, 1) // only the probe
    }))
})

describe("5. a secret bundle without a value", () => {
  it.effect("does not decode as a KeyVaultSecret, but still as properties and as a deleted secret", () =>
    Effect.gen(function*() {
      const { value: _value, ...noValue } = bundle("n")
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Transform.KeyVaultSecretFromBundle)(noValue)))
      assert.isTrue(Either.isRight(Schema.decodeUnknownEither(Transform.SecretPropertiesFromBundle)(noValue)))
      assert.isTrue(Either.isRight(Schema.decodeUnknownEither(Transform.DeletedSecretFromBundle)(deletedBundle("n"))))
      const empty = Schema.decodeUnknownEither(Transform.KeyVaultSecretFromBundle)(bundle("n", { value: "" }))
      assert.isTrue(Either.isRight(empty)) // an empty value that is present is still a value
    }))

  it.scoped("getSecret answered without value fails with MalformedResponse", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) => () => ({ status: 200, body: { id: idAt(url, "n"), attributes: { enabled: true } } }))
      const e = yield* Effect.flip(withClient(clientOver(server.url), (c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "MalformedResponse")
    }))
})

describe("6. invalid client options are typed errors", () => {
  const deps = <E>(l: Layer.Layer<SecretClient.SecretClient, E, HttpClient.HttpClient | Credential.Credential>) =>
    l.pipe(Layer.provide(Credential.layerStatic("t")), Layer.provide(FetchHttpClient.layer))

  it.effect("make and layer fail with InvalidArgument naming the option", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [SecretClient.SecretClientOptions, string]> = [
        [{ vaultUrl: "myvault.vault.azure.net" }, "vaultUrl"],
        [{ vaultUrl: "ftp://myvault.vault.azure.net" }, "vaultUrl"],
        [{ vaultUrl: "https://v.vault.azure.net", apiVersion: "7.9" as never }, "apiVersion"],
        [{ vaultUrl: "https://v.vault.azure.net", timeout: "soon" as never }, "timeout"],
        [{ vaultUrl: "https://v.vault.azure.net", timeout: 0 }, "timeout"]
      ]
      for (const [options, argument] of cases) {
        const viaMake = yield* Effect.flip(SecretClient.make(options).pipe(
          Effect.provide(Layer.merge(Credential.layerStatic("t"), FetchHttpClient.layer))
        ))
        assert.strictEqual(viaMake._tag, "InvalidArgument")
        assert.strictEqual(viaMake.argument, argument)
        const viaLayer = yield* Effect.flip(SecretClient.SecretClient.pipe(Effect.provide(deps(SecretClient.layer(options)))))
        assert.strictEqual(viaLayer._tag, "InvalidArgument")
        assert.strictEqual(viaLayer.argument, argument)
      }
    }))

  it.effect("layerFromEnv and layerConfig surface bad values as ConfigError", () =>
    Effect.gen(function*() {
      const fromEnv = yield* Effect.flip(SecretClient.SecretClient.pipe(
        Effect.provide(deps(SecretClient.layerFromEnv)),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["AZURE_KEYVAULT_URL", "not a url"]])))
      ))
      assert.isTrue(ConfigError.isInvalidData(fromEnv))
      assert.include(String(fromEnv), "AZURE_KEYVAULT_URL")
      const badVersion = yield* Effect.flip(SecretClient.SecretClient.pipe(
        Effect.provide(deps(SecretClient.layerFromEnv)),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([
          ["AZURE_KEYVAULT_URL", "https://v.vault.azure.net"],
          ["AZURE_KEYVAULT_API_VERSION", "1999-01-01"]
        ])))
      ))
      assert.include(String(badVersion), "AZURE_KEYVAULT_API_VERSION")
      const viaConfig = yield* Effect.flip(SecretClient.SecretClient.pipe(
        Effect.provide(deps(SecretClient.layerConfig({
          vaultUrl: Config.succeed("https://v.vault.azure.net"),
          timeout: Config.succeed("-5 seconds" as Duration.DurationInput)
        })))
      ))
      assert.isTrue(ConfigError.isInvalidData(viaConfig))
      assert.include(String(viaConfig), "timeout")
    }))
})

describe("7. nextLink loops", () => {
  it.scoped("a nextLink pointing at the page itself ends with MalformedResponse", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) => () => ({
        status: 200,
        body: { value: [{ id: `${url}/secrets/a` }], nextLink: `${url}/secrets?api-version=2026-04-01&$skiptoken=x` }
      }))
      const e = yield* Effect.flip(withClient(clientOver(server.url), (c) => Stream.runCollect(c.listPropertiesOfSecrets())))
      assert.strictEqual(e._tag, "MalformedResponse")
      assert.include(e.message, "paging loop")
      assert.strictEqual(server.requests.length, 3) // probe, page 1, the looping page
    }))

  it.scoped("a two-page cycle (A → B → A) is detected too, after both pages' links", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) => (req) => ({
        status: 200,
        body: {
          value: [],
          nextLink: req.url.includes("skiptoken=b")
            ? `${url}/secrets?api-version=2026-04-01&$skiptoken=a`
            : `${url}/secrets?api-version=2026-04-01&$skiptoken=b`
        }
      }))
      const e = yield* Effect.flip(withClient(clientOver(server.url), (c) => Stream.runCollect(c.listPropertiesOfSecretsPages())))
      assert.strictEqual(e._tag, "MalformedResponse")
      assert.isAtMost(server.requests.length, 5)
    }))
})

describe("8. redirects", () => {
  it.scoped("a 307 with FetchHttpClient redirect: manual is an HttpError; the target is never contacted", () =>
    Effect.gen(function*() {
      const elsewhere = yield* scriptedServer(() => ({ status: 200, body: bundle("n") }))
      const server = yield* serve(() => () => ({ status: 307, headers: { location: `${elsewhere.url}/steal` } }))
      const manual = FetchHttpClient.layer.pipe(
        Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" }))
      )
      const layer = clientOver(server.url, {}, manual)
      const get = yield* Effect.flip(withClient(layer, (c) => c.getSecret("n")))
      assert.strictEqual(get._tag, "HttpError")
      if (get._tag === "HttpError") {
        assert.strictEqual(get.status, 307)
        assert.include(get.message, "not followed")
      }
      const set = yield* Effect.flip(withClient(layer, (c) => c.setSecret("n", "redirected-secret")))
      assert.strictEqual(set._tag, "HttpError")
      assert.strictEqual(elsewhere.requests.length, 0)
    }))
})

describe("9. Throttled wording", () => {
  it.effect("a 429 without Retry-After says it was not retried; with one, that retries ran out", () =>
    Effect.gen(function*() {
      const throttled = (headers: Record<string, string>) =>
        scriptedClient(withChallenge(() => ({ status: 429, headers, body: { error: { code: "Throttled", message: "slow down" } } })))
      const none = throttled({})
      const e1 = yield* Effect.flip(withClient(
        SecretClient.layer({ vaultUrl: VAULT }).pipe(Layer.provide(Credential.layerStatic("t")), Layer.provide(none.layer)),
        (c) => c.getSecret("n")
      ))
      assert.strictEqual(e1._tag, "Throttled")
      assert.include(e1.message, "(not retried: no Retry-After)")
      assert.strictEqual(none.requests.length, 2)
      const some = throttled({ "retry-after": "1" })
      const e2 = yield* Effect.flip(withClient(
        SecretClient.layer({ vaultUrl: VAULT }).pipe(
          Layer.provide(Credential.layerStatic("t")),
          Layer.provide(some.layer),
          Layer.provide(noRetries)
        ),
        (c) => c.getSecret("n")
      ))
      assert.strictEqual(e2._tag, "Throttled")
      assert.include(e2.message, "retries exhausted")
    }))
})

describe("10. failed refresh back-off", () => {
  it.effect("inside the refresh window a failed refresh keeps the token and waits 3 s before asking again", () =>
    Effect.gen(function*() {
      let calls = 0
      const credential = Layer.succeed(Credential.Credential, {
        getToken: () =>
          Effect.gen(function*() {
            calls++
            if (calls > 1) return yield* new Credential.TokenError({ message: "AAD is down" })
            const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
            return { token: Redacted.make("token-1"), expiresOnTimestamp: now + 5 * 60_000 }
          })
      })
      const scripted = scriptedClient(withChallenge(() => ({ status: 200, body: bundle("n") })))
      const layer = SecretClient.layer({ vaultUrl: VAULT }).pipe(Layer.provide(credential), Layer.provide(scripted.layer))
      yield* withClient(layer, (c) =>
        Effect.gen(function*() {
          yield* c.getSecret("n")
          assert.strictEqual(calls, 1)
          yield* TestClock.adjust(Duration.minutes(3.5)) // inside the 2-minute window
          yield* c.getSecret("n") // refresh fails, cached token used
          assert.strictEqual(calls, 2)
          yield* c.getSecret("n")
          yield* TestClock.adjust("2 seconds")
          yield* c.getSecret("n")
          assert.strictEqual(calls, 2) // still backing off
          yield* TestClock.adjust("1 second")
          yield* c.getSecret("n")
          assert.strictEqual(calls, 3) // 3 s later: asked again
        }))
      assert.isTrue(scripted.requests.slice(1).every((r) => r.headers["authorization"] === "Bearer token-1"))
    }))
})

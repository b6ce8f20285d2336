/**
 * Client behaviour the emulator cannot produce (CAE, 429/503 with Retry-After, transport errors, odd bodies),
 * driven through a scripted in-process HttpClient; time is TestClock time.
 */
import { assert, describe, it } from "@effect/vitest"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Chunk, Duration, Effect, Fiber, Layer, Logger, LogLevel, Redacted, Stream, TestClock } from "effect"
import { Credential, PollingPolicy, RetryPolicy, SecretClient } from "../src/index.js"
import { bundle, CHALLENGE, deletedBundle, type Handler, recordingTracer, scriptedClient, VAULT, withChallenge } from "./utils.js"

interface TokenCall {
  readonly scopes: ReadonlyArray<string>
  readonly options: Credential.GetTokenOptions
}

const countingCredential = (
  opts: { readonly lifetimeMs?: number; readonly delay?: Duration.DurationInput; readonly span?: boolean } = {}
) => {
  const calls: Array<TokenCall> = []
  const service: Credential.Service = {
    getToken: (scopes, options) =>
      Effect.gen(function*() {
        calls.push({ scopes, options })
        if (opts.delay) yield* Effect.sleep(opts.delay)
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        return { token: Redacted.make(`token-${calls.length}`), expiresOnTimestamp: now + (opts.lifetimeMs ?? 3_600_000) }
      }).pipe(opts.span === true ? Effect.withSpan("credential.getToken") : (e) => e)
  }
  return { calls, layer: Layer.succeed(Credential.Credential, service) }
}

const setup = (
  handler: Handler,
  options: Partial<SecretClient.SecretClientOptions> = {},
  extra: { readonly challenge?: boolean; readonly credential?: ReturnType<typeof countingCredential> } = {}
) => {
  const scripted = scriptedClient(extra.challenge === false ? handler : withChallenge(handler))
  const credential = extra.credential ?? countingCredential()
  const layer = SecretClient.layer({ vaultUrl: VAULT, ...options }).pipe(
    Layer.provide(credential.layer),
    Layer.provide(scripted.layer)
  )
  const run = <A, E>(f: (c: SecretClient.Service) => Effect.Effect<A, E>) =>
    Effect.flatMap(SecretClient.SecretClient, f).pipe(Effect.provide(layer))
  return { requests: scripted.requests, tokenCalls: credential.calls, run, layer }
}

const ok = (b: unknown) => ({ status: 200, body: b })

describe("challenge authentication", () => {
  it.effect("first request goes out without token and body; the retry carries both", () =>
    Effect.gen(function*() {
      const t = setup((req) => req.method === "PUT" ? ok(bundle("n")) : ok(bundle("n")), { userAgentPrefix: "myapp/1.0" })
      yield* t.run((c) => Effect.zipRight(c.setSecret("n", "v1"), c.getSecret("n")))
      const [probe, put, get] = t.requests
      assert.strictEqual(probe.method, "PUT")
      assert.strictEqual(probe.body, "")
      assert.isUndefined(probe.headers["authorization"])
      assert.strictEqual(put.headers["authorization"], "Bearer token-1")
      assert.deepStrictEqual(JSON.parse(put.body), { value: "v1", attributes: {} })
      assert.strictEqual(put.url, `${VAULT}/secrets/n?api-version=2026-04-01`)
      assert.strictEqual(get.url, `${VAULT}/secrets/n/?api-version=2026-04-01`)
      assert.strictEqual(get.headers["authorization"], "Bearer token-1")
      assert.strictEqual(t.requests.length, 3)
      assert.strictEqual(put.headers["user-agent"], "myapp/1.0 effect-keyvault/0.1.0")
      assert.match(put.headers["x-ms-client-request-id"], /^[0-9a-f-]{36}$/)
      assert.notStrictEqual(put.headers["x-ms-client-request-id"], get.headers["x-ms-client-request-id"])
      assert.deepStrictEqual(t.tokenCalls, [{
        scopes: ["https://vault.azure.net/.default"],
        options: { tenantId: "tenant-1", claims: undefined, enableCae: true }
      }])
    }))

  it.effect("concurrent first callers share one token request", () =>
    Effect.gen(function*() {
      const credential = countingCredential({ delay: "10 millis" })
      const t = setup(() => ok(bundle("n")), {}, { credential })
      const fiber = yield* Effect.fork(t.run((c) => Effect.all(Array.from({ length: 8 }, () => c.getSecret("n")), { concurrency: "unbounded" })))
      yield* TestClock.adjust("1 second")
      const results = yield* Fiber.join(fiber)
      assert.strictEqual(results.length, 8)
      assert.strictEqual(credential.calls.length, 1)
    }))

  it.effect("inside the refresh window calls go on with the still-valid token while one refresh runs in the background", () =>
    Effect.gen(function*() {
      const credential = countingCredential({ delay: "10 millis", lifetimeMs: 5 * 60_000 })
      const t = setup(() => ok(bundle("n")), {}, { credential })
      const fiber = yield* Effect.fork(t.run((c) =>
        Effect.gen(function*() {
          yield* c.getSecret("n")
          yield* Effect.sleep("210 seconds") // inside the 2-minute refresh window
          // Nobody waits for the (slow) credential: all 8 are answered with the valid token-1.
          const during = yield* Effect.all(Array.from({ length: 8 }, () => c.getSecret("n")), { concurrency: "unbounded" })
          const sentDuring = t.requests.length
          yield* Effect.sleep("1 second") // the background refresh completes
          yield* c.getSecret("n")
          return { during, sentDuring }
        })
      ))
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("210 seconds")
      yield* TestClock.adjust("1 second")
      const { during, sentDuring } = yield* Fiber.join(fiber)
      assert.strictEqual(during.length, 8)
      // One refresh for all of them (the first call's, plus the initial token).
      assert.strictEqual(credential.calls.length, 2)
      for (const r of t.requests.slice(sentDuring - 8, sentDuring)) assert.strictEqual(r.headers["authorization"], "Bearer token-1")
      assert.strictEqual(t.requests.at(-1)!.headers["authorization"], "Bearer token-2")
    }))

  it.effect("tokens are refreshed ahead of expiry", () =>
    Effect.gen(function*() {
      const credential = countingCredential({ lifetimeMs: 5 * 60_000, span: true })
      const t = setup(() => ok(bundle("n")), {}, { credential })
      const { spans, tracer } = yield* recordingTracer
      yield* t.run((c) =>
        Effect.gen(function*() {
          yield* c.getSecret("n")
          yield* TestClock.adjust("2 minutes")
          yield* c.getSecret("n")
          assert.strictEqual(credential.calls.length, 1)
          yield* TestClock.adjust("90 seconds") // inside the 2-minute refresh window
          yield* c.getSecret("n") // starts the refresh, goes on with the valid token
          yield* Effect.yieldNow()
          yield* c.getSecret("n")
        })
      ).pipe(Effect.withTracer(tracer))
      assert.strictEqual(credential.calls.length, 2)
      // The background refresh is its own trace, not a child of the call (long ended) that started it.
      const refresh = spans.filter((s) => s.name === "credential.getToken")[1]!
      assert.isTrue(refresh.parent._tag === "None", "the background refresh has no parent span")
      assert.strictEqual(t.requests.at(-2)!.headers["authorization"], "Bearer token-1")
      assert.strictEqual(t.requests.at(-1)!.headers["authorization"], "Bearer token-2")
    }))

  it.effect("a token at its last second is not used: callers wait for the refresh", () =>
    Effect.gen(function*() {
      const credential = countingCredential({ delay: "10 millis", lifetimeMs: 5 * 60_000 })
      const t = setup(() => ok(bundle("n")), {}, { credential })
      const fiber = yield* Effect.fork(t.run((c) =>
        Effect.gen(function*() {
          yield* c.getSecret("n")
          yield* Effect.sleep("299500 millis") // 0.5 s before expiry: inside the forced window
          return yield* Effect.all(Array.from({ length: 4 }, () => c.getSecret("n")), { concurrency: "unbounded" })
        })
      ))
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("299500 millis")
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(credential.calls.length, 2)
      for (const r of t.requests.slice(-4)) assert.strictEqual(r.headers["authorization"], "Bearer token-2")
    }))

  it.effect("CAE insufficient_claims gets one retry with the decoded claims", () =>
    Effect.gen(function*() {
      const claims = `{"access_token":{"nbf":{"essential":true,"value":"1726077595"}}}`
      const cae = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(claims).toString("base64").replace(/=+$/, "")}"`
      const t = setup((req) =>
        req.headers["authorization"] === "Bearer token-1"
          ? { status: 401, headers: { "www-authenticate": cae }, body: { error: { code: "Unauthorized", message: "claims" } } }
          : ok(bundle("n"))
      )
      const s = yield* t.run((c) => c.getSecret("n"))
      assert.strictEqual(s.name, "n")
      assert.strictEqual(t.tokenCalls.length, 2)
      assert.strictEqual(t.tokenCalls[1].options.claims, claims)
      assert.strictEqual(t.requests.at(-1)!.headers["authorization"], "Bearer token-2")
    }))

  it.effect("a second CAE challenge in a row is returned as Unauthorized", () =>
    Effect.gen(function*() {
      const cae = `Bearer realm="", error="insufficient_claims", claims="e30="`
      const t = setup(() => ({ status: 401, headers: { "www-authenticate": cae }, body: { error: { code: "Unauthorized", message: "still no" } } }))
      const e = yield* Effect.flip(t.run((c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "Unauthorized")
      assert.strictEqual(t.tokenCalls.length, 2)
      assert.notInclude(e.message, "token-")
    }))

  it.effect("refuses a challenge whose resource does not match the vault, before asking for a token", () =>
    Effect.gen(function*() {
      const evil = `Bearer authorization="https://login.microsoftonline.com/t", resource="https://evil.example.com"`
      const t = setup(withChallenge(() => ok(bundle("n")), evil), {}, { challenge: false })
      const e = yield* Effect.flip(t.run((c) => c.setSecret("n", "super-secret")))
      assert.strictEqual(e._tag, "ChallengeError")
      if (e._tag === "ChallengeError") assert.strictEqual(e.reason, "ResourceMismatch")
      assert.include(e.message, "evil.example.com")
      assert.strictEqual(t.tokenCalls.length, 0)
      assert.strictEqual(t.requests.length, 1)
      assert.strictEqual(t.requests[0].body, "")
      // Verification can be turned off.
      const t2 = setup(withChallenge(() => ok(bundle("n")), evil), { verifyChallengeResource: false }, { challenge: false })
      const s = yield* t2.run((c) => c.setSecret("n", "v"))
      assert.strictEqual(s.name, "n")
      assert.deepStrictEqual(t2.tokenCalls[0].scopes, ["https://evil.example.com/.default"])
    }))

  it.effect("never sends anything over plain HTTP unless loopback is explicitly allowed", () =>
    Effect.gen(function*() {
      const remote = setup(() => ok(bundle("n")), { vaultUrl: "http://myvault.vault.azure.net" })
      const e1 = yield* Effect.flip(remote.run((c) => c.getSecret("n")))
      assert.strictEqual(e1._tag, "ChallengeError")
      assert.strictEqual(remote.requests.length, 0)
      const loop = setup(() => ok(bundle("n")), { vaultUrl: "http://127.0.0.1:8080" })
      const e2 = yield* Effect.flip(loop.run((c) => c.getSecret("n")))
      assert.strictEqual(e2._tag, "ChallengeError")
      if (e2._tag === "ChallengeError") assert.strictEqual(e2.reason, "InsecureUrl")
      assert.strictEqual(loop.requests.length, 0)
      const remoteAllowed = setup(() => ok(bundle("n")), { vaultUrl: "http://10.0.0.1", allowInsecureLoopback: true })
      assert.strictEqual((yield* Effect.flip(remoteAllowed.run((c) => c.getSecret("n"))))._tag, "ChallengeError")
      assert.strictEqual(remoteAllowed.requests.length, 0)
    }))

  it.effect("never follows a nextLink to another host", () =>
    Effect.gen(function*() {
      const t = setup(() => ok({ value: [], nextLink: "https://evil.example.com/secrets?$skiptoken=x" }))
      const e = yield* Effect.flip(t.run((c) => Stream.runCollect(c.listPropertiesOfSecrets())))
      assert.strictEqual(e._tag, "ChallengeError")
      if (e._tag === "ChallengeError") assert.strictEqual(e.reason, "ForeignHost")
      assert.isTrue(t.requests.every((r) => r.url.startsWith(VAULT)))
    }))

  it.effect("credential failures are CredentialError", () =>
    Effect.gen(function*() {
      const failing = Layer.succeed(Credential.Credential, {
        getToken: () => Effect.fail(new Credential.TokenError({ message: "no identity available" }))
      })
      const s = scriptedClient(withChallenge(() => ok(bundle("n"))))
      const e = yield* Effect.flip(
        Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("n")).pipe(
          Effect.provide(SecretClient.layer({ vaultUrl: VAULT }).pipe(Layer.provide(failing), Layer.provide(s.layer)))
        )
      )
      assert.strictEqual(e._tag, "CredentialError")
      assert.include(e.message, "no identity available")
    }))
})

describe("retry", () => {
  it.effect("honours Retry-After on 503 exactly", () =>
    Effect.gen(function*() {
      const t = setup((_, i) => i === 1 ? { status: 503, headers: { "retry-after": "7" }, body: { error: { code: "ServiceUnavailable", message: "busy" } } } : ok(bundle("n")))
      const fiber = yield* Effect.fork(t.run((c) => c.getSecret("n")))
      yield* TestClock.adjust("6999 millis")
      assert.strictEqual(t.requests.length, 2)
      yield* TestClock.adjust("1 millis")
      const s = yield* Fiber.join(fiber)
      assert.strictEqual(s.name, "n")
      assert.strictEqual(t.requests.length, 3)
      // Same client request id across retries of one call.
      assert.strictEqual(t.requests[1].headers["x-ms-client-request-id"], t.requests[2].headers["x-ms-client-request-id"])
    }))

  it.effect("honours retry-after-ms on 429 and gives up after 3 retries with Throttled", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 429, headers: { "retry-after-ms": "250" }, body: { error: { code: "Throttled", message: "Request was not processed because too many requests were received." } } }))
      const fiber = yield* Effect.fork(Effect.flip(t.run((c) => c.getSecret("n"))))
      yield* TestClock.adjust("749 millis")
      assert.strictEqual(t.requests.length, 4) // probe + 3 attempts
      yield* TestClock.adjust("1 millis")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e._tag, "Throttled")
      if (e._tag === "Throttled") {
        assert.strictEqual(e.retryAfterMs, 250)
        assert.strictEqual(e.code, "Throttled")
      }
      assert.strictEqual(t.requests.length, 5)
    }))

  it.effect("429 without a retry hint is not retried", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 429, body: { error: { code: "Throttled", message: "slow down" } } }))
      const e = yield* Effect.flip(t.run((c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "Throttled")
      assert.strictEqual(t.requests.length, 2)
    }))

  it.effect("retries 408/5xx with exponential backoff but not 501, 505 or other 4xx", () =>
    Effect.gen(function*() {
      const statuses = [408, 500, 502]
      const t = setup((_, i) => i >= 1 && i <= 3 ? { status: statuses[i - 1], body: { error: { code: "X", message: "transient" } } } : ok(bundle("n")))
      const fiber = yield* Effect.fork(t.run((c) => c.getSecret("n")))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      assert.strictEqual(t.requests.length, 5)
      for (const status of [501, 505, 400, 404]) {
        const t2 = setup(() => ({ status, body: { error: { code: "C", message: "m" } } }))
        const e = yield* Effect.flip(t2.run((c) => c.getSecret("n")))
        assert.strictEqual(t2.requests.length, 2, String(status))
        assert.include(["HttpError", "NotFound"], e._tag)
      }
    }))

  it.effect("transport errors are retried, then surface as TransportError", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 0, transportError: true }), {}, { challenge: false })
      const fiber = yield* Effect.fork(Effect.flip(t.run((c) => c.getSecret("n"))))
      yield* TestClock.adjust("5 minutes")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e._tag, "TransportError")
      assert.strictEqual(t.requests.length, 4)
      const t2 = setup((_, i) => i === 0 ? { status: 0, transportError: true } : i === 1 ? { status: 401, headers: { "www-authenticate": CHALLENGE } } : ok(bundle("n")), {}, { challenge: false })
      const f2 = yield* Effect.fork(t2.run((c) => c.getSecret("n")))
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* Fiber.join(f2)).name, "n")
    }))

  it.effect("a URL or body the transport cannot encode is not retried (it would fail the same way every time)", () =>
    Effect.gen(function*() {
      for (const reason of ["InvalidUrl", "Encode"] as const) {
        const t = setup(() => ({ status: 0, transportError: reason }), {}, { challenge: false })
        const fiber = yield* Effect.fork(Effect.flip(t.run((c) => c.getSecret("n"))))
        yield* TestClock.adjust("5 minutes")
        const e = yield* Fiber.join(fiber)
        assert.strictEqual(e._tag, "TransportError")
        if (e._tag === "TransportError") assert.strictEqual(e.reason, reason)
        assert.strictEqual(t.requests.length, 1, reason)
      }
    }))

  it.effect("a custom RetryPolicy layer replaces the default", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 500, body: {} }))
      const e = yield* Effect.flip(
        Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("n")).pipe(
          Effect.provide(t.layer.pipe(Layer.provide(RetryPolicy.layer(RetryPolicy.none))))
        )
      )
      assert.strictEqual(e._tag, "HttpError")
      if (e._tag === "HttpError") assert.strictEqual(e.status, 500)
      assert.strictEqual(t.requests.length, 2)
    }))

  it.effect("a RetryPolicy provided around one call overrides the client's for that call only", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 500, body: {} }))
      const e = yield* Effect.flip(t.run((c) => Effect.provide(c.getSecret("n"), RetryPolicy.layer(RetryPolicy.none))))
      assert.strictEqual(e._tag, "HttpError")
      assert.strictEqual(t.requests.length, 2)
    }))

  it.effect("per-request timeout becomes a retried TransportError(Timeout)", () =>
    Effect.gen(function*() {
      const t = setup(() => ({ status: 0, hang: true }), { timeout: "1 second" }, { challenge: false })
      const fiber = yield* Effect.fork(Effect.flip(t.run((c) => c.getSecret("n"))))
      yield* TestClock.adjust("1 minute")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e._tag, "TransportError")
      if (e._tag === "TransportError") assert.strictEqual(e.reason, "Timeout")
      assert.strictEqual(t.requests.length, 4)
    }))
})

describe("typed errors", () => {
  const errorCase = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    setup(() => ({ status, body, headers: { "x-ms-request-id": "req-1", ...headers } }))

  it.effect("404 → NotFound with service code and request id", () =>
    Effect.gen(function*() {
      const t = errorCase(404, { error: { code: "SecretNotFound", message: "A secret with (name/id) n was not found in this key vault." } })
      const e = yield* Effect.flip(t.run((c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "NotFound")
      if (e._tag === "NotFound") {
        assert.strictEqual(e.code, "SecretNotFound")
        assert.strictEqual(e.requestId, "req-1")
        assert.strictEqual(e.vault, VAULT)
        assert.strictEqual(e.name, "n")
        assert.include(e.message, "was not found")
      }
    }))

  it.effect("403 on a disabled secret → Forbidden.disabled", () =>
    Effect.gen(function*() {
      const t = errorCase(403, { error: { code: "Forbidden", message: "Operation get is not allowed on a disabled secret.", innererror: { code: "SecretDisabled" } } })
      const e = yield* Effect.flip(t.run((c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "Forbidden")
      if (e._tag === "Forbidden") assert.isTrue(e.disabled)
    }))

  it.effect("409 → Exists with the reason", () =>
    Effect.gen(function*() {
      const cases = [
        [{ code: "Conflict", message: "Secret n is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", innererror: { code: "ObjectIsDeletedButRecoverable" } }, "DeletedButRecoverable"],
        [{ code: "Conflict", message: "Secret is currently being deleted.", innererror: { code: "ObjectIsBeingDeleted" } }, "BeingDeleted"],
        [{ code: "Conflict", message: "There was a conflict restoring the secret 'x'. This can happen if either: ...; or the secret is still being deleted; ..." }, "RestoreConflict"]
      ] as const
      for (const [error, reason] of cases) {
        const t = errorCase(409, { error })
        const e = yield* Effect.flip(t.run((c) => c.setSecret("n", "value-never-in-errors")))
        assert.strictEqual(e._tag, "Exists")
        if (e._tag === "Exists") assert.strictEqual(e.reason, reason)
        assert.notInclude(JSON.stringify(e), "value-never-in-errors")
        assert.notInclude(e.message, "value-never-in-errors")
      }
    }))

  it.effect("a status an operation does not list becomes HttpError (409 on get, 404 on restore)", () =>
    Effect.gen(function*() {
      const t = errorCase(409, { error: { code: "Conflict", message: "Secret is currently being deleted.", innererror: { code: "ObjectIsBeingDeleted" } } })
      const e = yield* Effect.flip(t.run((c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "HttpError")
      if (e._tag === "HttpError") {
        assert.strictEqual(e.status, 409)
        assert.strictEqual(e.innerCode, "ObjectIsBeingDeleted")
      }
      const t2 = errorCase(404, { error: { code: "NotFound", message: "?" } })
      assert.strictEqual((yield* Effect.flip(t2.run((c) => c.restoreSecretBackup(new Uint8Array(4)))))._tag, "HttpError")
    }))

  it.effect("other statuses → HttpError, also without a JSON body", () =>
    Effect.gen(function*() {
      const t = errorCase(400, { error: { code: "Malformed backup blob", message: "Backup blob contains invalid or corrupt version." } })
      const e = yield* Effect.flip(t.run((c) => c.restoreSecretBackup(new Uint8Array(16))))
      assert.strictEqual(e._tag, "HttpError")
      if (e._tag === "HttpError") {
        assert.strictEqual(e.code, "Malformed backup blob")
        assert.include(e.message, "Backup blob contains invalid or corrupt version.")
      }
      const t2 = errorCase(405, "")
      const e2 = yield* Effect.flip(t2.run((c) => c.getDeletedSecret("n")))
      assert.strictEqual(e2._tag, "HttpError")
      if (e2._tag === "HttpError") assert.strictEqual(e2.status, 405)
    }))

  it.effect("a body that does not match its schema is MalformedResponse and never leaks the value", () =>
    Effect.gen(function*() {
      const t = errorCase(200, { value: "leaky-value", id: 42 })
      const e = yield* Effect.flip(t.run((c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "MalformedResponse")
      assert.include(e.message, "id")
      assert.notInclude(e.message, "leaky-value")
      const t2 = errorCase(200, "<html>not json</html>")
      assert.strictEqual((yield* Effect.flip(t2.run((c) => c.getSecret("n"))))._tag, "MalformedResponse")
      const t3 = errorCase(200, { value: [{ id: "https://v/keys/x" }] })
      assert.strictEqual((yield* Effect.flip(t3.run((c) => Stream.runDrain(c.listPropertiesOfSecrets()))))._tag, "MalformedResponse")
    }))

  it.effect("InvalidArgument is caught before any request", () =>
    Effect.gen(function*() {
      const t = setup(() => ok(bundle("n")))
      const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"]))
      const failures = yield* t.run((c) =>
        Effect.all([
          Effect.flip(c.setSecret("bad_name", "v")),
          Effect.flip(c.setSecret("", "v")),
          Effect.flip(c.setSecret("a".repeat(128), "v")),
          Effect.flip(c.setSecret("n", "x".repeat(25 * 1024 + 1))),
          Effect.flip(c.setSecret("n", "v", { tags })),
          Effect.flip(c.setSecret("n", "v", { contentType: "c".repeat(256) })),
          Effect.flip(c.setSecret("n", "v", { notBefore: new Date("2030-01-01"), expiresOn: new Date("2029-01-01") })),
          Effect.flip(c.updateSecretProperties("n", { version: "a/b" })),
          Effect.flip(Stream.runDrain(c.listPropertiesOfSecrets({ maxPageSize: 26 }))),
          Effect.flip(c.restoreSecretBackup(new Uint8Array(0)))
        ])
      )
      for (const f of failures) assert.strictEqual(f._tag, "InvalidArgument")
      assert.notInclude(failures[3].message, "xxxx")
      assert.strictEqual(t.requests.length, 0)
    }))
})

describe("operations on the wire", () => {
  it.effect("set sends contentType, enabled, dates (past 2038) and tags; Redacted values are unwrapped", () =>
    Effect.gen(function*() {
      const t = setup(() => ok(bundle("n")))
      yield* t.run((c) =>
        c.setSecret("n", Redacted.make("v"), {
          contentType: "text/plain",
          enabled: false,
          notBefore: new Date("2026-01-01T00:00:00Z"),
          expiresOn: new Date("3000-01-01T00:00:00Z"),
          tags: { env: "test" }
        })
      )
      assert.deepStrictEqual(JSON.parse(t.requests[1].body), {
        value: "v",
        tags: { env: "test" },
        contentType: "text/plain",
        attributes: { enabled: false, nbf: 1767225600, exp: 32503680000 }
      })
    }))

  it.effect("get by version, outContentType, update latest/version, api-version selection", () =>
    Effect.gen(function*() {
      const t = setup(() => ok(bundle("n")))
      yield* t.run((c) =>
        Effect.all([
          c.getSecret("n", { version: "abc" }),
          c.getSecret("n", { outContentType: "application/x-pem-file" }),
          c.updateSecretProperties("n", { contentType: "ct" }),
          c.updateSecretProperties("n", { version: "abc", tags: { a: "b" }, expiresOn: new Date(32503680000000) })
        ])
      )
      const urls = t.requests.slice(1).map((r) => `${r.method} ${r.url.slice(VAULT.length)}`)
      assert.deepStrictEqual(urls, [
        "GET /secrets/n/abc?api-version=2026-04-01",
        "GET /secrets/n/?api-version=2026-04-01&outContentType=application%2Fx-pem-file",
        "PATCH /secrets/n/?api-version=2026-04-01",
        "PATCH /secrets/n/abc?api-version=2026-04-01"
      ])
      assert.deepStrictEqual(JSON.parse(t.requests[3].body), { contentType: "ct", attributes: {} })
      assert.deepStrictEqual(JSON.parse(t.requests[4].body), { attributes: { exp: 32503680000 }, tags: { a: "b" } })

      const old = setup(() => ok(bundle("n")), { apiVersion: "7.3" })
      yield* old.run((c) => c.getSecret("n"))
      assert.strictEqual(old.requests[1].url, `${VAULT}/secrets/n/?api-version=7.3`)
      const e = yield* Effect.flip(old.run((c) => c.getSecret("n", { outContentType: "application/x-pem-file" })))
      assert.strictEqual(e._tag, "InvalidArgument")
    }))

  it.effect("backup returns bytes; restore posts base64url; purge expects 204", () =>
    Effect.gen(function*() {
      const blob = Buffer.from(")AzureKeyVaultSecretBackupV1.microsoft.com\u00ff\u00fe").toString("base64url")
      const t = setup((req) =>
        req.url.includes("/backup") ? ok({ value: blob }) : req.method === "DELETE" ? { status: 204 } : ok(bundle("n", { value: undefined }))
      )
      const [bytes, restored] = yield* t.run((c) =>
        Effect.gen(function*() {
          const bytes = yield* c.backupSecret("n")
          const restored = yield* c.restoreSecretBackup(bytes)
          yield* c.purgeDeletedSecret("n")
          return [bytes, restored] as const
        })
      )
      assert.strictEqual(Buffer.from(bytes).toString("base64url"), blob)
      assert.strictEqual(restored.name, "n")
      const restore = t.requests.find((r) => r.url.includes("/secrets/restore"))!
      assert.deepStrictEqual(JSON.parse(restore.body), { value: blob })
      assert.include(t.requests.at(-1)!.url, "/deletedsecrets/n?api-version=")
    }))

  it.effect("sendRequest: relative URLs resolve against the vault, api-version is added, statuses are returned", () =>
    Effect.gen(function*() {
      const t = setup((req) => req.url.includes("missing") ? { status: 404, body: { error: { code: "SecretNotFound", message: "x" } } } : ok(bundle("n")))
      const [a, b, c2] = yield* t.run((c) =>
        Effect.all([
          c.sendRequest(HttpClientRequest.get("/secrets/n/")),
          c.sendRequest(HttpClientRequest.get(`${VAULT}/secrets/missing?api-version=7.5`)),
          c.sendRequest(HttpClientRequest.get("/secrets/n/").pipe(HttpClientRequest.setUrlParam("api-version", "7.4")))
        ])
      )
      assert.strictEqual(a.status, 200)
      assert.strictEqual(b.status, 404)
      assert.strictEqual(c2.status, 200)
      assert.strictEqual(t.requests[1].url, `${VAULT}/secrets/n/?api-version=2026-04-01`)
      assert.strictEqual(t.requests[2].url, `${VAULT}/secrets/missing?api-version=7.5`)
      assert.strictEqual(t.requests[3].url, `${VAULT}/secrets/n/?api-version=7.4`)
      assert.strictEqual(t.requests[2].headers["authorization"], "Bearer token-1")
    }))
})

describe("paging", () => {
  const item = (name: string, version?: string) => ({ id: `${VAULT}/secrets/${name}${version ? `/${version}` : ""}`, attributes: { enabled: true } })

  it.effect("follows nextLink verbatim through empty pages until it is null", () =>
    Effect.gen(function*() {
      const link = (n: number) => `https://myvault.vault.azure.net:443/secrets?api-version=7.3&$skiptoken=tok${n}&maxresults=2`
      const pagesByToken: Record<string, unknown> = {
        first: { value: [item("a"), item("b")], nextLink: link(1) },
        tok1: { value: [], nextLink: link(2) },
        tok2: { value: [item("c")], nextLink: link(3) },
        tok3: { value: [], nextLink: null }
      }
      const t = setup((req) => {
        const m = /skiptoken=([^&]+)/.exec(req.url)
        return ok(pagesByToken[m ? m[1] : "first"])
      })
      const names = yield* t.run((c) => Stream.runCollect(c.listPropertiesOfSecrets({ maxPageSize: 2 })))
      assert.deepStrictEqual(Chunk.toReadonlyArray(names).map((p) => p.name), ["a", "b", "c"])
      const urls = t.requests.slice(1).map((r) => r.url)
      assert.strictEqual(urls[0], `${VAULT}/secrets?api-version=2026-04-01&maxresults=2`)
      // The nextLink's own api-version is kept; the explicit :443 is normalised by URL.
      assert.strictEqual(urls[1], "https://myvault.vault.azure.net/secrets?api-version=7.3&$skiptoken=tok1&maxresults=2")
      assert.strictEqual(urls.length, 4)
    }))

  it.effect("pages expose continuation tokens, and a token resumes there", () =>
    Effect.gen(function*() {
      const t = setup((req) =>
        req.url.includes("skiptoken=2")
          ? ok({ value: [item("v", "2")], nextLink: null })
          : ok({ value: [item("v", "1")], nextLink: `${VAULT}/secrets/v/versions?$skiptoken=2` })
      )
      const pages = yield* t.run((c) => Stream.runCollect(c.listPropertiesOfSecretVersionsPages("v", { maxPageSize: 1 })))
      const arr = Chunk.toReadonlyArray(pages)
      assert.strictEqual(arr.length, 2)
      assert.strictEqual(arr[0].items[0].version, "1")
      // A nextLink without api-version gets the client's.
      assert.strictEqual(arr[0].continuationToken, `${VAULT}/secrets/v/versions?$skiptoken=2&api-version=2026-04-01`)
      assert.strictEqual(arr[1].continuationToken, undefined)
      const resumed = yield* t.run((c) => Stream.runCollect(c.listPropertiesOfSecretVersions("v", { continuationToken: arr[0].continuationToken })))
      assert.strictEqual(Chunk.size(resumed), 1)
      const fromToken = yield* t.run((c) => Stream.runCollect(c.listPropertiesOfSecretVersionsPages("v", { continuationToken: arr[0].continuationToken })))
      assert.deepStrictEqual(Chunk.toReadonlyArray(fromToken).map((p) => p.items[0].version), ["2"])
    }))

  it.effect("listDeletedSecrets decodes deleted items", () =>
    Effect.gen(function*() {
      const t = setup(() => ok({ value: [{ ...item("gone"), recoveryId: `${VAULT}/deletedsecrets/gone`, deletedDate: 1700000000, scheduledPurgeDate: 1707776000 }], nextLink: null }))
      const all = yield* t.run((c) => Stream.runCollect(c.listDeletedSecrets()))
      const d = Chunk.unsafeHead(all)
      assert.strictEqual(d.name, "gone")
      assert.strictEqual(d.recoveryId, `${VAULT}/deletedsecrets/gone`)
      assert.strictEqual(t.requests[1].url, `${VAULT}/deletedsecrets?api-version=2026-04-01`)
    }))
})

describe("pollers", () => {
  it.effect("deleteSecret polls every 2 s: 404 keeps polling, 200 completes", () =>
    Effect.gen(function*() {
      let polls = 0
      const t = setup((req) => {
        if (req.method === "DELETE") return ok(deletedBundle("n"))
        polls++
        return polls < 3 ? { status: 404, body: { error: { code: "SecretNotFound", message: "Deleted Secret not found: n" } } } : ok(deletedBundle("n", { deletedDate: 1700000001 }))
      })
      const fiber = yield* Effect.fork(t.run((c) => c.deleteSecret("n")))
      yield* TestClock.adjust("1999 millis")
      assert.strictEqual(polls, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(polls, 2)
      yield* TestClock.adjust("2 seconds")
      const d = yield* Fiber.join(fiber)
      assert.strictEqual(polls, 3)
      assert.strictEqual(d.recoveryId, `${VAULT}/deletedsecrets/n`)
    }))

  it.effect("403 while polling counts as done; no recoveryId means done at once", () =>
    Effect.gen(function*() {
      const t = setup((req) => req.method === "DELETE" ? ok(deletedBundle("n")) : { status: 403, body: { error: { code: "Forbidden", message: "no get" } } })
      const d = yield* t.run((c) => c.deleteSecret("n"))
      assert.strictEqual(d.name, "n")
      const t2 = setup(() => ok(deletedBundle("n", { recoveryId: undefined })))
      const p = yield* t2.run((c) => c.beginDeleteSecret("n"))
      assert.isTrue(yield* p.poll)
      assert.strictEqual(t2.requests.length, 2)
    }))

  it.effect("other errors while polling fail the poller", () =>
    Effect.gen(function*() {
      const t = setup((req) => req.method === "DELETE" ? ok(deletedBundle("n")) : { status: 500, body: { error: { code: "Boom", message: "bad" } } })
      const fiber = yield* Effect.fork(Effect.flip(t.run((c) => Effect.provide(c.deleteSecret("n"), RetryPolicy.layer(RetryPolicy.none)))))
      yield* TestClock.adjust("5 minutes")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e._tag, "HttpError")
    }))

  it.effect("begin returns at once; the state serialises without the value and resumes", () =>
    Effect.gen(function*() {
      let polls = 0
      const t = setup((req) => {
        if (req.method === "DELETE") return ok({ ...deletedBundle("n"), value: "must-not-be-serialised" })
        polls++
        return polls < 2 ? { status: 404, body: {} } : ok(deletedBundle("n"))
      })
      yield* t.run((c) =>
        Effect.gen(function*() {
          const p = yield* c.beginDeleteSecret("n")
          assert.strictEqual(p.result.name, "n")
          assert.strictEqual(polls, 0)
          assert.isFalse(yield* p.poll)
          const saved = yield* p.serialize
          assert.notInclude(saved, "must-not-be-serialised")
          const resumed = yield* c.beginDeleteSecret("n", { resumeFrom: saved })
          assert.strictEqual(t.requests.filter((r) => r.method === "DELETE").length, 2) // probe + real, not repeated
          const done = yield* resumed.pollUntilDone
          assert.strictEqual(done.name, "n")
          const e = yield* Effect.flip(c.beginDeleteSecret("other", { resumeFrom: saved }))
          assert.strictEqual(e._tag, "InvalidArgument")
          const e2 = yield* Effect.flip(c.beginRecoverDeletedSecret("n", { resumeFrom: "garbage" }))
          assert.strictEqual(e2._tag, "InvalidArgument")
        })
      )
    }))

  it.effect("PollingTimeout when the polling schedule ends first", () =>
    Effect.gen(function*() {
      const t = setup((req) => req.method === "DELETE" ? ok(deletedBundle("n")) : { status: 404, body: {} })
      const fiber = yield* Effect.fork(Effect.flip(
        t.run((c) => c.deleteSecret("n")).pipe(Effect.provide(PollingPolicy.layer(PollingPolicy.make({ interval: "1 second", maxWait: "3 seconds" }))))
      ))
      yield* TestClock.adjust("10 seconds")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e._tag, "PollingTimeout")
    }))

  it.effect("recover: POST recover, then poll GET /secrets/{name}/ until 200", () =>
    Effect.gen(function*() {
      let gets = 0
      const t = setup((req) => {
        if (req.method === "POST") return ok(bundle("n", { value: undefined }))
        gets++
        return gets <= 2 ? { status: 404, body: { error: { code: "SecretNotFound", message: "nope" } } } : ok(bundle("n"))
      })
      const fiber = yield* Effect.fork(t.run((c) => c.recoverDeletedSecret("n")))
      yield* TestClock.adjust("10 seconds")
      const props = yield* Fiber.join(fiber)
      assert.strictEqual(props.name, "n")
      const paths = t.requests.slice(1).map((r) => `${r.method} ${new URL(r.url).pathname}`)
      assert.deepStrictEqual(paths, ["GET /secrets/n/", "POST /deletedsecrets/n/recover", "GET /secrets/n/", "GET /secrets/n/"])
    }))
})

describe("observability", () => {
  it.effect("the operation span is the parent of what runs inside it, ends with its exit, and the caller's span is back after", () =>
    Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const seen: Array<string> = []
      const t = setup((req) => req.url.includes("/missing") ? { status: 404, body: { error: { code: "SecretNotFound", message: "no" } } } : ok(bundle("n")))
      yield* t.run((c) =>
        Effect.gen(function*() {
          // A hook runs inside the operation: its span must be a child of SecretClient.getSecret.
          yield* c.getSecret("n").pipe(
            SecretClient.withRequestOptions({
              onResponse: () => Effect.void.pipe(Effect.withSpan("hook"))
            })
          )
          yield* Effect.flip(c.getSecret("missing"))
          // After the operation the caller's span is the parent again.
          const after = yield* Effect.currentSpan
          seen.push(after.name)
        }).pipe(Effect.withSpan("caller"))
      ).pipe(Effect.withTracer(tracer))
      const byName = (n: string) => spans.filter((s) => s.name === n)
      const caller = byName("caller")[0]!
      const [ok1, failed] = byName("SecretClient.getSecret")
      const hook = byName("hook")[0]!
      assert.strictEqual(seen[0], "caller")
      assert.strictEqual(ok1!.parent._tag === "Some" && ok1!.parent.value.spanId, caller.spanId)
      assert.strictEqual(failed!.parent._tag === "Some" && failed!.parent.value.spanId, caller.spanId)
      assert.strictEqual(hook.parent._tag === "Some" && hook.parent.value.spanId, ok1!.spanId)
      // Same trace, and each span ended with its exit.
      assert.strictEqual(ok1!.traceId, caller.traceId)
      assert.strictEqual(ok1!.status._tag, "Ended")
      assert.isTrue(ok1!.status._tag === "Ended" && ok1!.status.exit._tag === "Success")
      assert.isTrue(failed!.status._tag === "Ended" && failed!.status.exit._tag === "Failure")
    }))

  it.effect("one span per operation with vault/name attributes and never the value; logs carry no secrets", () =>
    Effect.gen(function*() {
      const { spans, tracer } = yield* recordingTracer
      const logs: Array<string> = []
      const logger = Logger.make(({ message, annotations }) => {
        logs.push(JSON.stringify([message, [...annotations]]))
      })
      const t = setup(() => ok(bundle("n")))
      yield* t.run((c) => Effect.zipRight(c.setSecret("n", "span-secret"), c.getSecret("n"))).pipe(
        Effect.withTracer(tracer),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
      const names = spans.map((s) => s.name)
      assert.include(names, "SecretClient.setSecret")
      assert.include(names, "SecretClient.getSecret")
      const set = spans.find((s) => s.name === "SecretClient.setSecret")!
      assert.strictEqual(set.attributes.get("keyvault.secret.name"), "n")
      assert.strictEqual(set.attributes.get("keyvault.vault"), "myvault.vault.azure.net")
      const http = spans.filter((s) => s.name.startsWith("http.client"))
      assert.isAbove(http.length, 0)
      const authorized = http.filter((s) => s.attributes.has("http.request.header.authorization"))
      assert.isAbove(authorized.length, 0)
      for (const s of authorized) assert.strictEqual(s.attributes.get("http.request.header.authorization"), "<redacted>")
      assert.isTrue(http.every((s) => s.attributes.has("http.request.header.x-ms-client-request-id")))
      for (const s of spans) {
        const dump = JSON.stringify([...s.attributes].map(([k, v]) => [k, String(v)]))
        assert.notInclude(dump, "span-secret")
        assert.notInclude(dump, "token-1")
      }
      assert.isAbove(logs.length, 0)
      for (const l of logs) {
        assert.notInclude(l, "span-secret")
        assert.notInclude(l, "token-1")
      }
    }))
})

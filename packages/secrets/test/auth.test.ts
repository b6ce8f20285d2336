/**
 * Client authentication and transport safety (issue 8, items 1-6): AD FS challenges, strict challenge
 * resource verification, writes whose token-less probe is not challenged, Retry-After bounds, endless
 * paging, vault URLs with a path. Real sockets on 127.0.0.1; TestClock where time matters.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Option, Redacted, Stream, TestClock, TestServices } from "effect"
import * as Challenge from "../src/internal/challenge.js"
import { Credential, RetryPolicy, SecretClient, SecretError } from "../src/index.js"
import { bundle, type Handler, type Scripted, scriptedServer, withChallenge } from "./utils.js"

const VERSION = "0123456789abcdef0123456789abcdef"
const idAt = (url: string, name: string) => `${url}/secrets/${name}/${VERSION}`

/** A credential that records every token request and mints a distinct token each time. */
const recordingCredential = () => {
  const calls: Array<{ readonly scopes: ReadonlyArray<string>; readonly options: Credential.GetTokenOptions }> = []
  const layer = Layer.succeed(Credential.Credential, {
    getToken: (scopes, options) =>
      Effect.sync(() => {
        calls.push({ scopes, options })
        return { token: Redacted.make(`token-${calls.length}`), expiresOnTimestamp: Date.now() + 3_600_000 }
      })
  })
  return { calls, layer }
}

const clientOver = (
  url: string,
  credential: Layer.Layer<Credential.Credential>,
  options: Partial<SecretClient.SecretClientOptions> = {}
) =>
  SecretClient.layer({ vaultUrl: url, allowInsecureLoopback: true, ...options }).pipe(
    Layer.provide(credential),
    Layer.provide(FetchHttpClient.layer)
  )

const withClient = <A, E, LE>(
  layer: Layer.Layer<SecretClient.SecretClient, LE>,
  f: (c: SecretClient.Service) => Effect.Effect<A, E>
) => Effect.flatMap(SecretClient.SecretClient, f).pipe(Effect.provide(layer))

/** A socket server whose handler knows its own URL. */
const serve = (handler: (url: string) => Handler) =>
  Effect.gen(function*() {
    let base = ""
    const server = yield* scriptedServer((req, i) => handler(base)(req, i))
    base = server.url
    return server
  })

const challengeFor = (resource: string, authority = "https://login.microsoftonline.com/tenant-9") =>
  `Bearer authorization="${authority}", resource="${resource}"`

const portOf = (url: string) => Number(new URL(url).port)

/** Poll a condition on the live clock (usable under the TestClock). */
const waitUntil = (condition: () => boolean) =>
  TestServices.provideLive(
    Effect.sleep("5 millis").pipe(
      Effect.repeat({ until: condition }),
      Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("condition not reached in 10 s") })
    )
  )

describe("1. AD FS challenges", () => {
  const cases: ReadonlyArray<readonly [string, string | undefined]> = [
    ["https://adfs.contoso.com/adfs", undefined],
    ["https://authority.example/ADFS", undefined],
    ["https://login.microsoftonline.com/tenant-9", "tenant-9"]
  ]
  for (const [authority, tenant] of cases) {
    it.scoped(`authority ${authority} → getToken with tenantId ${String(tenant)}`, () =>
      Effect.gen(function*() {
        const server = yield* serve((url) =>
          withChallenge(() => ({ status: 200, body: bundle("n", { id: idAt(url, "n") }) }), challengeFor(url, authority))
        )
        const cred = recordingCredential()
        const s = yield* withClient(clientOver(server.url, cred.layer), (c) => c.getSecret("n"))
        assert.strictEqual(s.name, "n")
        assert.strictEqual(cred.calls.length, 1)
        assert.deepStrictEqual(cred.calls[0].scopes, [`${server.url}/.default`])
        assert.strictEqual(cred.calls[0].options.tenantId, tenant)
        assert.isFalse("tenantId" in cred.calls[0].options && cred.calls[0].options.tenantId === "adfs")
      }))
  }
})

describe("2. challenge resource verification", () => {
  it("matches the references on their own vectors (Python test_challenge_auth, JS keyVaultAuthenticationPolicy)", () => {
    const domains = ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "managedhsm.azure.net", "vault.stack.example"]
    const accepted: ReadonlyArray<readonly [string, string]> = [["", ""], [":443", ""], ["", ":443"], [":443", ":443"], [":8443", ":8443"]]
    for (const domain of domains) {
      for (const [requestPort, resourcePort] of accepted) {
        const vault = new URL(`https://myvault.${domain}${requestPort}`)
        for (const scope of [`https://${domain.toUpperCase()}${resourcePort}`, `https://${domain}${resourcePort}/.default`]) {
          assert.strictEqual(Challenge.verifyResource(vault, scope), "ok", `${vault.href} ${scope}`)
        }
      }
    }
    const v = (port = "") => new URL(`https://myvault.vault.azure.net${port}`)
    const refused: ReadonlyArray<readonly [URL, string, "mismatch" | "invalid"]> = [
      [v(), "https://other.example", "mismatch"],
      [v(), "invalid", "invalid"],
      [v(), "https://[invalid", "invalid"],
      [v(), "https://vault.azure.net:8443", "mismatch"],
      [v(":8443"), "https://vault.azure.net", "mismatch"],
      [v(":8443"), "https://vault.azure.net:443", "mismatch"],
      [v(":443"), "https://vault.azure.net:8443", "mismatch"],
      // the vault host itself is not a parent domain
      [v(), "https://myvault.vault.azure.net", "mismatch"],
      [v(), "https://MYVAULT.vault.azure.net/.default", "mismatch"],
      // userinfo, %, @ in the authority; whitespace and backslashes anywhere
      [v(), "https://x@vault.azure.net", "invalid"],
      [v(), "https://vault.azure.net@evil.example", "invalid"],
      [v(), "https://vault%2eazure.net", "invalid"],
      [v(), "https://vault.azure.net\\@evil.example", "invalid"],
      [v(), "https://vault.azure.net /.default", "invalid"],
      // at least two labels, no IP literals
      [v(), "https://net", "mismatch"],
      [v(), "https://1.2.3.4", "mismatch"],
      [v(), "https://notvault.azure.net", "mismatch"]
    ]
    for (const [vault, scope, verdict] of refused) {
      assert.strictEqual(Challenge.verifyResource(vault, scope), verdict, `${vault.href} ${scope}`)
    }
    // Python keeps these resource spellings (test_cached_resource_syntax_is_preserved).
    for (const scope of ["http://vault.azure.net", "http://vault.azure.net:443", "spn://vault.azure.net"]) {
      assert.strictEqual(Challenge.verifyResource(v(), scope), "ok", scope)
    }
  })

  it("a loopback vault may name itself, on its own port only", () => {
    const vault = new URL("http://127.0.0.1:8080")
    assert.strictEqual(Challenge.verifyResource(vault, "http://127.0.0.1:8080"), "ok")
    assert.strictEqual(Challenge.verifyResource(vault, "https://127.0.0.1"), "ok")
    assert.strictEqual(Challenge.verifyResource(vault, "http://127.0.0.1:8081"), "mismatch")
    assert.strictEqual(Challenge.verifyResource(vault, "http://localhost:8080"), "mismatch")
    assert.strictEqual(Challenge.verifyResource(vault, "http://x@127.0.0.1:8080"), "invalid")
    // the exemption is for loopback hosts only
    assert.strictEqual(Challenge.verifyResource(new URL("https://10.0.0.1"), "https://10.0.0.1"), "mismatch")
  })

  const refusals: ReadonlyArray<readonly [string, (url: string) => string, SecretError.ChallengeError["reason"]]> = [
    ["another port on the loopback host", (url) => `http://127.0.0.1:${portOf(url) + 1}`, "ResourceMismatch"],
    ["another loopback name", (url) => `http://localhost:${portOf(url)}`, "ResourceMismatch"],
    ["userinfo", (url) => `http://x@127.0.0.1:${portOf(url)}`, "InvalidChallenge"],
    ["a single-label parent", () => "https://net", "ResourceMismatch"],
    ["the public cloud resource", () => "https://vault.azure.net", "ResourceMismatch"]
  ]
  for (const [label, resource, reason] of refusals) {
    it.scoped(`over HTTP: ${label} is refused before any token is requested`, () =>
      Effect.gen(function*() {
        const server = yield* serve((url) => withChallenge(() => ({ status: 200, body: bundle("n", { id: idAt(url, "n") }) }), challengeFor(resource(url))))
        const cred = recordingCredential()
        const e = yield* Effect.flip(withClient(clientOver(server.url, cred.layer), (c) => c.setSecret("n", "never-sent")))
        assert.strictEqual(e._tag, "ChallengeError")
        if (e._tag === "ChallengeError") assert.strictEqual(e.reason, reason)
        assert.strictEqual(cred.calls.length, 0)
        assert.strictEqual(server.requests.length, 1)
        assert.isUndefined(server.requests[0].headers["authorization"])
        assert.strictEqual(server.requests[0].body, "")
      }))
  }
})

describe("3. a write whose token-less probe is not challenged", () => {
  // A server that answers everything, authenticated or not, with 200 and a plausible body.
  const openServer = serve((url) => (req): Scripted => ({ status: 200, body: bundle("n", { id: idAt(url, "n"), value: req.body === "" ? "probe" : "x" }) }))
  const writes: ReadonlyArray<readonly [string, (c: SecretClient.Service) => Effect.Effect<unknown, unknown>]> = [
    ["setSecret", (c) => c.setSecret("n", "never-sent")],
    ["updateSecretProperties", (c) => c.updateSecretProperties("n", { tags: { a: "b" } })],
    ["restoreSecretBackup", (c) => c.restoreSecretBackup(new Uint8Array([1, 2, 3]))],
    [
      "sendRequest with a body",
      (c) => c.sendRequest(HttpClientRequest.put("/secrets/n").pipe(HttpClientRequest.bodyText("{\"value\":\"never-sent\"}", "application/json")))
    ]
  ]
  for (const [label, op] of writes) {
    it.scoped(`${label}: a 200 to the probe fails with ChallengeError NoChallenge; the body is never sent`, () =>
      Effect.gen(function*() {
        const server = yield* openServer
        const cred = recordingCredential()
        const e = yield* Effect.flip(withClient(clientOver(server.url, cred.layer), op))
        assert.strictEqual((e as SecretError.ChallengeError)._tag, "ChallengeError")
        assert.strictEqual((e as SecretError.ChallengeError).reason, "NoChallenge")
        assert.include((e as SecretError.ChallengeError).message, "instead of a 401 challenge")
        assert.strictEqual(server.requests.length, 1)
        assert.strictEqual(server.requests[0].body, "")
        assert.isUndefined(server.requests[0].headers["authorization"])
        assert.strictEqual(cred.calls.length, 0)
      }))
  }

  it.scoped("a read answered without a challenge is still the answer (nothing was withheld)", () =>
    Effect.gen(function*() {
      const server = yield* openServer
      const s = yield* withClient(clientOver(server.url, recordingCredential().layer), (c) => c.getSecret("n"))
      assert.strictEqual(Redacted.value(s.value), "probe")
      assert.strictEqual(server.requests.length, 1)
    }))

  it.scoped("an error status to the probe of a write stays that typed error", () =>
    Effect.gen(function*() {
      const server = yield* serve(() => () => ({ status: 403, body: { error: { code: "Forbidden", message: "no" } } }))
      const e = yield* Effect.flip(withClient(clientOver(server.url, recordingCredential().layer), (c) => c.setSecret("n", "v")))
      assert.strictEqual(e._tag, "Forbidden")
      assert.strictEqual(server.requests[0].body, "")
    }))
})

describe("4. Retry-After bounds", () => {
  const throttling = (headers: Record<string, string>, status = 429) =>
    serve((url) =>
      withChallenge(
        () => ({ status, headers, body: { error: { code: status === 429 ? "Throttled" : "ServiceUnavailable", message: "slow down" } } }),
        challengeFor(url)
      )
    )

  /**
   * Run `op` under the TestClock: it must settle without the clock moving (no Retry-After sleep was honoured);
   * a sleep would block it until the (live) 10 s guard fails the test.
   */
  const settlesWithoutWaiting = <A, E>(op: Effect.Effect<A, E>) =>
    Effect.flatMap(Effect.fork(op), (fiber) => TestServices.provideLive(Fiber.await(fiber).pipe(Effect.timeout("10 seconds"))))

  const beyondCap: ReadonlyArray<readonly [string, () => Record<string, string>, number]> = [
    ["Retry-After: 3600", () => ({ "retry-after": "3600" }), 3_600_000],
    ["an HTTP date an hour ahead", () => ({ "retry-after": new Date(Date.now() + 3_600_000).toUTCString() }), 3_600_000],
    ["retry-after-ms: 2e9", () => ({ "retry-after-ms": "2e9" }), 2e9]
  ]
  for (const [label, headers, expectedMs] of beyondCap) {
    it.scoped(`${label}: not waited for; Throttled with retryAfterMs at once`, () =>
      Effect.gen(function*() {
        // HTTP dates are read against the Clock: start the TestClock at the wall-clock time.
        yield* TestClock.setTime(Date.now())
        const server = yield* throttling(headers())
        const exit = yield* settlesWithoutWaiting(withClient(clientOver(server.url, recordingCredential().layer), (c) => c.getSecret("n")))
        assert.isTrue(Exit.isFailure(exit), "the call settled without the clock moving")
        if (Exit.isFailure(exit)) {
          const e = Option.getOrThrow(Cause.failureOption(exit.cause))
          assert.strictEqual(e._tag, "Throttled")
          if (e._tag === "Throttled") {
            // the HTTP date has one-second resolution
            assert.approximately(e.retryAfterMs ?? 0, expectedMs, 2_000)
          }
        }
        assert.strictEqual(server.requests.length, 2) // the probe and one authenticated attempt
      }))
  }

  it.scoped("a 503 whose Retry-After is beyond the cap: HttpError with retryAfterMs at once (and without: none)", () =>
    Effect.gen(function*() {
      const server = yield* throttling({ "retry-after": "3600" }, 503)
      const exit = yield* settlesWithoutWaiting(withClient(clientOver(server.url, recordingCredential().layer), (c) => c.getSecret("n")))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const e = Option.getOrThrow(Cause.failureOption(exit.cause))
        assert.strictEqual(e._tag, "HttpError")
        if (e._tag === "HttpError") {
          assert.strictEqual(e.status, 503)
          assert.strictEqual(e.retryAfterMs, 3_600_000)
          assert.include(e.message, "Retry-After")
        }
      }
      assert.strictEqual(server.requests.length, 2)
      const plain = yield* throttling({}, 400)
      const e400 = yield* Effect.flip(withClient(clientOver(plain.url, recordingCredential().layer), (c) => c.getSecret("n")))
      assert.strictEqual(e400._tag, "HttpError")
      if (e400._tag === "HttpError") assert.isUndefined(e400.retryAfterMs)
    }))

  it.scoped("a wait under the cap is honoured (TestClock), a configured lower cap fails at once", () =>
    Effect.gen(function*() {
      let throttledOnce = false
      const server = yield* serve((url) =>
        withChallenge(() => {
          if (!throttledOnce) {
            throttledOnce = true
            return { status: 429, headers: { "retry-after": "30" }, body: { error: { code: "Throttled", message: "wait" } } }
          }
          return { status: 200, body: bundle("n", { id: idAt(url, "n") }) }
        }, challengeFor(url))
      )
      const fiber = yield* Effect.fork(withClient(clientOver(server.url, recordingCredential().layer), (c) => c.getSecret("n")))
      // Wait (live) until the 429 went out, then check the call is sleeping rather than done.
      yield* waitUntil(() => server.requests.length >= 2)
      yield* TestServices.provideLive(Effect.sleep("100 millis"))
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "still waiting for Retry-After")
      yield* TestClock.adjust("30 seconds")
      const s = yield* TestServices.provideLive(Fiber.join(fiber).pipe(Effect.timeout("10 seconds")))
      assert.strictEqual(s.name, "n")
      assert.strictEqual(server.requests.length, 3)

      // The same 30 s beyond a 10 s cap: Throttled at once.
      const capped = yield* throttling({ "retry-after": "30" })
      const exit = yield* settlesWithoutWaiting(
        withClient(clientOver(capped.url, recordingCredential().layer), (c) => c.getSecret("n")).pipe(
          Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.make({ maxRetryAfter: "10 seconds" }))
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(capped.requests.length, 2)
    }))

  for (const value of ["-5", "soon", "NaN", "Infinity", "1e400", "-1"]) {
    it.scoped(`Retry-After: ${value} counts as absent (429 not retried, no retryAfterMs)`, () =>
      Effect.gen(function*() {
        const server = yield* throttling({ "retry-after": value })
        const exit = yield* settlesWithoutWaiting(withClient(clientOver(server.url, recordingCredential().layer), (c) => c.getSecret("n")))
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          const e = Option.getOrThrow(Cause.failureOption(exit.cause))
          assert.strictEqual(e._tag, "Throttled")
          if (e._tag === "Throttled") assert.isUndefined(e.retryAfterMs)
        }
        assert.strictEqual(server.requests.length, 2)
      }))
  }

  it("parseRetryAfter: negative and non-date values are absent, HTTP dates in all three formats parse", () => {
    const now = Date.parse("Sun, 06 Nov 1994 08:49:00 GMT")
    const ms = (h: Record<string, string>) => {
      const d = RetryPolicy.parseRetryAfter(h, now)
      return d === undefined ? undefined : Duration.toMillis(d)
    }
    assert.isUndefined(ms({ "retry-after": "-5" }))
    assert.strictEqual(ms({ "retry-after": "2026" }), 2_026_000)
    assert.isUndefined(ms({ "retry-after-ms": "-1" }))
    assert.strictEqual(ms({ "retry-after": "Sun, 06 Nov 1994 08:49:37 GMT" }), 37_000)
    assert.strictEqual(ms({ "retry-after": "Sunday, 06-Nov-94 08:49:37 GMT" }), 37_000)
    assert.strictEqual(ms({ "retry-after": "Sun Nov  6 08:49:37 1994" }) !== undefined, true)
    assert.strictEqual(ms({ "retry-after": "Sun, 06 Nov 1994 08:48:00 GMT" }), 0)
  })

  it.scoped("a 503 asking for more than the cap is not waited for either", () =>
    Effect.gen(function*() {
      const server = yield* throttling({ "retry-after": "3600" }, 503)
      const exit = yield* settlesWithoutWaiting(withClient(clientOver(server.url, recordingCredential().layer), (c) => c.getSecret("n")))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(server.requests.length, 2)
    }))
})

describe("5. endless paging", () => {
  const pagingServer = (page: (i: number) => { readonly items: number; readonly next: boolean }) =>
    serve((url) =>
      withChallenge((req) => {
        const i = Number(new URL(req.url).searchParams.get("$skiptoken") ?? "0")
        const p = page(i)
        return {
          status: 200,
          body: {
            value: Array.from({ length: p.items }, (_, k) => ({ id: `${url}/secrets/s${i}-${k}`, attributes: { enabled: true } })),
            ...(p.next ? { nextLink: `${url}/secrets?api-version=2026-04-01&$skiptoken=${i + 1}` } : {})
          }
        }
      }, challengeFor(url))
    )

  it.scoped("fresh empty pages forever end with MalformedResponse after the default bound", () =>
    Effect.gen(function*() {
      const server = yield* pagingServer(() => ({ items: 0, next: true }))
      const e = yield* Effect.flip(withClient(clientOver(server.url, recordingCredential().layer), (c) => Stream.runCount(c.listPropertiesOfSecrets())).pipe(
        Effect.timeout("20 seconds")
      ))
      assert.strictEqual(e._tag, "MalformedResponse")
      assert.include(e.message, "empty pages in a row")
      // probe + (default + 1) pages
      assert.strictEqual(server.requests.length, 1 + SecretClient.defaultMaxConsecutiveEmptyPages + 1)
    }))

  it.scoped("the bound is per listing call and counts only consecutive empty pages", () =>
    Effect.gen(function*() {
      // Runs of two empty pages between pages with items; ends after page 12.
      const server = yield* pagingServer((i) => ({ items: i % 3 === 2 ? 1 : 0, next: i < 12 }))
      const layer = clientOver(server.url, recordingCredential().layer)
      const n = yield* withClient(layer, (c) => Stream.runCount(c.listPropertiesOfSecrets({ maxConsecutiveEmptyPages: 2 })))
      assert.strictEqual(n, 4)
      const tight = yield* Effect.flip(withClient(layer, (c) => Stream.runCount(c.listDeletedSecrets({ maxConsecutiveEmptyPages: 1 }))))
      assert.strictEqual(tight._tag, "MalformedResponse")
      const bad = yield* Effect.flip(withClient(layer, (c) => Stream.runCount(c.listPropertiesOfSecrets({ maxConsecutiveEmptyPages: 0 }))))
      assert.strictEqual(bad._tag, "InvalidArgument")
      const unbounded = yield* withClient(layer, (c) => Stream.runCount(c.listPropertiesOfSecrets({ maxConsecutiveEmptyPages: Infinity })))
      assert.strictEqual(unbounded, 4)
    }))
})

describe("6. vault URLs with a path (path-based gateways)", () => {
  it.scoped("every request, nextLink and continuation stays under the path; the client reports it", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) =>
        withChallenge((req) => {
          const u = new URL(req.url)
          if (!u.pathname.startsWith("/kv/secrets")) return { status: 404, body: { error: { code: "NotFound", message: u.pathname } } }
          if (u.pathname === "/kv/secrets") {
            const second = u.searchParams.get("$skiptoken") === "2"
            return {
              status: 200,
              body: {
                value: [{ id: `https://real.vault.azure.net/secrets/${second ? "b" : "a"}`, attributes: {} }],
                ...(second ? {} : { nextLink: `${url}/kv/secrets?api-version=2026-04-01&$skiptoken=2` })
              }
            }
          }
          return { status: 200, body: bundle("n", { id: `https://real.vault.azure.net/secrets/n/${VERSION}` }) }
        }, challengeFor(url))
      )
      const layer = clientOver(`${server.url}/kv/`, recordingCredential().layer)
      const names = yield* withClient(layer, (c) =>
        Effect.gen(function*() {
          assert.strictEqual(c.vaultUrl, `${server.url}/kv`)
          yield* c.setSecret("n", "v")
          yield* c.getSecret("n")
          const raw = yield* c.sendRequest(HttpClientRequest.get("/secrets/n"))
          assert.strictEqual(raw.status, 200)
          return yield* c.listPropertiesOfSecrets().pipe(Stream.map((p) => p.name), Stream.runCollect)
        }))
      assert.deepStrictEqual([...names], ["a", "b"])
      for (const r of server.requests) assert.isTrue(new URL(r.url).pathname.startsWith("/kv/secrets"), r.url)
    }))

  it.scoped("FetchHttpClient never follows a redirect, not even to the same origin outside the path", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) =>
        withChallenge((req) =>
          new URL(req.url).pathname.startsWith("/other")
            ? { status: 200, body: bundle("n", { id: `https://real.vault.azure.net/secrets/n/${VERSION}` }) }
            : { status: 302, headers: { location: `${url}/other/secrets/n` } }, challengeFor(url))
      )
      const e = yield* Effect.flip(withClient(clientOver(`${server.url}/kv`, recordingCredential().layer), (c) => c.getSecret("n")))
      assert.strictEqual(e._tag, "HttpError")
      for (const r of server.requests) assert.isTrue(new URL(r.url).pathname.startsWith("/kv/"), r.url)
    }))

  it.scoped("a URL under the path's prefix that could end up outside it is refused: dot segments (a URL parser resolves them), encoded slashes and backslashes (a gateway may decode them before routing)", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) => withChallenge(() => ({ status: 200, body: { value: [] } }), challengeFor(url)))
      const layer = clientOver(`${server.url}/kv`, recordingCredential().layer)
      const escapes = [
        `${server.url}/kv/../other/secrets?api-version=2026-04-01`,
        `${server.url}/kv/%2e%2e/other/secrets?api-version=2026-04-01`,
        `${server.url}/kv/.%2E/other/secrets?api-version=2026-04-01`,
        `${server.url}/kv/secrets/%2E%2e/%2e%2e/other?api-version=2026-04-01`,
        `${server.url}/kv/secrets%2F..%2F..%2Fadmin?api-version=2026-04-01`,
        `${server.url}/kv/secrets%2f..%2f..%2fadmin?api-version=2026-04-01`,
        `${server.url}/kv/secrets%5C..%5C..%5Cadmin?api-version=2026-04-01`
      ]
      for (const link of escapes) {
        const e = yield* Effect.flip(withClient(layer, (c) =>
          Stream.runDrain(c.listPropertiesOfSecrets({ continuationToken: link }))))
        assert.strictEqual(e._tag, "ChallengeError", link)
        if (e._tag === "ChallengeError") assert.strictEqual(e.reason, "ForeignHost", link)
        const sent = yield* Effect.flip(withClient(layer, (c) => c.sendRequest(HttpClientRequest.get(link))))
        assert.strictEqual(sent._tag, "ChallengeError", link)
      }
      for (const r of server.requests) {
        assert.isTrue(new URL(r.url).pathname.startsWith("/kv/"), r.url)
        assert.notMatch(r.url, /%2f|%5c/i)
      }
    }))

  it.scoped("a nextLink or continuation token outside the vault's path is refused (ForeignHost)", () =>
    Effect.gen(function*() {
      const server = yield* serve((url) =>
        withChallenge(() => ({
          status: 200,
          body: { value: [], nextLink: `${url}/other/secrets?api-version=2026-04-01&$skiptoken=2` }
        }), challengeFor(url))
      )
      const layer = clientOver(`${server.url}/kv`, recordingCredential().layer)
      const e = yield* Effect.flip(withClient(layer, (c) => Stream.runDrain(c.listPropertiesOfSecrets())))
      assert.strictEqual(e._tag, "ChallengeError")
      if (e._tag === "ChallengeError") assert.strictEqual(e.reason, "ForeignHost")
      const e2 = yield* Effect.flip(withClient(layer, (c) =>
        Stream.runDrain(c.listPropertiesOfSecrets({ continuationToken: `${server.url}/kvx/secrets?$skiptoken=1` }))))
      assert.strictEqual(e2._tag, "ChallengeError")
      for (const r of server.requests) assert.isTrue(new URL(r.url).pathname.startsWith("/kv/"), r.url)
    }))
})

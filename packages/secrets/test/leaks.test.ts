/**
 * Secret values and tokens never leak into errors, causes, logs or span exits (issue 8, items 7 and 8).
 */
import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Cause, Config, ConfigProvider, Effect, Exit, Fiber, Layer, Logger, LogLevel, Redacted, Runtime } from "effect"
import * as util from "node:util"
import { TestVault } from "../../emulator/src/index.js"
import { Credential, RetryPolicy, SecretClient, SecretConfigProvider } from "../src/index.js"
import { capturingLogger, inspectingTracer, leaksIn, surfaces } from "./inspecting.js"
import { bundle, scriptedServer, withChallenge } from "./utils.js"

const MARKER = "Mk7-leak-marker-value"

const assertNoMarker = (checks: ReadonlyArray<readonly [string, string]>, marker = MARKER) => {
  // A prefix counts too: some messages quote a truncated value (Node's JSON.parse errors do).
  const leaks = checks.filter(([, text]) => text.includes(marker.slice(0, 8))).map(([where]) => where)
  assert.deepStrictEqual(leaks, [])
}

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(util.inspect(options.message, { depth: Infinity }))
    lines.push(Cause.pretty(options.cause, { renderErrorCause: true }))
  })
  return { lines, layer: Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All)) }
}

describe("SecretConfigProvider: values stay out of ConfigError", () => {
  const vault = TestVault.layer({
    seed: [
      { name: "app-port", value: MARKER },
      { name: "app-list", value: `1, ${MARKER}` },
      { name: "app-json", value: MARKER }
    ]
  })

  const cases: ReadonlyArray<[string, Config.Config<unknown>]> = [
    ["Config.number", Config.number("PORT")],
    ["Config.integer", Config.integer("PORT")],
    ["Config.boolean", Config.boolean("PORT")],
    ["Config.duration", Config.duration("PORT")],
    ["Config.literal", Config.literal("a", "b")("PORT")],
    ["Config.array(Config.number)", Config.array(Config.number(), "LIST")],
    ["Config.mapAttempt(JSON.parse)", Config.mapAttempt(Config.string("JSON"), (s) => JSON.parse(s) as unknown)]
  ]

  for (const [label, config] of cases) {
    for (const fallback of [null, "env"] as const) {
      it.effect(`${label} over a vault value (fallback ${fallback ?? "none"})`, () =>
        Effect.gen(function*() {
          const logs = captureLogs()
          const provider = SecretConfigProvider.layer({
            prefix: "app-",
            fallback: fallback === null ? null : ConfigProvider.fromMap(new Map())
          })
          const exit = yield* Effect.exit(config).pipe(Effect.provide(provider))
          assert.isTrue(Exit.isFailure(exit))
          if (Exit.isSuccess(exit)) return
          const error = Cause.squash(exit.cause)
          assert.include(String(error), "<redacted>")
          // Effect's own report of a fiber that dies with this error, at LogLevel.All.
          const runtime = yield* Effect.runtime<never>().pipe(Effect.provide(logs.layer))
          const fiber = Runtime.runFork(runtime)(Effect.flatMap(Effect.exit(Effect.void), () => exit))
          yield* Fiber.await(fiber)
          yield* Effect.logError("config failed", exit.cause).pipe(Effect.provide(logs.layer))
          assert.isAbove(logs.lines.length, 0)
          assertNoMarker([
            ...surfaces("error", error),
            ...surfaces("exit", exit),
            ["Cause.pretty", Cause.pretty(exit.cause, { renderErrorCause: true })],
            ...logs.lines.map((l, i): [string, string] => [`log ${i}`, l])
          ])
        }).pipe(Effect.provide(vault)))
    }
  }

  it.effect("values that parse are still served, and missing keys still name the key", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Config.string("NOPE"))
      assert.include(String(missing), "NOPE")
      assert.strictEqual(yield* Config.string("PORT"), MARKER)
      assert.deepStrictEqual(yield* Config.array(Config.string(), "LIST"), ["1", MARKER])
    }).pipe(Effect.provide(SecretConfigProvider.layer({ prefix: "app-", fallback: null })), Effect.provide(vault)))
})

describe("HTTP exchanges: no value or token in any span, error or log", () => {
  const VALUE = "val-Qz81-marker-never-printed"
  const TOKEN = "tok-Hq27-marker-never-printed"
  const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
    ["FetchHttpClient", FetchHttpClient.layer],
    ["NodeHttpClient (undici)", NodeHttpClient.layerUndici],
    ["NodeHttpClient (node:http)", NodeHttpClient.layer]
  ]
  for (const [label, transport] of transports) {
    it.scopedLive(`${label}: a PUT whose connection is reset, and a GET that succeeds`, () =>
      Effect.gen(function*() {
        let base = ""
        const server = yield* scriptedServer(withChallenge((req) => {
          // The value-carrying PUT dies at transport level: the socket is destroyed without an answer.
          if (req.method === "PUT") return { status: 0, transportError: true }
          return { status: 200, body: bundle("n", { id: `${base}/secrets/n/0123456789abcdef0123456789abcdef`, value: VALUE }) }
        }, `Bearer authorization="https://login.microsoftonline.com/t", resource="${"http://127.0.0.1"}"`))
        base = server.url
        const { recorder, tracer } = inspectingTracer()
        const logs = capturingLogger()
        const layer = SecretClient.layer({ vaultUrl: base, allowInsecureLoopback: true, verifyChallengeResource: false })
          .pipe(
            Layer.provide(Credential.layerStatic(Redacted.make(TOKEN))),
            Layer.provide(transport),
            Layer.provide(RetryPolicy.layer(RetryPolicy.none))
          )
        const program = Effect.gen(function*() {
          const client = yield* SecretClient.SecretClient
          const get = yield* client.getSecret("n")
          assert.strictEqual(Redacted.value(get.value), VALUE)
          const set = yield* Effect.exit(client.setSecret("n", VALUE))
          const sent = yield* Effect.exit(client.sendRequest(HttpClientRequest.get("/secrets/n")))
          return { set, sent, get }
        })
        const { get, sent, set } = yield* program.pipe(Effect.provide(layer), Effect.withTracer(tracer), Effect.provide(logs.layer))
        assert.isTrue(Exit.isFailure(set))
        if (Exit.isFailure(set)) assert.strictEqual(Cause.squash(set.cause) instanceof Error && (Cause.squash(set.cause) as { _tag?: string })._tag, "TransportError")
        // The PUT really went out with the token and the value (so the markers were there to leak).
        const put = server.requests.find((r) => r.method === "PUT" && r.body !== "")
        assert.include(put?.body ?? "", VALUE)
        assert.strictEqual(put?.headers["authorization"], `Bearer ${TOKEN}`)
        assert.include(recorder.spanNames, "http.client PUT")
        yield* Effect.sleep("10 millis") // leave the fiber: inspect as a batching exporter would
        recorder.inspectLater()
        const records = [
          ...recorder.records,
          ...logs.lines,
          ...surfaces("setSecret exit", set),
          ...surfaces("sendRequest exit", sent),
          ...surfaces("model", get)
        ]
        assert.isAbove(records.length, 20)
        assert.deepStrictEqual(leaksIn(records, [VALUE, TOKEN]), [])
      }))
  }
})

describe("HTTP exchanges keep the platform's tracing", () => {
  it.scopedLive("one http.client span per exchange, with status and W3C trace propagation", () =>
    Effect.gen(function*() {
      let base = ""
      const server = yield* scriptedServer(withChallenge(
        () => ({ status: 200, body: bundle("n", { id: `${base}/secrets/n/0123456789abcdef0123456789abcdef` }) }),
        `Bearer authorization="https://login.microsoftonline.com/t", resource="http://127.0.0.1"`
      ))
      base = server.url
      const { recorder, tracer } = inspectingTracer()
      const layer = SecretClient.layer({ vaultUrl: base, allowInsecureLoopback: true, verifyChallengeResource: false }).pipe(
        Layer.provide(Credential.layerStatic(Redacted.make("t"))),
        Layer.provide(NodeHttpClient.layerUndici)
      )
      yield* Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("n")).pipe(
        Effect.provide(layer),
        Effect.withTracer(tracer)
      )
      // Probe (401) and the authorised GET: one span each, each request carrying a traceparent.
      assert.deepStrictEqual(recorder.spanNames.filter((n) => n.startsWith("http.client")), ["http.client GET", "http.client GET"])
      assert.strictEqual(server.requests.length, 2)
      for (const r of server.requests) assert.match(r.headers["traceparent"] ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      const statuses = recorder.records.filter(([where]) => where.includes("http.response.status_code") && !where.includes("(at end)"))
      assert.deepStrictEqual(statuses.map(([, v]) => v), ["401", "200"])
    }))
})

/**
 * Value safety: marker values (and a marker token) go through every operation, every typed error, the
 * models, config errors and failed/odd HTTP exchanges, while a tracer deep-inspects every span attribute and
 * exit (inside the fiber and again later, outside it), a logger records everything at LogLevel.All through
 * Effect's own formatters, and every result and error is printed every common way. Figure: `leaks` = 0.
 *
 * Small by default; RELIABILITY_FULL=1 adds markers and runs the loopback phase on every transport.
 * RELIABILITY_OUT=<dir> writes <dir>/value-safety.json (reliability-suite contract).
 */
import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { TestVault } from "@effect-keyvault/emulator"
import {
  Credential,
  KeyVaultSecretIdentifier,
  PollingPolicy,
  RetryPolicy,
  SecretCache,
  SecretClient,
  SecretConfigProvider
} from "@effect-keyvault/secrets"
import { Cause, Config, Effect, Exit, Layer, Logger, Redacted, Schedule, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { capturingLogger, deepInspect, inspectingTracer, leaksIn, surfaces } from "../../packages/secrets/test/inspecting.js"
import { bundle, type Handler, scriptedServer, withChallenge } from "../../packages/secrets/test/utils.js"

const FULL = process.env.RELIABILITY_FULL === "1"
const OUT = process.env.RELIABILITY_OUT

/** Values chosen to survive any encoding a leak might go through (JSON escaping, truncation, splitting). */
const baseMarkers = [
  "vs-marker-alpha-7f3KQ",
  "vs-marker-json-\"quoted\"\n\\slash-9Zq",
  "vs-marker-ünïcødé-✓-Lm2"
]
const extraMarkers = [
  "vs-marker-commas,a,b,c-Rt5",
  "vs-marker-" + "long-".repeat(2000) + "end",
  "vs-marker-<html>&amp;-Pw0",
  "vs-marker-%41%42-url-Yh8",
  "vs-marker-tab\tand space-Ui1",
  ...Array.from({ length: 6 }, (_, i) => `vs-marker-random-${i}-${Math.random().toString(36).slice(2)}`)
]
const markers = FULL ? [...baseMarkers, ...extraMarkers] : baseMarkers
const TOKEN = "vs-token-marker-Bearer-8Hs1"

/** What is searched for: each marker, and its JSON-escaped and truncated forms. */
const needlesOf = (value: string): Array<string> => {
  const escaped = JSON.stringify(value).slice(1, -1)
  const out = new Set([value, escaped])
  // A prefix long enough to be unmistakable (truncating printers, JSON.parse messages).
  for (const v of [value, escaped]) out.add(v.slice(0, 14))
  return [...out]
}

const errorKinds = [
  "NotFound",
  "Exists",
  "Forbidden",
  "Unauthorized",
  "Throttled",
  "InvalidArgument",
  "HttpError",
  "TransportError",
  "MalformedResponse",
  "CredentialError",
  "ChallengeError",
  "PollingTimeout"
] as const

interface Collected {
  readonly records: Array<readonly [string, string]>
  readonly kinds: Set<string>
  spans: number
  logLines: number
}

/** Every printing surface of an exit, its error and its value. */
const collectExit = (c: Collected, label: string, exit: Exit.Exit<unknown, unknown>) => {
  c.records.push(...surfaces(`${label}: exit`, exit))
  if (Exit.isFailure(exit)) {
    const error = Cause.squash(exit.cause)
    if (typeof error === "object" && error !== null && "_tag" in error) c.kinds.add(String(error._tag))
    c.records.push(...surfaces(`${label}: error`, error), ...surfaces(`${label}: cause`, exit.cause))
  } else {
    c.records.push(...surfaces(`${label}: value`, exit.value))
  }
}

const effectLoggers = (c: Collected) => {
  const push = (name: string) => (out: unknown) => {
    c.records.push([`logger ${name}`, typeof out === "string" ? out : deepInspect(out)])
  }
  return Layer.mergeAll(
    Logger.add(Logger.map(Logger.logfmtLogger, push("logfmt"))),
    Logger.add(Logger.map(Logger.jsonLogger, push("json"))),
    Logger.add(Logger.map(Logger.structuredLogger, push("structured"))),
    Logger.add(Logger.map(Logger.stringLogger, push("string")))
  )
}

/** Run one labelled step, keeping its exit and logging its result/cause at every level. */
const step = <A, E, R>(c: Collected, label: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    collectExit(c, label, exit)
    yield* Exit.match(exit, {
      onFailure: (cause) => Effect.logError(`${label} failed`, cause),
      onSuccess: (value) => Effect.logDebug(`${label} succeeded`, value)
    })
    return exit
  })

const fastRetry = RetryPolicy.layer(RetryPolicy.none)

/** Phase 1: the in-process TestVault, every operation and the service-side errors. */
const vaultPhase = (c: Collected, value: string, i: number) =>
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const vault = yield* TestVault.TestVault
    const n = `vs-${i}`
    const s = (label: string, e: Effect.Effect<unknown, unknown>) => step(c, `${n} ${label}`, e)
    yield* s("setSecret", client.setSecret(n, value, { contentType: "text/plain", tags: { t: "x" } }))
    yield* s("getSecret", client.getSecret(n))
    yield* s("withResponse(getSecret)", SecretClient.withResponse(client.getSecret(n)))
    yield* s("setSecret Redacted", client.setSecret(n, Redacted.make(value)))
    yield* s("updateSecretProperties", client.updateSecretProperties(n, { enabled: true }))
    yield* s("list", Stream.runCollect(client.listPropertiesOfSecrets()))
    yield* s("versions pages", Stream.runCollect(client.listPropertiesOfSecretVersionsPages(n, { maxPageSize: 1 })))
    yield* s("sendRequest", client.sendRequest(HttpClientRequest.get(`/secrets/${n}`)))
    yield* s("backupSecret", client.backupSecret(n))
    const poller = yield* client.beginDeleteSecret(n)
    yield* s("poller", Effect.succeed(poller))
    yield* s("poller serialize", poller.serialize)
    yield* s("pollUntilDone", poller.pollUntilDone)
    yield* s("getDeletedSecret", client.getDeletedSecret(n))
    yield* s("listDeletedSecrets", Stream.runCollect(client.listDeletedSecrets()))
    // Exists: the name is deleted but recoverable; the request carried the value.
    yield* s("setSecret on a deleted name (Exists)", client.setSecret(n, value))
    yield* s("recoverDeletedSecret", client.recoverDeletedSecret(n))
    // Forbidden: a disabled version.
    yield* s("setSecret disabled", client.setSecret(`${n}-off`, value, { enabled: false }))
    yield* s("getSecret disabled (Forbidden)", client.getSecret(`${n}-off`))
    yield* s("getSecret missing (NotFound)", client.getSecret(`${n}-missing`))
    // InvalidArgument built from arguments that include the value.
    yield* s("setSecret bad name (InvalidArgument)", client.setSecret("bad_name", value))
    yield* s("setSecret too large (InvalidArgument)", client.setSecret(n, value.repeat(Math.ceil(26_000 / value.length))))
    yield* s("bad tag (InvalidArgument)", client.setSecret(n, value, { tags: Object.fromEntries(Array.from({ length: 16 }, (_, k) => [`k${k}`, value])) }))
    // Service failures injected on value-carrying requests.
    for (const [status, label] of [[429, "Throttled"], [500, "HttpError"], [401, "Unauthorized"]] as const) {
      yield* vault.inject({ operation: "setSecret", name: n, status, times: 1 })
      yield* s(`setSecret ${status} (${label})`, client.setSecret(n, value).pipe(Effect.provide(fastRetry)))
    }
    // PollingTimeout: a schedule that gives up at once while the delete is still in progress.
    yield* vault.inject({ operation: "getDeletedSecret", name: `${n}-off`, status: 404, times: "always" })
    yield* s(
      "deleteSecret (PollingTimeout)",
      client.deleteSecret(`${n}-off`).pipe(Effect.provideService(PollingPolicy.PollingPolicy, Schedule.recurs(0)))
    )
    yield* vault.clearFaults
    // The cache and the config provider over the same vault.
    const cache = yield* SecretCache.make({ timeToLive: "1 minute" })
    yield* s("SecretCache.get", cache.get(n))
    yield* s("SecretCache.get missing", cache.get(`${n}-missing`))
    yield* client.setSecret(`${n}-cfg-num`, value)
    const provider = yield* SecretConfigProvider.load({ prefix: `${n}-cfg-` })
    for (const [label, config] of [
      ["Config.number", Config.number("NUM")],
      ["Config.integer", Config.integer("NUM")],
      ["Config.boolean", Config.boolean("NUM")],
      ["Config.array(Config.number)", Config.array(Config.number(), "NUM")],
      ["Config.mapAttempt(JSON.parse)", Config.mapAttempt(Config.string("NUM"), (t) => JSON.parse(t) as unknown)]
    ] as const) {
      yield* s(`config ${label}`, Effect.withConfigProvider(config, provider))
    }
    yield* s("identifier", Effect.succeed(KeyVaultSecretIdentifier.parse(`https://v.vault.azure.net/secrets/${n}`)))
  })

/** Phase 2: a loopback server that misbehaves (connection resets, malformed bodies, foreign challenges). */
const loopbackPhase = (c: Collected, value: string, transport: Layer.Layer<HttpClient.HttpClient>, label: string) =>
  Effect.gen(function*() {
    let base = ""
    const handler: Handler = (req) => {
      const p = new URL(req.url).pathname
      if (p.startsWith("/secrets/reset")) return { status: 0, transportError: true }
      if (p.startsWith("/secrets/badjson")) return { status: 200, body: `not json ${value}` }
      if (p.startsWith("/secrets/badshape")) return { status: 200, body: { value, id: 42, attributes: "x" } }
      if (p.startsWith("/deletedsecrets/deleting")) return { status: 404, body: { error: { code: "SecretNotFound", message: "not yet" } } }
      if (p.startsWith("/secrets/deleting")) {
        return req.method === "DELETE"
          ? { status: 200, body: { ...bundle("deleting", { id: `${base}/secrets/deleting/1` }), value: undefined, recoveryId: `${base}/deletedsecrets/deleting` } }
          : { status: 404, body: { error: { code: "SecretNotFound", message: "not yet" } } }
      }
      return { status: 200, body: bundle("ok", { id: `${base}/secrets/ok/0123456789abcdef0123456789abcdef`, value }) }
    }
    const loopback = withChallenge(handler, `Bearer authorization="https://login.microsoftonline.com/t", resource="http://127.0.0.1"`)
    // Requests for "strict" are challenged for another resource: verification must refuse it.
    const foreign = withChallenge(handler, `Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net"`)
    const server = yield* scriptedServer((req, i) => (req.url.includes("/strict") ? foreign : loopback)(req, i))
    base = server.url
    // Built once for the phase: a scoped transport (undici's dispatcher) must outlive each client's construction.
    const context = yield* Layer.build(Layer.merge(transport, fastRetry))
    const make = (credential: Layer.Layer<Credential.Credential>, verify: boolean) =>
      SecretClient.make({ vaultUrl: base, allowInsecureLoopback: true, verifyChallengeResource: verify }).pipe(
        Effect.provide(credential),
        Effect.provide(context)
      )
    const client = yield* make(Credential.layerStatic(Redacted.make(TOKEN)), false)
    const s = (name: string, e: Effect.Effect<unknown, unknown>) => step(c, `${label} ${name}`, e)
    yield* s("getSecret ok", client.getSecret("ok"))
    yield* s("setSecret reset (TransportError)", client.setSecret("reset", value))
    yield* s("getSecret not JSON (MalformedResponse)", client.getSecret("badjson"))
    yield* s("getSecret wrong shape (MalformedResponse)", client.getSecret("badshape"))
    yield* s("sendRequest ok", client.sendRequest(HttpClientRequest.get("/secrets/ok")))
    yield* s(
      "deleteSecret (PollingTimeout)",
      client.deleteSecret("deleting").pipe(Effect.provideService(PollingPolicy.PollingPolicy, Schedule.recurs(1)))
    )
    // Verification on: the loopback challenge names another resource.
    const strict = yield* make(Credential.layerStatic(Redacted.make(TOKEN)), true)
    yield* s("setSecret foreign challenge (ChallengeError)", strict.setSecret("strict", value))
    const failing = yield* make(
      Layer.succeed(Credential.Credential, {
        getToken: () => Effect.fail(new Credential.TokenError({ message: "no token available" }))
      }),
      false
    )
    yield* s("setSecret without a token (CredentialError)", failing.setSecret("ok", value))
    assert.isTrue(server.requests.some((r) => r.body.includes(JSON.stringify(value).slice(1, -1))), JSON.stringify(server.requests.map((r) => [r.method, r.url, r.body.length, r.headers["authorization"]?.slice(0, 12)])))
  }).pipe(Effect.scoped)

const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["undici", NodeHttpClient.layerUndici],
  ["fetch", FetchHttpClient.layer],
  ["node:http", NodeHttpClient.layer]
]

describe("value-safety", () => {
  it.live("no value or token in any log, span, error, cause, model or config error", () =>
    Effect.gen(function*() {
      const c: Collected = { records: [], kinds: new Set(), spans: 0, logLines: 0 }
      const { recorder, tracer } = inspectingTracer()
      const logs = capturingLogger()
      const observed = <A, E, R>(e: Effect.Effect<A, E, R>) =>
        e.pipe(Effect.withTracer(tracer), Effect.provide(effectLoggers(c)), Effect.provide(logs.layer))
      for (const [i, value] of markers.entries()) {
        const seeded = TestVault.layer({ seed: [{ name: `seed-${i}`, value }] })
        yield* observed(vaultPhase(c, value, i).pipe(Effect.scoped, Effect.provide(seeded)))
        for (const [label, transport] of FULL ? transports : transports.slice(0, 1)) {
          yield* observed(loopbackPhase(c, value, transport, `${label}#${i}`))
        }
      }
      yield* Effect.sleep("10 millis") // inspect exits again outside any fiber, like a batching exporter
      recorder.inspectLater()
      const records = [...c.records, ...recorder.records, ...logs.lines]
      const needles = [...markers.flatMap(needlesOf), TOKEN]
      const leaks = leaksIn(records, needles)
      const missingKinds = errorKinds.filter((k) => !c.kinds.has(k))
      const figures = {
        leaks: leaks.length,
        "surfaces checked": records.length,
        "marker values": markers.length,
        "spans inspected": recorder.spanNames.length,
        "log lines at LogLevel.All": logs.lines.length,
        "error kinds covered": `${errorKinds.length - missingKinds.length}/${errorKinds.length}`,
        transports: FULL ? transports.map(([l]) => l).join(", ") : transports[0][0]
      }
      if (OUT !== undefined) {
        fs.mkdirSync(OUT, { recursive: true })
        fs.writeFileSync(
          path.join(OUT, "value-safety.json"),
          JSON.stringify(
            {
              suite: "value-safety",
              title: "Value safety: no secret value or token in logs, spans, errors, models or config errors",
              size: FULL ? "full" : "small",
              figures,
              notes: [
                "Markers (plain, JSON-special, unicode; full adds commas, 10 KB, HTML, %-escapes, whitespace, random) are searched verbatim, JSON-escaped and as 14-character prefixes.",
                "Surfaces: String, util.inspect (depth ∞, hidden, getters), JSON.stringify and .message of every result, error and cause; Cause.pretty; every span attribute and exit (at span end and later outside the fiber); every log line at LogLevel.All through the default, logfmt, JSON, structured and string loggers.",
                "Not covered: a server that echoes a value back in its own error message (the service never does)."
              ]
            },
            null,
            2
          )
        )
      }
      assert.deepStrictEqual(missingKinds, [])
      assert.isAbove(recorder.spanNames.length, 50)
      assert.deepStrictEqual(leaks, [])
    }), { timeout: FULL ? 600_000 : 120_000 })
})

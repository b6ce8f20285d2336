/**
 * Interruption (issue 8, item 13): every operation, poller and listing Stream stops promptly when its fiber
 * is interrupted and leaves no request running. A real server on 127.0.0.1 stalls the request under test
 * (never answers); the test interrupts the fiber and then waits for the server to see that request's
 * connection close. On every transport: undici, this package's UndiciHttpClient, fetch and node:http.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { Effect, Fiber, Layer, Redacted, Stream } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Credential, PollingPolicy, SecretClient } from "../src/index.js"
import { bundle, deletedBundle } from "./utils.js"

/** The loopback vault names itself as the resource (accepted for loopback hosts only). */
const challengeFor = (host: string) =>
  `Bearer authorization="https://login.microsoftonline.com/tenant-1", resource="http://${host}"`

/** How long an interrupted operation may take to stop, and its request to close, on a loaded machine. */
const BOUND_MS = 5_000
/** How long the setup may take to reach the stalled request (not what is measured). */
const SETUP_MS = 15_000

interface Exchange {
  readonly method: string
  readonly path: string
  readonly authorized: boolean
  readonly stalled: boolean
  closedAt: number | undefined
}

type Answer = "stall" | { readonly status: number; readonly body?: unknown }

/**
 * A server answering from `decide`; "stall" never answers and records when the client gives the request
 * up (the connection closes). Unauthenticated requests get Key Vault's challenge.
 */
const stallServer = (decide: (method: string, path: string) => Answer, stallProbe = false) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; exchanges: Array<Exchange>; server: http.Server }>((resume) => {
      const exchanges: Array<Exchange> = []
      const server = http.createServer((req, res) => {
        req.resume()
        req.on("end", () => {
          const path = new URL(req.url ?? "/", "http://x").pathname
          const authorized = req.headers["authorization"] !== undefined
          const answer: Answer = !authorized
            ? (stallProbe ? "stall" : { status: 401, body: { error: { code: "Unauthorized", message: "no token" } } })
            : decide(req.method ?? "GET", path)
          const exchange: Exchange = { method: req.method ?? "GET", path, authorized, stalled: answer === "stall", closedAt: undefined }
          exchanges.push(exchange)
          if (answer === "stall") {
            res.on("close", () => exchange.closedAt = Date.now())
            return
          }
          res.writeHead(answer.status, {
            "content-type": "application/json; charset=utf-8",
            ...(answer.status === 401 ? { "www-authenticate": challengeFor(req.headers.host ?? "") } : {})
          })
          res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body))
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exchanges, server })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const waitUntil = (what: string, condition: () => boolean, within: number = SETUP_MS) =>
  Effect.sleep("5 millis").pipe(
    Effect.repeat({ until: condition }),
    Effect.timeoutFail({ duration: within, onTimeout: () => new Error(`timed out waiting for: ${what}`) })
  )

const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["undici", NodeHttpClient.layerUndici],
  // This package's lean transport: the SDK sends through its buffered exchange (no AbortController).
  ["UndiciHttpClient", UndiciHttpClient.layer],
  ["fetch", FetchHttpClient.layer],
  ["node:http", NodeHttpClient.layer]
]

type Op = (c: SecretClient.Service) => Effect.Effect<unknown, unknown>
const notFound = { status: 404, body: { error: { code: "SecretNotFound", message: "not found" } } }
const v = "0123456789abcdef0123456789abcdef"

/** [label, the operation, which request stalls (others are answered)] */
const operations: ReadonlyArray<readonly [string, Op, (method: string, path: string) => Answer]> = [
  ["setSecret", (c) => c.setSecret("n", "value"), () => "stall"],
  ["getSecret", (c) => c.getSecret("n"), () => "stall"],
  ["updateSecretProperties", (c) => c.updateSecretProperties("n", { enabled: false }), () => "stall"],
  ["beginDeleteSecret", (c) => c.beginDeleteSecret("n"), () => "stall"],
  ["deleteSecret (initial DELETE)", (c) => c.deleteSecret("n"), () => "stall"],
  [
    "deleteSecret (a poll request)",
    (c) => c.deleteSecret("n"),
    (m) => m === "DELETE" ? { status: 200, body: deletedBundle("n") } : "stall"
  ],
  [
    "poller.pollUntilDone (a poll request)",
    (c) => Effect.flatMap(c.beginDeleteSecret("n"), (p) => p.pollUntilDone),
    (m) => m === "DELETE" ? { status: 200, body: deletedBundle("n") } : "stall"
  ],
  ["getDeletedSecret", (c) => c.getDeletedSecret("n"), () => "stall"],
  ["purgeDeletedSecret", (c) => c.purgeDeletedSecret("n"), () => "stall"],
  [
    "recoverDeletedSecret (the recover POST)",
    (c) => c.recoverDeletedSecret("n"),
    (m) => m === "GET" ? notFound : "stall"
  ],
  [
    "beginRecoverDeletedSecret (the pre-check GET)",
    (c) => c.beginRecoverDeletedSecret("n"),
    () => "stall"
  ],
  ["backupSecret", (c) => c.backupSecret("n"), () => "stall"],
  ["restoreSecretBackup", (c) => c.restoreSecretBackup(new Uint8Array([1, 2, 3])), () => "stall"],
  ["listPropertiesOfSecrets", (c) => Stream.runDrain(c.listPropertiesOfSecrets()), () => "stall"],
  [
    "listPropertiesOfSecrets (second page)",
    (c) => Stream.runDrain(c.listPropertiesOfSecrets()),
    () => "stall" // after the first page (answered by the server below)
  ],
  ["listPropertiesOfSecretsPages", (c) => Stream.runDrain(c.listPropertiesOfSecretsPages()), () => "stall"],
  ["listPropertiesOfSecretVersions", (c) => Stream.runDrain(c.listPropertiesOfSecretVersions("n")), () => "stall"],
  ["listPropertiesOfSecretVersionsPages", (c) => Stream.runDrain(c.listPropertiesOfSecretVersionsPages("n")), () => "stall"],
  ["listDeletedSecrets", (c) => Stream.runDrain(c.listDeletedSecrets()), () => "stall"],
  ["listDeletedSecretsPages", (c) => Stream.runDrain(c.listDeletedSecretsPages()), () => "stall"],
  ["sendRequest", (c) => c.sendRequest(HttpClientRequest.get("/secrets/n")), () => "stall"]
]

const clientFor = (url: string, httpLayer: Layer.Layer<HttpClient.HttpClient>) =>
  Effect.gen(function*() {
    const ctx = yield* Layer.build(Layer.merge(httpLayer, Credential.layerStatic(Redacted.make("interrupt-token"))))
    return yield* SecretClient.make({ vaultUrl: url, allowInsecureLoopback: true }).pipe(Effect.provide(ctx))
  })

/** Interrupt and wait for the fiber to end, failing (not hanging) when it does not end in time. */
const interrupt = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) =>
  Fiber.interrupt(fiber).pipe(
    Effect.timeoutFail({ duration: BOUND_MS, onTimeout: () => new Error("the interrupted fiber did not end in time") })
  )

/** Fork `op`, wait for a stalled request, interrupt, and check the fiber and the request both end in time. */
const interruptWhileStalled = (
  server: { readonly exchanges: Array<Exchange> },
  op: Effect.Effect<unknown, unknown>
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(op)
    yield* waitUntil("a stalled request", () => server.exchanges.some((e) => e.stalled))
    const start = Date.now()
    yield* interrupt(fiber)
    const interruptMs = Date.now() - start
    assert.isBelow(interruptMs, BOUND_MS, "the interrupted fiber ended in time")
    yield* waitUntil("every stalled request closed", () => server.exchanges.every((e) => !e.stalled || e.closedAt !== undefined), BOUND_MS)
    const closeMs = Math.max(...server.exchanges.filter((e) => e.stalled).map((e) => e.closedAt! - start))
    assert.isBelow(closeMs, BOUND_MS, "the stalled request was aborted in time")
    return { interruptMs, closeMs }
  })

describe("interruption stops every operation and aborts its request", () => {
  for (const [transport, httpLayer] of transports) {
    describe(transport, () => {
      for (const [label, op, decide] of operations) {
        it.live(label, () =>
          Effect.gen(function*() {
            // The listing's second page: the first answers with a nextLink, the second stalls.
            let pages = 0
            let base = ""
            const server = yield* stallServer((m, p) => {
              if (label.includes("second page") && p === "/secrets" && pages++ === 0) {
                return { status: 200, body: { value: [{ id: "https://x.vault.azure.net/secrets/a", attributes: {} }], nextLink: `${base}/secrets?api-version=2026-04-01&$skiptoken=2` } }
              }
              return decide(m, p)
            })
            base = server.url
            const c = yield* clientFor(server.url, httpLayer)
            yield* interruptWhileStalled(server, op(c))
          }).pipe(Effect.scoped))
      }

      it.live("the token-less probe", () =>
        Effect.gen(function*() {
          const server = yield* stallServer(() => "stall", true)
          const c = yield* clientFor(server.url, httpLayer)
          yield* interruptWhileStalled(server, c.setSecret("n", "value"))
          assert.isFalse(server.exchanges.some((e) => e.authorized))
        }).pipe(Effect.scoped))
    })
  }

  it.live("a poller sleeping between polls stops at once and sends nothing more", () =>
    Effect.gen(function*() {
      const server = yield* stallServer((m) => m === "DELETE" ? { status: 200, body: deletedBundle("n") } : notFound)
      const c = yield* clientFor(server.url, NodeHttpClient.layerUndici)
      const fiber = yield* Effect.fork(
        Effect.flatMap(c.beginDeleteSecret("n"), (p) => p.pollUntilDone).pipe(
          Effect.provideService(PollingPolicy.PollingPolicy, PollingPolicy.make({ interval: "1 hour" }))
        )
      )
      yield* waitUntil("the first poll", () => server.exchanges.filter((e) => e.method === "GET").length >= 1)
      yield* Effect.sleep("50 millis")
      const start = Date.now()
      yield* interrupt(fiber)
      assert.isBelow(Date.now() - start, BOUND_MS)
      const seen = server.exchanges.length
      yield* Effect.sleep("200 millis")
      assert.strictEqual(server.exchanges.length, seen)
    }).pipe(Effect.scoped))

  it.live("a credential that never answers is interrupted too", () =>
    Effect.gen(function*() {
      const server = yield* stallServer(() => ({ status: 200, body: bundle("n", { id: `https://x.vault.azure.net/secrets/n/${v}` }) }))
      const c = yield* SecretClient.make({ vaultUrl: server.url, allowInsecureLoopback: true }).pipe(
        Effect.provide(Layer.succeed(Credential.Credential, { getToken: () => Effect.never })),
        Effect.provide(FetchHttpClient.layer)
      )
      const fiber = yield* Effect.fork(c.getSecret("n"))
      yield* waitUntil("the probe", () => server.exchanges.length >= 1)
      yield* Effect.sleep("20 millis")
      const start = Date.now()
      yield* interrupt(fiber)
      assert.isBelow(Date.now() - start, BOUND_MS)
      assert.strictEqual(server.exchanges.length, 1)
    }).pipe(Effect.scoped))
})

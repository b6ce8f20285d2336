/**
 * A local, wire-faithful Azure Key Vault (secrets) emulator: socket server (HTTPS or HTTP), scoped Layer,
 * Promise API and an in-process handler/HttpClient that needs no sockets.
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * // A socket emulator on a free loopback port (plain HTTP), and a real client talking to it
 * const program = Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   const client = yield* SecretClient.make({ vaultUrl: emulator.url, allowInsecureLoopback: true, verifyChallengeResource: false })
 *   yield* client.setSecret("greeting", "hello")
 *   return (yield* client.getSecret("greeting")).properties.id.startsWith(emulator.url)
 * }).pipe(
 *   Effect.provide(Layer.mergeAll(Emulator.layer({ tls: false }), Credential.layerStatic("t"), FetchHttpClient.layer))
 * )
 * Effect.runPromise(program).then((ok) => assert.strictEqual(ok, true))
 * ```
 *
 * @since 0.1.0
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import * as selfsigned from "selfsigned"
import * as httpApp from "./internal/httpApp.js"
import * as inFiber from "./internal/inFiber.js"
import * as persistence from "./internal/persistence.js"
import * as server from "./internal/server.js"
import * as VaultEngine from "./VaultEngine.js"

/**
 * Emulator options. Every field is optional.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 *
 * // Plain HTTP on loopback, a required token and a persistent data file
 * const options: Emulator.EmulatorOptions = {
 *   port: 8080,
 *   tls: false,
 *   token: "local-dev-token",
 *   dataFile: ".emulator-data/vault.json",
 *   consistencyDelay: { delete: "500 millis" }
 * }
 * const EmulatorLive = Emulator.layer(options)
 * ```
 */
export interface EmulatorOptions {
  /** default 0 = a free port */
  readonly port?: number
  /** default "127.0.0.1" */
  readonly host?: string
  /** default true: HTTPS with a self-signed certificate made at start; false = plain HTTP */
  readonly tls?: boolean
  /** when set, only "Bearer <token>" is accepted (401 otherwise) */
  readonly token?: string
  /** tenant in the challenge's authorization URL */
  readonly tenantId?: string
  /** default "https://login.microsoftonline.com" */
  readonly authority?: string
  /** default "https://vault.azure.net" */
  readonly challengeResource?: string
  /** default "Recoverable+Purgeable" */
  readonly recoveryLevel?: string
  /** default 90 */
  readonly recoverableDays?: number
  /** Eventual-consistency windows like the real service; default all 0 (off). */
  readonly consistencyDelay?: VaultEngine.ConsistencyDelay
  /**
   * The service's throttling: `true` for the real limits (4,000 secret transactions and 300 secret CREATEs
   * per 10 s per vault), or your own {@link ThrottleOptions}. Over the limit a request gets 429 `Throttled`
   * with `Retry-After`, and does not count. Default: off.
   *
   * @since 0.2.0
   */
  readonly throttle?: boolean | ThrottleOptions
  /** persist state to this file (crash-safe: write temp, fsync, rename) */
  readonly dataFile?: string
  /**
   * Socket server only: answer `GET <healthPath>` with 200 `{"status":"ok"}` without authentication
   * (e.g. `"/healthz"` for container health checks). Default: none, as on the real service.
   */
  readonly healthPath?: string
  /**
   * Socket server only: called once per request when its answer is sent (or the client went away), with
   * method, path (no query), status, duration and request id — never headers, bodies or values. Requests
   * Node's HTTP parser rejects are reported too, with method and path `"-"`.
   */
  readonly onRequest?: (entry: RequestLogEntry) => void
}

/**
 * Throttling limits per vault: at most `transactions` (and, apart, `createTransactions`) accepted requests in
 * any sliding `window`. Over the limit a request is answered like the service does:
 * `429 {"error":{"code":"Throttled","message":"… Reason: VaultRequestTypeLimitReached"}}` with `Retry-After`
 * (seconds until the window has room again, at least 1). Throttled requests do not count toward the limit.
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 *
 * // A tenth of the real limits, to see 429s in a small test
 * const throttle: Emulator.ThrottleOptions = { transactions: 400, createTransactions: 30, window: "10 seconds" }
 * const EmulatorLive = Emulator.layer({ tls: false, throttle })
 * ```
 */
export interface ThrottleOptions {
  /** Secret transactions other than CREATE per window (get, list, update, delete, …). Default: 4,000. */
  readonly transactions?: number | undefined
  /** Secret CREATE transactions (set, restore) per window. Default: 300. */
  readonly createTransactions?: number | undefined
  /** Default: 10 seconds. */
  readonly window?: Duration.DurationInput | undefined
}

/**
 * One request as seen by the socket server's `onRequest` hook: what a request log line needs, and nothing
 * that could carry a secret (no headers, query, body or token).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 *
 * // A one-line-per-request log on stderr
 * const logLine = (e: Emulator.RequestLogEntry) =>
 *   `${e.method} ${e.path} ${e.status ?? "aborted"} ${e.durationMs.toFixed(1)}ms ${e.requestId ?? "-"}`
 * const EmulatorLive = Emulator.layer({ tls: false, onRequest: (e) => process.stderr.write(logLine(e) + "\n") })
 * ```
 */
export interface RequestLogEntry {
  readonly method: string
  /** the request path without its query; non-printable characters percent-encoded */
  readonly path: string
  /** the HTTP status answered; undefined when the client went away before the answer */
  readonly status: number | undefined
  readonly durationMs: number
  /** the `x-ms-request-id` of the answer */
  readonly requestId: string | undefined
}

/**
 * What a started emulator exposes.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * const describe = (info: Emulator.EmulatorInfo) =>
 *   info.certificatePem === undefined ? `${info.url} (plain HTTP)` : `${info.url} (trust the PEM to connect)`
 * const program = Effect.map(Emulator.Emulator, describe)
 * ```
 */
export interface EmulatorInfo {
  /** e.g. "https://127.0.0.1:54321" (no trailing slash) */
  readonly url: string
  /** PEM of the self-signed certificate (undefined for plain HTTP) */
  readonly certificatePem: string | undefined
  readonly engine: VaultEngine.VaultEngine
}

/**
 * The running emulator.
 *
 * @since 0.1.0
 * @category Context
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * // Seed the running emulator directly through its engine
 * const seeded = Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   yield* emulator.engine.setSecret("db-password", { value: "s3cret" })
 *   return emulator.url
 * }).pipe(Effect.provide(Emulator.layerInProcess()))
 *
 * Effect.runPromise(seeded).then((result) => assert.deepStrictEqual(result, "https://emulator.vault.azure.net"))
 * ```
 */
export class Emulator extends Context.Tag("@effect-keyvault/emulator/Emulator")<Emulator, EmulatorInfo>() {}

/**
 * Failure to start the emulator (certificate, data file or listen error).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * // Plain HTTP is refused on a non-loopback address
 * const program = Effect.scoped(Emulator.start({ tls: false, host: "0.0.0.0" })).pipe(
 *   Effect.catchTag("EmulatorError", (e) => Effect.succeed(e.message))
 * )
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, "Plain HTTP is only served on loopback, not on 0.0.0.0"))
 * ```
 */
export class EmulatorError extends Schema.TaggedError<EmulatorError>("@effect-keyvault/emulator/EmulatorError")(
  "EmulatorError",
  { message: Schema.String, cause: Schema.optional(Schema.Defect) }
) {}

/**
 * The tenant used in the challenge when none is configured.
 *
 * @since 0.1.0
 * @category Configuration
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 *
 * // The tenant a client will see in the emulator's challenge unless tenantId is set
 * console.log(Emulator.DEFAULT_TENANT_ID)
 * ```
 */
export const DEFAULT_TENANT_ID: string = httpApp.DEFAULT_TENANT_ID

const LOOPBACK: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "::1"])

// The messages along a cause chain (e.g. "listen EADDRINUSE …", "Unexpected token … at position 3"), so a
// startup failure says why, not only what.
const causeMessage = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const message = typeof current === "object" && "message" in current && typeof current.message === "string"
      ? current.message
      : typeof current === "string"
      ? current
      : ""
    if (message !== "" && !parts.includes(message)) parts.push(message)
    current = typeof current === "object" && "cause" in current ? current.cause : undefined
  }
  return parts.length > 0 ? parts.join(": ") : String(cause)
}

const makeEngine = (options: EmulatorOptions): Effect.Effect<VaultEngine.VaultEngine, EmulatorError> =>
  Effect.gen(function*() {
    const dataFile = options.dataFile
    const loaded = dataFile === undefined ? undefined : yield* Effect.try({
      try: () => {
        persistence.removeStaleTemp(dataFile)
        return persistence.load(dataFile)
      },
      catch: (cause) => new EmulatorError({ message: `Cannot read data file ${dataFile}: ${causeMessage(cause)}`, cause })
    })
    const engine = yield* VaultEngine.make({
      ...(options.recoveryLevel !== undefined ? { recoveryLevel: options.recoveryLevel } : {}),
      ...(options.recoverableDays !== undefined ? { recoverableDays: options.recoverableDays } : {}),
      ...(options.consistencyDelay !== undefined ? { consistencyDelay: options.consistencyDelay } : {}),
      // Group commit: a change is acknowledged once saved; concurrent changes share one write.
      ...(dataFile !== undefined ? { persist: (s: VaultEngine.Snapshot) => persistence.saveAsync(dataFile, s) } : {})
    })
    if (loaded !== undefined) yield* engine.restoreSnapshot(loaded)
    else if (dataFile !== undefined) {
      const initial = yield* engine.snapshot
      yield* Effect.tryPromise({
        try: () => persistence.saveAsync(dataFile, initial),
        catch: (cause) => new EmulatorError({ message: `Cannot write data file ${dataFile}: ${causeMessage(cause)}`, cause })
      })
    }
    return engine
  })

const appFor = httpApp.makeAppFromOptions

// The in-process handler without the platform's server span per request (a span with an attribute per
// header cost about a quarter of each answer); the emulator's own answers carry no tracing anyway.
const toWebHandlerUntraced = HttpApp.toWebHandlerRuntime(
  Runtime.setFiberRef(Runtime.defaultRuntime, HttpMiddleware.currentTracerDisabledWhen, () => true)
)

const makeCertificate = (host: string) =>
  Effect.tryPromise({
    try: () =>
      selfsigned.generate([{ name: "commonName", value: "localhost" }], {
        keySize: 2048,
        algorithm: "sha256",
        notAfterDate: new Date(Date.now() + 365 * 86400_000),
        extensions: [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
          { name: "extKeyUsage", serverAuth: true },
          {
            name: "subjectAltName",
            altNames: [
              { type: 2, value: "localhost" },
              { type: 7, ip: "127.0.0.1" },
              ...(host !== "127.0.0.1" && host !== "localhost"
                ? [net.isIP(host) !== 0 ? { type: 7 as const, ip: host } : { type: 2 as const, value: host }]
                : [])
            ]
          }
        ]
      }),
    catch: (cause) => new EmulatorError({ message: "Cannot generate the self-signed certificate", cause })
  })

/**
 * Start the emulator on a socket inside the current Scope (closed when the scope closes).
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * // Listen on a free loopback port over plain HTTP; closed when the scope ends
 * const program = Effect.scoped(
 *   Effect.gen(function*() {
 *     const info = yield* Emulator.start({ tls: false })
 *     const response = yield* Effect.promise(() => fetch(`${info.url}/secrets?api-version=7.6`))
 *     return response.status // 401: a challenge, as from the real service
 *   })
 * )
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, 401))
 * ```
 */
export const start = (options: EmulatorOptions = {}): Effect.Effect<EmulatorInfo, EmulatorError, Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const tls = options.tls ?? true
    // Plain HTTP would expose bearer tokens and secret values in clear text, so it stays on loopback.
    if (!tls && !LOOPBACK.has(host)) {
      return yield* new EmulatorError({ message: `Plain HTTP is only served on loopback, not on ${host}` })
    }
    const engine = yield* makeEngine(options)
    const cert = tls ? yield* makeCertificate(host) : undefined
    const scheme = tls ? "https" : "http"
    // On the live clock, so the hot routes can be answered without a fiber.
    const vault = httpApp.makeVault({ ...httpApp.configFromOptions(engine, options, scheme), liveClock: true })
    const listener = server.makeListener(vault, {
      scheme,
      healthPath: options.healthPath,
      onRequest: options.onRequest
    })
    // A missing Host is answered by the listener (JSON), not by Node (empty 400).
    const node = cert
      ? https.createServer({ key: cert.private, cert: cert.cert, requireHostHeader: false }, listener)
      : http.createServer({ requireHostHeader: false }, listener)
    server.installRejections(node, scheme, options.onRequest)
    const port = yield* Effect.acquireRelease(
      Effect.async<number, EmulatorError>((resume) => {
        const onError = (cause: Error) =>
          resume(Effect.fail(new EmulatorError({ message: `Cannot listen on ${host}:${options.port ?? 0}: ${causeMessage(cause)}`, cause })))
        node.once("error", onError)
        node.listen({ port: options.port ?? 0, host }, () => {
          node.off("error", onError)
          const address = node.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0))
        })
      }),
      () => Effect.async<void>((resume) => {
        if (!node.listening) return resume(Effect.void)
        node.close(() => resume(Effect.void))
      })
    )
    const urlHost = host.includes(":") ? `[${host}]` : host
    return {
      url: `${tls ? "https" : "http"}://${urlHost}:${port}`,
      certificatePem: cert?.cert,
      engine
    } satisfies EmulatorInfo
  })

/**
 * A scoped emulator server as a Layer.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * // A SecretClient talking to a real socket emulator started for this program
 * const ClientLive = Layer.unwrapEffect(
 *   Effect.map(Emulator.Emulator, (e) => SecretClient.layer({ vaultUrl: e.url, allowInsecureLoopback: true }))
 * ).pipe(
 *   Layer.provide(Emulator.layer({ tls: false })),
 *   Layer.provide(Credential.layerStatic("emulator-token")),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 */
export const layer = (options?: EmulatorOptions): Layer.Layer<Emulator, EmulatorError> =>
  Layer.scoped(Emulator, start(options))

/**
 * Promise API for non-Effect callers.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 *
 * async function main() {
 *   const emulator = await Emulator.startServer({ tls: false })
 *   try {
 *     const response = await fetch(`${emulator.url}/secrets?api-version=7.6`)
 *     assert.strictEqual(response.status, 401) // the challenge
 *   } finally {
 *     await emulator.close()
 *   }
 * }
 * main()
 * ```
 */
export const startServer = async (
  options?: EmulatorOptions
): Promise<EmulatorInfo & { close(): Promise<void> }> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const info = await Effect.runPromise(Scope.extend(start(options), scope))
    return { ...info, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
  } catch (e) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw e
  }
}

/**
 * An in-process web handler (no sockets) over a fresh engine.
 * Ids use the origin of the incoming `Request`'s URL.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Effect } from "effect"
 *
 * // Answer a web Request without opening a socket
 * const program = Effect.scoped(
 *   Effect.gen(function*() {
 *     const { handler } = yield* Emulator.makeHandler({ token: "t" })
 *     const response = yield* Effect.promise(() =>
 *       handler(new Request("https://emulator.vault.azure.net/secrets/missing?api-version=7.6", { headers: { authorization: "Bearer t" } }))
 *     )
 *     return response.status
 *   })
 * )
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, 404))
 * ```
 */
export const makeHandler = (
  options: EmulatorOptions = {}
): Effect.Effect<
  { handler: (request: Request) => Promise<Response>; engine: VaultEngine.VaultEngine },
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    // The in-process handler has no startup failure modes except a broken data file, which is a defect here.
    const engine = yield* Effect.orDie(makeEngine(options))
    const handler = toWebHandlerUntraced(appFor(engine, options, "https"))
    return { handler, engine }
  })

/**
 * In-process emulator: the `Emulator` service plus an `HttpClient` whose requests are answered by the
 * vault directly (no sockets). `vaultUrl` defaults to "https://emulator.vault.azure.net", a
 * `*.vault.azure.net` host so challenge-resource verification passes.
 *
 * The vault runs in the calling fiber, so it uses the caller's `Clock`: under `TestClock` the
 * consistency delays advance with `TestClock.adjust`, together with the client's pollers and retries.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-keyvault/emulator"
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://emulator.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerStatic("any-token")),
 *   Layer.provide(Emulator.layerInProcess())
 * )
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   yield* client.setSecret("greeting", "hello")
 *   return Redacted.value((yield* client.getSecret("greeting")).value)
 * }).pipe(Effect.provide(ClientLive))
 *
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, "hello"))
 * ```
 */
export const layerInProcess = (
  options: EmulatorOptions & { readonly vaultUrl?: string } = {}
): Layer.Layer<Emulator | HttpClient.HttpClient> => {
  const vaultUrl = (options.vaultUrl ?? "https://emulator.vault.azure.net").replace(/\/+$/, "")
  return Layer.unwrapEffect(Effect.gen(function*() {
    // The in-process vault has no startup failure modes except a broken data file, which is a defect here.
    const engine = yield* Effect.orDie(makeEngine(options))
    return Layer.merge(
      Layer.succeed(Emulator, { url: vaultUrl, certificatePem: undefined, engine }),
      Layer.succeed(HttpClient.HttpClient, inFiber.make(appFor(engine, options, "https")))
    )
  }))
}

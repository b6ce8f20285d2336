/**
 * A local, wire-faithful Azure Key Vault (secrets) emulator: socket server (HTTPS or HTTP), scoped Layer,
 * Promise API and an in-process handler/HttpClient that needs no sockets.
 *
 * @since 0.1.0
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as http from "node:http"
import * as https from "node:https"
import * as selfsigned from "selfsigned"
import * as httpApp from "./internal/httpApp.js"
import * as inFiber from "./internal/inFiber.js"
import * as persistence from "./internal/persistence.js"
import * as VaultEngine from "./VaultEngine.js"

/**
 * Emulator options. Every field is optional.
 *
 * @since 0.1.0
 * @category Models
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
  readonly consistencyDelay?: {
    /** GET /deletedsecrets/{n} 404s for this long after DELETE */
    readonly delete?: Duration.DurationInput
    /** GET /secrets/{n} 404s for this long after recover */
    readonly recover?: Duration.DurationInput
    /** restore/set of the name 409s for this long after purge */
    readonly purge?: Duration.DurationInput
  }
  /** persist state to this file (crash-safe: write temp, fsync, rename) */
  readonly dataFile?: string
}

/**
 * What a started emulator exposes.
 *
 * @since 0.1.0
 * @category Models
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
 */
export class Emulator extends Context.Tag("@effect-keyvault/emulator/Emulator")<Emulator, EmulatorInfo>() {}

/**
 * Failure to start the emulator (certificate, data file or listen error).
 *
 * @since 0.1.0
 * @category Errors
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
 */
export const DEFAULT_TENANT_ID: string = httpApp.DEFAULT_TENANT_ID

const LOOPBACK: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "::1"])

const makeEngine = (options: EmulatorOptions): Effect.Effect<VaultEngine.VaultEngine, EmulatorError> =>
  Effect.gen(function*() {
    const dataFile = options.dataFile
    const loaded = dataFile === undefined ? undefined : yield* Effect.try({
      try: () => persistence.load(dataFile),
      catch: (cause) => new EmulatorError({ message: `Cannot read data file ${dataFile}`, cause })
    })
    const engine = yield* VaultEngine.make({
      ...(options.recoveryLevel !== undefined ? { recoveryLevel: options.recoveryLevel } : {}),
      ...(options.recoverableDays !== undefined ? { recoverableDays: options.recoverableDays } : {}),
      ...(options.consistencyDelay !== undefined ? { consistencyDelay: options.consistencyDelay } : {}),
      ...(dataFile !== undefined ? { onChange: (s: VaultEngine.Snapshot) => persistence.save(dataFile, s) } : {})
    })
    if (loaded !== undefined) yield* engine.restoreSnapshot(loaded)
    else if (dataFile !== undefined) persistence.save(dataFile, yield* engine.snapshot)
    return engine
  })

const appFor = httpApp.makeAppFromOptions

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
                ? [/^[\d.]+$/.test(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host }]
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
    const app = appFor(engine, options, tls ? "https" : "http")
    const serverLayer = NodeHttpServer.layer(
      () => cert ? https.createServer({ key: cert.private, cert: cert.cert }) : http.createServer(),
      { port: options.port ?? 0, host }
    )
    const context = yield* Layer.build(HttpServer.serve(app).pipe(Layer.provideMerge(serverLayer))).pipe(
      Effect.mapError((cause) => new EmulatorError({ message: `Cannot listen on ${host}:${options.port ?? 0}`, cause }))
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    const port = address._tag === "TcpAddress" ? address.port : 0
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
 */
export const layer = (options?: EmulatorOptions): Layer.Layer<Emulator, EmulatorError> =>
  Layer.scoped(Emulator, start(options))

/**
 * Promise API for non-Effect callers.
 *
 * @since 0.1.0
 * @category Constructors
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
    const handler = HttpApp.toWebHandler(appFor(engine, options, "https"))
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

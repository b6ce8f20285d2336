/**
 * Test layers for code that uses `SecretClient`.
 *
 * `TestVault.layer()` gives a real `SecretClient` (the SDK's own request pipeline: challenge auth, retry,
 * paging, pollers, typed errors) talking to an in-process vault with the emulator's exact semantics —
 * no sockets, fresh state per layer build, and time that follows the test's `Clock`, so pollers, retry
 * backoff and consistency delays advance with `TestClock.adjust` instead of sleeping.
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient, SecretError } from "@effect-keyvault/secrets"
 * import { Effect, Redacted } from "effect"
 *
 * // The code under test: read a password, fall back to a default when it is missing
 * const password = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("db-password")).pipe(
 *   Effect.map((s) => Redacted.value(s.value)),
 *   Effect.catchTag("NotFound", () => Effect.succeed("default"))
 * )
 *
 * const test = Effect.gen(function*() {
 *   const vault = yield* TestVault.TestVault
 *   assert.strictEqual(yield* password, "s3cret")
 *   yield* vault.inject({
 *     operation: "getSecret",
 *     fail: new SecretError.NotFound({ vault: vault.vaultUrl, name: "db-password", status: 404, message: "gone" })
 *   })
 *   assert.strictEqual(yield* password, "default")
 *   assert.strictEqual((yield* vault.calls).length, 2)
 * }).pipe(Effect.provide(TestVault.layer({ seed: [{ name: "db-password", value: "s3cret" }] })))
 *
 * Effect.runPromise(test)
 * ```
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Credential from "@effect-keyvault/secrets/Credential"
import * as SecretClient from "@effect-keyvault/secrets/SecretClient"
import type * as SecretError from "@effect-keyvault/secrets/SecretError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import type * as Emulator from "./Emulator.js"
import * as httpApp from "./internal/httpApp.js"
import * as inFiber from "./internal/inFiber.js"
import * as VaultEngine from "./VaultEngine.js"

/**
 * The operations of `SecretClient`, as named there. `sendRequest` is classified by its method and path.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Make only listing fail, with a 503 the client will retry
 * const op: TestVault.Operation = "listPropertiesOfSecrets"
 * const flaky = Effect.flatMap(TestVault.TestVault, (vault) => vault.inject({ operation: op, status: 503 }))
 * ```
 */
export type Operation =
  | "setSecret"
  | "getSecret"
  | "updateSecretProperties"
  | "deleteSecret"
  | "getDeletedSecret"
  | "purgeDeletedSecret"
  | "recoverDeletedSecret"
  | "backupSecret"
  | "restoreSecretBackup"
  | "listPropertiesOfSecrets"
  | "listPropertiesOfSecretVersions"
  | "listDeletedSecrets"

/**
 * A secret the vault starts with.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { Redacted } from "effect"
 *
 * const seed: ReadonlyArray<TestVault.Seed> = [
 *   { name: "db-password", value: Redacted.make("s3cret"), contentType: "text/plain" },
 *   { name: "old-key", value: "x", enabled: false, tags: { owner: "team-a" } },
 *   // A certificate-backed secret (read-only over REST, like the service's)
 *   {
 *     name: "tls-cert",
 *     value: "MIIK...",
 *     contentType: "application/x-pkcs12",
 *     managed: true,
 *     kid: "https://test.vault.azure.net/keys/tls-cert/0123456789abcdef0123456789abcdef"
 *   }
 * ]
 * const program = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("db-password")).pipe(
 *   Effect.provide(TestVault.layer({ seed }))
 * )
 * Effect.runPromise(program).then((s) => assert.strictEqual(Redacted.value(s.value), "s3cret"))
 * ```
 */
export interface Seed {
  readonly name: string
  readonly value: string | Redacted.Redacted<string>
  readonly contentType?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly enabled?: boolean | undefined
  readonly notBefore?: Date | undefined
  readonly expiresOn?: Date | undefined
  /**
   * A certificate-backed secret: `managed: true` on the wire, and set, update and delete answer
   * 403 `Forbidden` / `SecretManagedByKeyVault` as the service does. Seeding the same name again adds a
   * version (a certificate renewal) whose `previousVersion` is the one before.
   */
  readonly managed?: boolean | undefined
  /** The key behind the certificate (`certificateKeyId` on the client's model). */
  readonly kid?: string | undefined
  /** The previous certificate's version (api 2025-07-01+); defaults as described at `managed`. */
  readonly previousVersion?: string | undefined
}

/**
 * A fault to inject. `operation` / `name` select the calls (both optional: all operations, any name;
 * names compare case-insensitively like Key Vault's). Exactly one of `fail`, `status` or `latency`
 * says what happens:
 * - `fail`: the `SecretClient` call fails with this typed error (no request is sent);
 * - `status`: the vault answers this HTTP status with a Key Vault-shaped error body (and `Retry-After`
 *   when `retryAfter` is set), so the SDK's real retry and error mapping run;
 * - `latency`: each matching HTTP request is delayed (on the test's clock) before the vault answers.
 *
 * `times` is how many matching calls (for `fail`) or HTTP requests (for `status` / `latency`) the fault
 * applies to: a number (default 1) or `"always"`.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * const faults: ReadonlyArray<TestVault.Fault> = [
 *   // two throttled answers, then the real one: the client's retry policy handles them
 *   { operation: "getSecret", status: 429, retryAfter: "1 second", times: 2 },
 *   // setSecret("locked") always fails with a typed error, without any HTTP
 *   {
 *     operation: "setSecret",
 *     name: "locked",
 *     times: "always",
 *     fail: new SecretError.Forbidden({ vault: "https://test.vault.azure.net", status: 403, message: "denied" })
 *   }
 * ]
 * const arrange = Effect.flatMap(TestVault.TestVault, (vault) => Effect.forEach(faults, vault.inject))
 * ```
 */
export interface Fault {
  readonly operation?: Operation | undefined
  readonly name?: string | undefined
  readonly times?: number | "always" | undefined
  readonly fail?: SecretError.SecretError | undefined
  readonly status?: number | undefined
  readonly code?: string | undefined
  readonly message?: string | undefined
  readonly retryAfter?: Duration.DurationInput | undefined
  readonly latency?: Duration.DurationInput | undefined
}

/**
 * One `SecretClient` call seen by the test vault.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const vault = yield* TestVault.TestVault
 *   yield* client.setSecret("a", "1")
 *   yield* Effect.either(client.getSecret("b"))
 *   const calls: ReadonlyArray<TestVault.Call> = yield* vault.calls
 *   return calls.map((c) => `${c.operation}(${c.name})`)
 * }).pipe(Effect.provide(TestVault.layer()))
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, ["setSecret(a)", "getSecret(b)"]))
 * ```
 */
export interface Call {
  readonly operation: Operation | "sendRequest"
  readonly name: string | undefined
}

/**
 * One HTTP exchange between the SDK and the vault (challenge round trips and retries included).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // The first request of a client is the unauthenticated challenge round trip
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const vault = yield* TestVault.TestVault
 *   yield* client.setSecret("a", "1")
 *   const exchanges: ReadonlyArray<TestVault.Exchange> = yield* vault.exchanges
 *   return exchanges.map((x) => `${x.method} ${x.path} ${x.status}`)
 * }).pipe(Effect.provide(TestVault.layer()))
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, ["PUT /secrets/a 401", "PUT /secrets/a 200"]))
 * ```
 */
export interface Exchange {
  readonly method: string
  readonly path: string
  readonly operation: Operation | undefined
  readonly name: string | undefined
  readonly status: number
  /** True when the response came from an injected fault. */
  readonly injected: boolean
}

/**
 * The test handle: the vault engine, fault injection and the record of calls and HTTP exchanges.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const vault: TestVault.Service = yield* TestVault.TestVault
 *   yield* vault.engine.setSecret("seeded", { value: "v" }) // straight into the vault, no HTTP
 *   yield* vault.inject({ operation: "getSecret", status: 500, times: "always" })
 *   yield* vault.clearFaults
 *   const client = yield* SecretClient.SecretClient
 *   return (yield* client.getSecret("seeded")).properties.vaultUrl === vault.vaultUrl
 * }).pipe(Effect.provide(TestVault.layer()))
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, true))
 * ```
 */
export interface Service {
  /** The vault behind the client: seed it, inspect it. */
  readonly engine: VaultEngine.VaultEngine
  readonly vaultUrl: string
  /** Add a fault; faults are consulted in the order they were added. */
  readonly inject: (fault: Fault) => Effect.Effect<void>
  /** Remove every fault that is still active. */
  readonly clearFaults: Effect.Effect<void>
  /** `SecretClient` calls so far, in order. */
  readonly calls: Effect.Effect<ReadonlyArray<Call>>
  /** HTTP exchanges so far, in order. */
  readonly exchanges: Effect.Effect<ReadonlyArray<Exchange>>
}

/**
 * The tag of the test handle {@link Service}.
 *
 * @since 0.1.0
 * @category Context
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // A missing secret: the code under test must fall back
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const value = yield* client.getSecret("feature-flags").pipe(
 *     Effect.map((s) => s.value),
 *     Effect.catchTag("NotFound", () => Effect.succeed(undefined))
 *   )
 *   const vault = yield* TestVault.TestVault
 *   return { value, calls: (yield* vault.calls).length }
 * }).pipe(Effect.provide(TestVault.layer()))
 * Effect.runPromise(program).then((result) => assert.deepStrictEqual(result, { value: undefined, calls: 1 }))
 * ```
 */
export class TestVault extends Context.Tag("@effect-keyvault/emulator/TestVault")<TestVault, Service>() {}

/**
 * Options of {@link layer}: seed data, vault behaviour and client options.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const options: TestVault.TestVaultOptions = {
 *   seed: [{ name: "api-key", value: "abc" }],
 *   recoverableDays: 7,
 *   consistencyDelay: { delete: "2 seconds" },
 *   client: { apiVersion: "7.6" }
 * }
 * const TestLive = TestVault.layer(options)
 * ```
 */
export interface TestVaultOptions extends
  Pick<
    Emulator.EmulatorOptions,
    "recoveryLevel" | "recoverableDays" | "consistencyDelay" | "tenantId" | "challengeResource" | "throttle"
  >
{
  /** Secrets present at start (each becomes one version). */
  readonly seed?: ReadonlyArray<Seed> | undefined
  /** Default `https://test.vault.azure.net`: a Key Vault host, so challenge verification runs as in production. */
  readonly vaultUrl?: string | undefined
  /** Passed to `SecretClient.layer`. */
  readonly client?: Omit<SecretClient.SecretClientOptions, "vaultUrl"> | undefined
}

/**
 * Which operation (and secret name) an HTTP request is, from its method and path.
 *
 * @since 0.1.0
 * @category Utils
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 *
 * assert.deepStrictEqual(TestVault.classify("GET", "/secrets/db/versions"), { operation: "listPropertiesOfSecretVersions", name: "db" })
 * assert.deepStrictEqual(TestVault.classify("POST", "/secrets/restore"), { operation: "restoreSecretBackup", name: undefined })
 * ```
 */
export const classify = (
  method: string,
  path: string
): { readonly operation: Operation | undefined; readonly name: string | undefined } => {
  const segments = path.split("/").filter((s, i) => i > 0 || s !== "").map((s) => decodeURIComponent(s))
  const [collection, name, rest] = segments
  const m = method.toUpperCase()
  if (collection === "secrets") {
    if (name === undefined || name === "") return { operation: m === "GET" ? "listPropertiesOfSecrets" : undefined, name }
    if (name === "restore" && m === "POST") return { operation: "restoreSecretBackup", name: undefined }
    if (rest === "versions" && m === "GET") return { operation: "listPropertiesOfSecretVersions", name }
    if (rest === "backup" && m === "POST") return { operation: "backupSecret", name }
    if (m === "PUT") return { operation: "setSecret", name }
    if (m === "GET") return { operation: "getSecret", name }
    if (m === "PATCH") return { operation: "updateSecretProperties", name }
    if (m === "DELETE") return { operation: "deleteSecret", name }
  }
  if (collection?.toLowerCase() === "deletedsecrets") {
    if (name === undefined || name === "") return { operation: m === "GET" ? "listDeletedSecrets" : undefined, name }
    if (rest === "recover" && m === "POST") return { operation: "recoverDeletedSecret", name }
    if (m === "GET") return { operation: "getDeletedSecret", name }
    if (m === "DELETE") return { operation: "purgeDeletedSecret", name }
  }
  return { operation: undefined, name }
}

interface ActiveFault {
  readonly fault: Fault
  remaining: number
}

const matches = (fault: Fault, operation: Operation | undefined, name: string | undefined) =>
  (fault.operation === undefined || fault.operation === operation) &&
  (fault.name === undefined || (name !== undefined && fault.name.toLowerCase() === name.toLowerCase()))

/** Takes one use of the first matching fault of the given kind, if any. */
const take = (
  faults: Ref.Ref<ReadonlyArray<ActiveFault>>,
  kind: "fail" | "http",
  operation: Operation | undefined,
  name: string | undefined
) =>
  Ref.modify(faults, (all): readonly [Fault | undefined, ReadonlyArray<ActiveFault>] => {
    const found = all.find((f) =>
      (kind === "fail" ? f.fault.fail !== undefined : f.fault.fail === undefined) &&
      matches(f.fault, operation, name)
    )
    if (found === undefined) return [undefined, all]
    found.remaining -= 1
    return [found.fault, all.filter((f) => f.remaining > 0)]
  })

const defaultCode = (status: number) =>
  status === 429
    ? "Throttled"
    : status === 404
    ? "SecretNotFound"
    : status === 403
    ? "Forbidden"
    : status === 409
    ? "Conflict"
    : status === 401
    ? "Unauthorized"
    : status >= 500
    ? "InternalServerError"
    : "BadParameter"

const faultResponse = (request: HttpClientRequest.HttpClientRequest, fault: Fault, status: number) => {
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "x-ms-request-id": crypto.randomUUID()
  }
  if (fault.retryAfter !== undefined) {
    headers["retry-after"] = String(Math.ceil(Duration.toMillis(Duration.decode(fault.retryAfter)) / 1000))
  }
  const body = JSON.stringify({
    error: {
      code: fault.code ?? defaultCode(status),
      message: fault.message ?? (status === 429
        ? "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"
        : `Injected fault: HTTP ${status}`)
    }
  })
  return HttpClientResponse.fromWeb(request, new Response(body, { status, headers }))
}

/** Answers a request from an injected `status` / `latency` fault, before the vault sees it. */
const interceptWith = (
  faults: Ref.Ref<ReadonlyArray<ActiveFault>>,
  exchanges: Ref.Ref<ReadonlyArray<Exchange>>
): inFiber.Intercept =>
(request, url) =>
  Effect.gen(function*() {
    const { name, operation } = classify(request.method, url.pathname)
    const fault = yield* take(faults, "http", operation, name)
    if (fault?.latency !== undefined) yield* Effect.sleep(fault.latency)
    if (fault?.status === undefined) return undefined
    yield* recordWith(exchanges, true)(request, url, fault.status)
    return faultResponse(request, fault, fault.status)
  })

const recordWith = (exchanges: Ref.Ref<ReadonlyArray<Exchange>>, injected = false) =>
(request: HttpClientRequest.HttpClientRequest, url: URL, status: number) => {
  const { name, operation } = classify(request.method, url.pathname)
  return Ref.update(exchanges, (all) => [
    ...all,
    { method: request.method, path: url.pathname, operation, name, status, injected }
  ])
}

const effectOperations = [
  "setSecret",
  "getSecret",
  "updateSecretProperties",
  "deleteSecret",
  "beginDeleteSecret",
  "getDeletedSecret",
  "purgeDeletedSecret",
  "recoverDeletedSecret",
  "beginRecoverDeletedSecret",
  "backupSecret",
  "restoreSecretBackup"
] as const

const streamOperations = [
  "listPropertiesOfSecrets",
  "listPropertiesOfSecretsPages",
  "listPropertiesOfSecretVersions",
  "listPropertiesOfSecretVersionsPages",
  "listDeletedSecrets",
  "listDeletedSecretsPages"
] as const

const operationOf = (method: string): Operation =>
  method === "beginDeleteSecret"
    ? "deleteSecret"
    : method === "beginRecoverDeletedSecret"
    ? "recoverDeletedSecret"
    : method.replace(/Pages$/, "") as Operation

/** Wraps every operation of the real client: records the call, then applies a matching `fail` fault. */
const instrument = (
  client: SecretClient.Service,
  faults: Ref.Ref<ReadonlyArray<ActiveFault>>,
  calls: Ref.Ref<ReadonlyArray<Call>>
): SecretClient.Service => {
  const gate = (method: string, args: ReadonlyArray<unknown>) => {
    const operation = operationOf(method)
    const name = operation === "restoreSecretBackup" || operation === "listPropertiesOfSecrets" ||
        operation === "listDeletedSecrets"
      ? undefined
      : typeof args[0] === "string"
      ? args[0]
      : undefined
    return Ref.update(calls, (all) => [...all, { operation, name }]).pipe(
      Effect.zipRight(take(faults, "fail", operation, name)),
      Effect.flatMap((fault) => fault?.fail !== undefined ? Effect.fail(fault.fail) : Effect.void)
    )
  }
  const wrapped: Record<string, unknown> = { ...client }
  for (const method of effectOperations) {
    const original = client[method] as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>
    wrapped[method] = (...args: ReadonlyArray<unknown>) =>
      gate(method, args).pipe(Effect.zipRight(Effect.suspend(() => original(...args))))
  }
  for (const method of streamOperations) {
    const original = client[method] as (...args: ReadonlyArray<unknown>) => Stream.Stream<unknown, unknown>
    wrapped[method] = (...args: ReadonlyArray<unknown>) =>
      Stream.unwrap(gate(method, args).pipe(Effect.as(Stream.suspend(() => original(...args)))))
  }
  // Bulk reads go through the instrumented getSecret: each name is a recorded call that faults apply to.
  const getSecret = wrapped.getSecret as SecretClient.Service["getSecret"]
  Object.assign(wrapped, SecretClient.bulkReads({ vaultUrl: client.vaultUrl, getSecret }))
  wrapped.sendRequest = (request: HttpClientRequest.HttpClientRequest) =>
    Ref.update(calls, (all) => [...all, { operation: "sendRequest" as const, name: undefined }]).pipe(
      Effect.zipRight(client.sendRequest(request))
    )
  return wrapped as unknown as SecretClient.Service
}

const toEpoch = (d: Date | undefined) => d === undefined ? undefined : Math.floor(d.getTime() / 1000)

/**
 * A `SecretClient` backed by a fresh in-process vault, plus the {@link TestVault} handle to inject faults
 * and inspect calls. Each build of the layer is a new, empty (or seeded) vault.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { TestVault } from "@effect-keyvault/emulator"
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { TestClock } from "effect"
 *
 * // Throttled twice: the real retry pipeline waits on the TestClock, no real sleeping
 * const program = Effect.gen(function*() {
 *   const vault = yield* TestVault.TestVault
 *   const client = yield* SecretClient.SecretClient
 *   yield* vault.inject({ operation: "getSecret", status: 429, retryAfter: "2 seconds", times: 2 })
 *   const fiber = yield* Effect.fork(client.getSecret("db-password"))
 *   yield* TestClock.adjust("4 seconds")
 *   return (yield* fiber).name
 * }).pipe(Effect.provide(TestVault.layer({ seed: [{ name: "db-password", value: "s3cret" }] })))
 * ```
 */
export const layer = (options: TestVaultOptions = {}): Layer.Layer<SecretClient.SecretClient | TestVault> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const vaultUrl = (options.vaultUrl ?? "https://test.vault.azure.net").replace(/\/+$/, "")
    const engine = yield* VaultEngine.make({
      ...(options.recoveryLevel !== undefined ? { recoveryLevel: options.recoveryLevel } : {}),
      ...(options.recoverableDays !== undefined ? { recoverableDays: options.recoverableDays } : {}),
      ...(options.consistencyDelay !== undefined ? { consistencyDelay: options.consistencyDelay } : {})
    })
    if (options.seed !== undefined && options.seed.length > 0) {
      yield* Effect.orDie(engine.seed(options.seed.map((s) => ({
        name: s.name,
        value: Redacted.isRedacted(s.value) ? Redacted.value(s.value) : s.value,
        contentType: s.contentType,
        tags: s.tags,
        enabled: s.enabled,
        nbf: toEpoch(s.notBefore),
        exp: toEpoch(s.expiresOn),
        managed: s.managed,
        kid: s.kid,
        previousVersion: s.previousVersion
      }))))
    }
    const app = httpApp.makeAppFromOptions(engine, options, "https")
    const faults = yield* Ref.make<ReadonlyArray<ActiveFault>>([])
    const calls = yield* Ref.make<ReadonlyArray<Call>>([])
    const exchanges = yield* Ref.make<ReadonlyArray<Exchange>>([])
    const service: Service = {
      engine,
      vaultUrl,
      inject: (fault) =>
        Ref.update(faults, (all) => [...all, {
          fault,
          remaining: fault.times === "always" ? Number.POSITIVE_INFINITY : Math.max(1, fault.times ?? 1)
        }]),
      clearFaults: Ref.set(faults, []),
      calls: Ref.get(calls),
      exchanges: Ref.get(exchanges)
    }
    const client = Layer.effect(
      SecretClient.SecretClient,
      SecretClient.make({ ...options.client, vaultUrl }).pipe(
        // Invalid client options in a test fixture are a programming error.
        Effect.orDie,
        Effect.map((c) => instrument(c, faults, calls))
      )
    ).pipe(
      Layer.provide(Credential.layerStatic("test-vault-token")),
      Layer.provide(Layer.succeed(
        HttpClient.HttpClient,
        inFiber.make(app, { intercept: interceptWith(faults, exchanges), onResponse: recordWith(exchanges) })
      ))
    )
    return Layer.merge(client, Layer.succeed(TestVault, service))
  }))

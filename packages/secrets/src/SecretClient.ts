/**
 * `SecretClient`: every Key Vault secrets operation as a typed Effect.
 *
 * Any `@effect/platform` `HttpClient` works. On Node the cheapest per request is this package's
 * `UndiciHttpClient` (optional peer `undici`); `NodeHttpClient.layerUndici` and `FetchHttpClient` cost more
 * client CPU per request (`pnpm bench`, bench/README.md); `FetchHttpClient` gives the smallest bundle.
 *
 * Redirects are never followed, on any transport (Key Vault never redirects): the client runs `fetch` with
 * `redirect: "manual"` (a custom `FetchHttpClient.Fetch` is honoured when it is in the context of the calls),
 * and any 3xx fails as `HttpError`.
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import * as UndiciHttpClient from "@effect-keyvault/secrets/UndiciHttpClient"
 * import { Effect, Layer, Stream } from "effect"
 *
 * const SecretsLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(UndiciHttpClient.layer)
 * )
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   yield* client.setSecret("db-password", "s3cret", { contentType: "text/plain" })
 *   const names = yield* client.listPropertiesOfSecrets().pipe(Stream.map((p) => p.name), Stream.runCollect)
 *   yield* Effect.logInfo(`vault has ${names.length} secrets`)
 * }).pipe(Effect.provide(SecretsLive))
 * ```
 *
 * @since 0.1.0
 */
import type * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Chunk from "effect/Chunk"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as ApiVersion from "./ApiVersion.js"
import * as Credential from "./Credential.js"
import * as Bulk from "./internal/bulk.js"
import * as Operation from "./internal/operation.js"
import * as Pipeline from "./internal/pipeline.js"
import * as Redaction from "./internal/redaction.js"
import * as Transform from "./internal/transform.js"
import * as Validate from "./internal/validate.js"
import { userAgentToken } from "./internal/version.js"
import type { ContentType, DeletedSecret, KeyVaultSecret, SecretProperties } from "./KeyVaultSecret.js"
import * as PollingPolicy from "./PollingPolicy.js"
import * as Poller from "./Poller.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as SecretError from "./SecretError.js"

/**
 * Options for {@link make} and the layers: where the vault is and how to talk to it.
 *
 * Redirects are never followed on any transport (`fetch` runs with `redirect: "manual"`): a 3xx fails as
 * `HttpError`, so neither the token nor a request body is re-sent elsewhere.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * const options: SecretClient.SecretClientOptions = {
 *   vaultUrl: "http://127.0.0.1:8080",
 *   apiVersion: "7.6",
 *   allowInsecureLoopback: true, // plain HTTP is accepted for loopback only
 *   timeout: "10 seconds"
 * }
 * const ClientLive = SecretClient.layer(options).pipe(
 *   Layer.provide(Credential.layerStatic("emulator-token")),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 */
export interface SecretClientOptions {
  /**
   * `https://<vault>.vault.azure.net`. The port and a path are kept (a vault behind a path-based gateway such as
   * `https://apim.example.com/kv` gets `https://apim.example.com/kv/secrets/...`); a trailing slash, query and
   * fragment are dropped.
   */
  readonly vaultUrl: string
  /** Default: {@link ApiVersion.latest} (2026-04-01). */
  readonly apiVersion?: ApiVersion.ApiVersion | undefined
  /**
   * Check that the challenge resource matches the vault host: the vault host must end with `.` + the resource
   * host, on the same port, before a token is requested. Default: true.
   *
   * SECURITY NOTE: with `false` the client asks its credential for a token for whatever resource the server's
   * 401 challenge names and sends it to that server. Any server reachable at `vaultUrl` (a mistyped or
   * attacker-supplied URL, a hijacked DNS name) can then obtain a bearer token for another resource, e.g.
   * `https://vault.azure.net`, and replay it against your real vaults (CWE-346, origin validation error; OWASP
   * A07). Disable it only for a trusted endpoint that cannot be verified (a local emulator on 127.0.0.1, a
   * gateway), never for a URL from untrusted input.
   */
  readonly verifyChallengeResource?: boolean | undefined
  /** Allow plain HTTP, and only to loopback addresses (emulators, tests). Default: false. */
  readonly allowInsecureLoopback?: boolean | undefined
  /** Goes before `effect-keyvault/<version>` in the User-Agent. */
  readonly userAgentPrefix?: string | undefined
  /**
   * Per-attempt timeout, up to the last byte of the body; a timeout counts as a transport error (and is
   * retried). Also bounds each token request to the credential (then a `CredentialError`).
   */
  readonly timeout?: Duration.DurationInput | undefined
  /** Last-mile customisation of the HttpClient (tracing, proxies, ...). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * Errors every service call may fail with.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Turn any service failure into a log line plus a fallback value
 * const handle = <A>(self: Effect.Effect<A, SecretClient.ServiceErrors>, fallback: A) =>
 *   self.pipe(Effect.tapError((e) => Effect.logWarning(e._tag)), Effect.orElseSucceed(() => fallback))
 * ```
 */
export type ServiceErrors =
  | SecretError.NotFound
  | SecretError.Forbidden
  | SecretError.Exists
  | SecretError.InvalidArgument
  | SecretError.RequestErrors

type Base = SecretError.InvalidArgument | SecretError.RequestErrors

/**
 * Errors of `setSecret` (`Exists` is a conflict, e.g. the name is deleted but not purged).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const create = (name: string, value: string): Effect.Effect<string, SecretClient.SetSecretError, SecretClient.SecretClient> =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.setSecret(name, value)).pipe(
 *     Effect.map((secret) => secret.properties.version ?? "")
 *   )
 * ```
 */
export type SetSecretError = SecretError.Exists | SecretError.Forbidden | Base
/**
 * Errors of `getSecret`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // A missing secret becomes None; other failures stay typed
 * const find = (name: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.getSecret(name)).pipe(
 *     Effect.asSome,
 *     Effect.catchTag("NotFound", () => Effect.succeedNone)
 *   )
 * ```
 */
export type GetSecretError = SecretError.NotFound | SecretError.Forbidden | Base
/**
 * Errors of `updateSecretProperties`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const disable = (name: string): Effect.Effect<void, SecretClient.UpdateSecretPropertiesError, SecretClient.SecretClient> =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.updateSecretProperties(name, { enabled: false }))
 * ```
 */
export type UpdateSecretPropertiesError = SecretError.NotFound | SecretError.Forbidden | Base
/**
 * Errors of `beginDeleteSecret` (the initial DELETE) and of each poll step.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const startDelete = (name: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.beginDeleteSecret(name)).pipe(
 *     Effect.catchTag("NotFound", () => Effect.logInfo(`${name} was already gone`))
 *   )
 * ```
 */
export type BeginDeleteSecretError = SecretError.NotFound | SecretError.Forbidden | SecretError.Exists | Base
/**
 * Errors of `deleteSecret`: the initial request and each poll, plus `PollingTimeout`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const remove = (name: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.deleteSecret(name)).pipe(
 *     Effect.catchTag("PollingTimeout", () => Effect.logWarning("delete is still running on the service"))
 *   )
 * ```
 */
export type DeleteSecretError = BeginDeleteSecretError | SecretError.PollingTimeout
/**
 * Errors of `getDeletedSecret`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const scheduledPurge = (name: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.getDeletedSecret(name)).pipe(
 *     Effect.map((deleted) => deleted.scheduledPurgeDate)
 *   )
 * ```
 */
export type GetDeletedSecretError = SecretError.NotFound | SecretError.Forbidden | Base
/**
 * Errors of `purgeDeletedSecret` (`Exists` while the delete is still in progress).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const purge = (name: string): Effect.Effect<void, SecretClient.PurgeDeletedSecretError, SecretClient.SecretClient> =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.purgeDeletedSecret(name))
 * ```
 */
export type PurgeDeletedSecretError = SecretError.NotFound | SecretError.Forbidden | SecretError.Exists | Base
/**
 * Errors of `beginRecoverDeletedSecret` (the initial POST) and of each poll step.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const startRecover = (name: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.beginRecoverDeletedSecret(name)).pipe(
 *     Effect.flatMap((poller) => poller.pollUntilDone)
 *   )
 * ```
 */
export type BeginRecoverDeletedSecretError = SecretError.NotFound | SecretError.Forbidden | SecretError.Exists | Base
/**
 * Errors of `recoverDeletedSecret`: the initial request and each poll, plus `PollingTimeout`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const recover = (name: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.recoverDeletedSecret(name)).pipe(
 *     Effect.catchTag("NotFound", () => Effect.dieMessage(`${name} is not in the deleted list`))
 *   )
 * ```
 */
export type RecoverDeletedSecretError = BeginRecoverDeletedSecretError | SecretError.PollingTimeout
/**
 * Errors of `backupSecret`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const backup = (name: string): Effect.Effect<Uint8Array, SecretClient.BackupSecretError, SecretClient.SecretClient> =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.backupSecret(name))
 * ```
 */
export type BackupSecretError = SecretError.NotFound | SecretError.Forbidden | Base
/**
 * Errors of `restoreSecretBackup`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Restoring over an existing name fails with Exists
 * const restore = (bytes: Uint8Array) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.restoreSecretBackup(bytes)).pipe(
 *     Effect.catchTag("Exists", () => Effect.logInfo("already restored"))
 *   )
 * ```
 */
export type RestoreSecretBackupError = SecretError.Exists | SecretError.Forbidden | Base
/**
 * Listing never yields 404 (versions of an unknown name are an empty list).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { Stream } from "effect"
 *
 * const names: Stream.Stream<string, SecretClient.ListError, SecretClient.SecretClient> = Stream.unwrap(
 *   Effect.map(SecretClient.SecretClient, (client) => client.listPropertiesOfSecrets())
 * ).pipe(Stream.map((p) => p.name))
 * ```
 */
export type ListError = SecretError.Forbidden | Base

/**
 * Attributes to set with a new secret version.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const options: SecretClient.SetSecretOptions = {
 *   contentType: "text/plain",
 *   expiresOn: new Date(Date.UTC(2030, 0, 1)),
 *   tags: { owner: "payments" }
 * }
 * const set = Effect.flatMap(SecretClient.SecretClient, (client) => client.setSecret("db-password", "hunter2", options))
 * ```
 */
export interface SetSecretOptions {
  readonly contentType?: string | undefined
  readonly enabled?: boolean | undefined
  readonly notBefore?: DateTime.DateTime | Date | undefined
  readonly expiresOn?: DateTime.DateTime | Date | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
}

/**
 * Which version to read, and (2025-07-01+) how to convert certificate-backed secrets.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const options: SecretClient.GetSecretOptions = { version: "4387e9f3d6e14c459867679a90fd0f79" }
 * const pinned = Effect.flatMap(SecretClient.SecretClient, (client) => client.getSecret("db-password", options))
 * ```
 */
export interface GetSecretOptions {
  /** Omit (or "") for the latest version. */
  readonly version?: string | undefined
  /** 2025-07-01+: convert a certificate-backed secret (`application/x-pem-file` / `application/x-pkcs12`). */
  readonly outContentType?: ContentType | undefined
}

/**
 * Options of {@link Service.getSecrets} and {@link Service.getSecretsStream}.
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const options: SecretClient.GetSecretsOptions = { concurrency: 16 }
 * const load = Effect.flatMap(SecretClient.SecretClient, (client) => client.getSecrets(["db-password", "api-key"], options))
 * ```
 */
export interface GetSecretsOptions {
  /** Reads in flight at once: an integer in 1..256, default 8. */
  readonly concurrency?: number | undefined
}

/**
 * One name's outcome in a bulk read: the secret, or the typed error of that name alone.
 *
 * @since 0.2.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect, Either } from "effect"
 *
 * const missing = (results: ReadonlyArray<SecretClient.GetSecretsResult>) =>
 *   results.filter((r) => Either.isLeft(r.result)).map((r) => r.name)
 * const program = Effect.flatMap(SecretClient.SecretClient, (client) => client.getSecrets(["a", "b"])).pipe(
 *   Effect.map(missing)
 * )
 * ```
 */
export interface GetSecretsResult {
  /** The name as given. */
  readonly name: string
  readonly result: Either.Either<KeyVaultSecret, GetSecretError>
}

/**
 * The properties to change on one version (the value itself cannot be updated).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const options: SecretClient.UpdateSecretPropertiesOptions = { contentType: "application/json", tags: { rotated: "yes" } }
 * const update = Effect.flatMap(SecretClient.SecretClient, (client) => client.updateSecretProperties("config", options))
 * ```
 */
export interface UpdateSecretPropertiesOptions extends SetSecretOptions {
  /** Omit (or "") to update the latest version. */
  readonly version?: string | undefined
}

/**
 * Options for the `begin*` operations.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Start a delete, remember where it is, and resume polling later (e.g. in another process)
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const poller = yield* client.beginDeleteSecret("old-key")
 *   const saved = yield* poller.serialize
 *   const resumed = yield* client.beginDeleteSecret("old-key", { resumeFrom: saved })
 *   return yield* resumed.pollUntilDone
 * })
 * ```
 */
export interface PollerOptions {
  /** A string from `Poller.serialize`: skip the initial request and continue polling. */
  readonly resumeFrom?: string | undefined
}

/**
 * Options for list operations.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { Stream } from "effect"
 *
 * const options: SecretClient.ListOptions = { maxPageSize: 10 }
 * const firstPage = Stream.unwrap(
 *   Effect.map(SecretClient.SecretClient, (client) => client.listPropertiesOfSecretsPages(options))
 * ).pipe(Stream.take(1), Stream.runCollect)
 * ```
 */
export interface ListOptions {
  /** 1..25 items per page (`maxresults`). */
  readonly maxPageSize?: number | undefined
  /**
   * How many empty pages in a row (each with a `nextLink`) are followed before the listing fails with
   * `MalformedResponse`: the service may return a few, a faulty or hostile server could return them forever.
   * A positive integer, or `Infinity` for no bound. Default: {@link defaultMaxConsecutiveEmptyPages} (100).
   */
  readonly maxConsecutiveEmptyPages?: number | undefined
}

/**
 * The default bound on consecutive empty pages in a listing (see {@link ListOptions}).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 *
 * // Be more patient than the default with a vault known to return long runs of empty pages
 * const options: SecretClient.ListOptions = { maxConsecutiveEmptyPages: 4 * SecretClient.defaultMaxConsecutiveEmptyPages }
 * ```
 */
export const defaultMaxConsecutiveEmptyPages = 100

/**
 * List options plus a continuation token to resume from.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { Stream } from "effect"
 *
 * // Continue a listing from a token saved earlier
 * const nextPage = (token: string) => {
 *   const options: SecretClient.PageOptions = { continuationToken: token, maxPageSize: 25 }
 *   return Stream.unwrap(Effect.map(SecretClient.SecretClient, (c) => c.listPropertiesOfSecretsPages(options))).pipe(
 *     Stream.runHead
 *   )
 * }
 * ```
 */
export interface PageOptions extends ListOptions {
  /** A `continuationToken` from a previous page: start there. */
  readonly continuationToken?: string | undefined
}

/**
 * One page of a list operation. `continuationToken` is the service's `nextLink` (absent on the last page).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { Stream } from "effect"
 *
 * // Collect names page by page, stopping after three pages
 * const program = Stream.unwrap(
 *   Effect.map(SecretClient.SecretClient, (client) => client.listPropertiesOfSecretsPages({ maxPageSize: 5 }))
 * ).pipe(
 *   Stream.take(3),
 *   Stream.map((page: SecretClient.Page<{ readonly name: string }>) => page.items.map((p) => p.name)),
 *   Stream.runCollect
 * )
 * ```
 */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly continuationToken: string | undefined
}

/**
 * Every secrets operation of one vault. Values are `Redacted`; failures are typed per operation.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { Redacted } from "effect"
 *
 * const rotate = (name: string, next: Redacted.Redacted<string>) =>
 *   Effect.gen(function*() {
 *     const client: SecretClient.Service = yield* SecretClient.SecretClient
 *     const previous = yield* client.getSecret(name)
 *     const created = yield* client.setSecret(name, next, { contentType: previous.properties.contentType })
 *     return created.properties.version
 *   })
 * ```
 */
export interface Service {
  /** `scheme://host[:port][/path]` of the vault (no trailing slash). */
  readonly vaultUrl: string
  readonly apiVersion: ApiVersion.ApiVersion
  /** PUT /secrets/{name}: creates a new version. */
  readonly setSecret: (
    name: string,
    value: string | Redacted.Redacted<string>,
    options?: SetSecretOptions
  ) => Effect.Effect<KeyVaultSecret, SetSecretError>
  /** GET /secrets/{name}/{version}. */
  readonly getSecret: (name: string, options?: GetSecretOptions) => Effect.Effect<KeyVaultSecret, GetSecretError>
  /**
   * Read many secrets (latest versions) under a concurrency budget: one result per name, in input order, so one
   * missing or forbidden name never fails the batch. Names equal up to case are read once. Concurrent first
   * requests share one challenge round trip and one token. Fails only for an invalid `concurrency`.
   */
  readonly getSecrets: (
    names: Iterable<string>,
    options?: GetSecretsOptions
  ) => Effect.Effect<ReadonlyArray<GetSecretsResult>, SecretError.InvalidArgument>
  /** {@link Service.getSecrets} for large or streamed sets: results flow out in input order as they are read. */
  readonly getSecretsStream: <E = never, R = never>(
    names: Iterable<string> | Stream.Stream<string, E, R>,
    options?: GetSecretsOptions
  ) => Stream.Stream<GetSecretsResult, E | SecretError.InvalidArgument, R>
  /** PATCH /secrets/{name}/{version}: properties only, never the value. */
  readonly updateSecretProperties: (
    name: string,
    options?: UpdateSecretPropertiesOptions
  ) => Effect.Effect<SecretProperties, UpdateSecretPropertiesError>
  /** Delete and wait (PollingPolicy) until the service has finished. */
  readonly deleteSecret: (
    name: string
  ) => Effect.Effect<DeletedSecret, DeleteSecretError>
  /** Delete and return at once with a handle. */
  readonly beginDeleteSecret: (
    name: string,
    options?: PollerOptions
  ) => Effect.Effect<
    Poller.Poller<DeletedSecret, DeleteSecretError>,
    BeginDeleteSecretError
  >
  /** GET /deletedsecrets/{name}. */
  readonly getDeletedSecret: (name: string) => Effect.Effect<DeletedSecret, GetDeletedSecretError>
  /** DELETE /deletedsecrets/{name} (204). */
  readonly purgeDeletedSecret: (name: string) => Effect.Effect<void, PurgeDeletedSecretError>
  /** Recover and wait (PollingPolicy) until the secret is readable again. */
  readonly recoverDeletedSecret: (
    name: string
  ) => Effect.Effect<SecretProperties, RecoverDeletedSecretError>
  /** Recover and return at once with a handle. */
  readonly beginRecoverDeletedSecret: (
    name: string,
    options?: PollerOptions
  ) => Effect.Effect<
    Poller.Poller<SecretProperties, RecoverDeletedSecretError>,
    BeginRecoverDeletedSecretError
  >
  /** POST /secrets/{name}/backup: opaque bytes. */
  readonly backupSecret: (name: string) => Effect.Effect<Uint8Array, BackupSecretError>
  /** POST /secrets/restore. */
  readonly restoreSecretBackup: (backup: Uint8Array) => Effect.Effect<SecretProperties, RestoreSecretBackupError>
  /**
   * GET /secrets, following nextLink (also through empty pages, up to `maxConsecutiveEmptyPages` in a row; a
   * nextLink back to a page already fetched, or to another host or outside the vault's path, fails).
   */
  readonly listPropertiesOfSecrets: (options?: PageOptions) => Stream.Stream<SecretProperties, ListError>
  /** Page-level access to {@link Service.listPropertiesOfSecrets}. */
  readonly listPropertiesOfSecretsPages: (
    options?: PageOptions
  ) => Stream.Stream<Page<SecretProperties>, ListError>
  /** GET /secrets/{name}/versions. */
  readonly listPropertiesOfSecretVersions: (
    name: string,
    options?: PageOptions
  ) => Stream.Stream<SecretProperties, ListError>
  /** Page-level access to {@link Service.listPropertiesOfSecretVersions}. */
  readonly listPropertiesOfSecretVersionsPages: (
    name: string,
    options?: PageOptions
  ) => Stream.Stream<Page<SecretProperties>, ListError>
  /** GET /deletedsecrets. */
  readonly listDeletedSecrets: (options?: PageOptions) => Stream.Stream<DeletedSecret, ListError>
  /** Page-level access to {@link Service.listDeletedSecrets}. */
  readonly listDeletedSecretsPages: (options?: PageOptions) => Stream.Stream<Page<DeletedSecret>, ListError>
  /**
   * Send any request through the client's auth/retry pipeline. Relative URLs resolve against the vault;
   * `api-version` is added when missing. Error statuses are returned, not failed. The response is buffered
   * (readable in every form); its `request` is a copy without credentials or body, and it never prints its body.
   */
  readonly sendRequest: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, Pipeline.SendError>
}

/**
 * The tag of the {@link Service}.
 *
 * @since 0.1.0
 * @category Context
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   yield* client.setSecret("greeting", "hello")
 *   const secret = yield* client.getSecret("greeting")
 *   return Redacted.value(secret.value)
 * })
 *
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * const runnable = Effect.provide(program, ClientLive)
 * ```
 */
export class SecretClient extends Context.Tag("@effect-keyvault/secrets/SecretClient")<SecretClient, Service>() {}

/**
 * What one HTTP exchange of an operation answered: status, headers and the ids Azure support asks for.
 * Never the body (it may hold a value).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const describe = (info: SecretClient.ResponseInfo) =>
 *   `${info.operation}: ${info.status} from ${info.region ?? "?"} (request ${info.requestId ?? "?"})`
 * ```
 */
export interface ResponseInfo {
  /** The SDK operation (`getSecret`, `listPropertiesOfSecrets`, `pollDeleteSecret`, …). */
  readonly operation: string
  readonly method: string
  /** The request URL (vault, path, api-version; never a value). */
  readonly url: string
  readonly status: number
  /** All response headers (`Headers` redacts credentials when inspected). */
  readonly headers: Headers.Headers
  /** `x-ms-request-id`: the service's id for this request. */
  readonly requestId: string | undefined
  /** `x-ms-client-request-id` as sent (the same for every retry of one call). */
  readonly clientRequestId: string | undefined
  /** `x-ms-keyvault-region`. */
  readonly region: string | undefined
  /** `x-ms-keyvault-service-version`. */
  readonly serviceVersion: string | undefined
}

/**
 * Options for the calls inside {@link withRequestOptions}: extra request headers, and a hook that sees every
 * response the operation receives (after retries; one per page of a listing, one per poll of a poller).
 * They apply to requests sent while the wrapped Effect or Stream runs: a poller returned by `begin*` and
 * polled later needs its own `withRequestOptions` around `pollUntilDone`.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const options: SecretClient.RequestOptions = {
 *   headers: { "x-correlation-id": "order-4711" },
 *   onResponse: (info) => Effect.logDebug(`${info.operation} -> ${info.status} (${info.requestId})`)
 * }
 * ```
 */
export interface RequestOptions {
  /**
   * Added to every request. Headers the client manages cannot be set: {@link reservedHeaders}.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly onResponse?: ((info: ResponseInfo) => Effect.Effect<void>) | undefined
}

/**
 * Headers the client sets itself; {@link withRequestOptions} refuses them (`InvalidArgument`).
 *
 * @since 0.1.0
 * @category Constants
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 *
 * assert.ok(SecretClient.reservedHeaders.includes("authorization"))
 * ```
 */
export const reservedHeaders: ReadonlyArray<string> = [
  "authorization",
  "proxy-authorization",
  "host",
  "content-length",
  "content-type",
  "transfer-encoding",
  "connection",
  "expect",
  "accept",
  "user-agent",
  "x-ms-client-request-id"
]

/** The options in effect for the current fiber; read by every request a client sends. */
class CurrentRequestOptions extends Context.Reference<CurrentRequestOptions>()(
  "@effect-keyvault/secrets/SecretClient/CurrentRequestOptions",
  { defaultValue: (): RequestOptions => ({}) }
) {}

const responseInfo = (operation: string, res: HttpClientResponse.HttpClientResponse): ResponseInfo => ({
  operation,
  method: res.request.method,
  url: res.request.url,
  status: res.status,
  headers: res.headers,
  requestId: res.headers["x-ms-request-id"],
  clientRequestId: res.request.headers["x-ms-client-request-id"],
  region: res.headers["x-ms-keyvault-region"],
  serviceVersion: res.headers["x-ms-keyvault-service-version"]
})

const headerName = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i

const checkOptions = (options: RequestOptions): SecretError.InvalidArgument | undefined => {
  const invalid = (message: string) =>
    new SecretError.InvalidArgument({ vault: "", argument: "headers", message: `withRequestOptions: ${message}` })
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!headerName.test(name)) return invalid(`'${name}' is not a valid header name`)
    if (reservedHeaders.includes(name.toLowerCase())) {
      return invalid(`the client sets '${name.toLowerCase()}' itself; it cannot be overridden per call`)
    }
    // The value is not quoted: a header may carry a credential.
    if (typeof value !== "string" || /[\r\n\0]/.test(value)) {
      return invalid(`the value of '${name}' must be a string without CR, LF or NUL`)
    }
  }
  return undefined
}

/** Outer options first: headers merge (inner wins), both hooks run. */
const merge = (outer: RequestOptions, inner: RequestOptions): RequestOptions => ({
  headers: outer.headers === undefined ? inner.headers : { ...outer.headers, ...inner.headers },
  onResponse: outer.onResponse === undefined
    ? inner.onResponse
    : inner.onResponse === undefined
    ? outer.onResponse
    : (info) => Effect.zipRight(outer.onResponse!(info), inner.onResponse!(info))
})

const provideOptions = <A, E, R>(self: Effect.Effect<A, E, R>, options: RequestOptions) =>
  Effect.flatMap(CurrentRequestOptions, (outer) =>
    Effect.provideService(self, CurrentRequestOptions, merge(outer, options)))

/**
 * Run an operation (an Effect, or a listing Stream) with extra request headers and/or a response hook.
 * Options nest: headers merge, every `onResponse` runs. Reserved or malformed headers fail with
 * `InvalidArgument` before anything is sent.
 *
 * @since 0.1.0
 * @category Combinators
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   // One call with a correlation header, logging where the service answered from
 *   const secret = yield* client.getSecret("api-key").pipe(
 *     SecretClient.withRequestOptions({
 *       headers: { "x-correlation-id": "order-4711" },
 *       onResponse: (info) => Effect.logInfo(`served by ${info.region} (${info.serviceVersion})`)
 *     })
 *   )
 *   // A listing: the hook sees every page
 *   const names = yield* client.listPropertiesOfSecrets().pipe(
 *     SecretClient.withRequestOptions({ onResponse: (info) => Effect.logDebug(`page: ${info.status}`) }),
 *     Stream.map((p) => p.name),
 *     Stream.runCollect
 *   )
 *   return { secret, names }
 * })
 * ```
 */
export const withRequestOptions: {
  (options: RequestOptions): <Self extends Effect.Effect<any, any, any> | Stream.Stream<any, any, any>>(
    self: Self
  ) => WithInvalidArgument<Self>
  <Self extends Effect.Effect<any, any, any> | Stream.Stream<any, any, any>>(
    self: Self,
    options: RequestOptions
  ): WithInvalidArgument<Self>
} = dual(2, (
  self: Effect.Effect<unknown, unknown, unknown> | Stream.Stream<unknown, unknown, unknown>,
  options: RequestOptions
): Effect.Effect<unknown, unknown, unknown> | Stream.Stream<unknown, unknown, unknown> => {
  const invalid = checkOptions(options)
  if (Effect.isEffect(self)) return invalid !== undefined ? Effect.fail(invalid) : provideOptions(self, options)
  if (invalid !== undefined) return Stream.fail(invalid)
  return Stream.unwrap(Effect.map(CurrentRequestOptions, (outer) =>
    Stream.provideService(self, CurrentRequestOptions, merge(outer, options))))
})

/**
 * The type of an Effect or Stream that may also fail with `InvalidArgument` (see {@link withRequestOptions}).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import type { KeyVaultSecret, SecretClient, SecretError } from "@effect-keyvault/secrets"
 * import type { Effect } from "effect"
 *
 * type Get = SecretClient.WithInvalidArgument<Effect.Effect<KeyVaultSecret.KeyVaultSecret, SecretError.NotFound>>
 * ```
 */
export type WithInvalidArgument<Self> = Self extends Effect.Effect<infer A, infer E, infer R>
  ? Effect.Effect<A, E | SecretError.InvalidArgument, R>
  : Self extends Stream.Stream<infer A, infer E, infer R> ? Stream.Stream<A, E | SecretError.InvalidArgument, R>
  : never

/**
 * Run an operation and also return the last response it received (`None` when it sent nothing, e.g. a
 * poller resumed in a finished state). Like Python's `raw_response_hook` / JS's `onResponse`, as a value.
 *
 * @since 0.1.0
 * @category Combinators
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect, Option } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const [secret, response] = yield* SecretClient.withResponse(client.getSecret("api-key"))
 *   const region = Option.flatMapNullable(response, (r) => r.region)
 *   yield* Effect.logInfo(`${secret.name} read in ${Option.getOrElse(region, () => "unknown region")}`)
 * })
 * ```
 */
export const withResponse = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<readonly [A, Option.Option<ResponseInfo>], E, R> =>
  Effect.suspend(() => {
    let last = Option.none<ResponseInfo>()
    const record = (info: ResponseInfo) =>
      Effect.sync(() => {
        last = Option.some(info)
      })
    return Effect.map(provideOptions(self, { onResponse: record }), (a) => [a, last] as const)
  })


const invalidOption = (vaultUrl: string | undefined, argument: string, message: string) =>
  new SecretError.InvalidArgument({ vault: String(vaultUrl ?? ""), argument, message: `SecretClient: ${message}` })

/** The options a client cannot work with fail `make` (typed), before anything is sent. */
const validateOptions = (options: SecretClientOptions) =>
  Effect.gen(function*() {
    let vault: URL
    try {
      vault = new URL(String(options.vaultUrl).trim())
    } catch {
      return yield* invalidOption(
        options.vaultUrl,
        "vaultUrl",
        `invalid vaultUrl '${options.vaultUrl}'; expected https://<vault-name>.vault.azure.net`
      )
    }
    if (vault.protocol !== "https:" && vault.protocol !== "http:") {
      return yield* invalidOption(
        options.vaultUrl,
        "vaultUrl",
        `unsupported vaultUrl scheme '${vault.protocol}'; expected https:`
      )
    }
    const apiVersion = options.apiVersion ?? ApiVersion.latest
    if (!ApiVersion.isApiVersion(apiVersion)) {
      return yield* invalidOption(
        options.vaultUrl,
        "apiVersion",
        `unsupported apiVersion '${String(apiVersion)}'; supported: ${ApiVersion.all.join(", ")}`
      )
    }
    let timeout: Duration.Duration | undefined
    if (options.timeout !== undefined) {
      const decoded = Duration.decodeUnknown(options.timeout)
      if (Option.isNone(decoded) || Duration.toMillis(decoded.value) <= 0) {
        return yield* invalidOption(
          options.vaultUrl,
          "timeout",
          `invalid timeout '${String(options.timeout)}'; expected a positive duration`
        )
      }
      timeout = decoded.value
    }
    return { apiVersion, timeout, vault }
  })

/**
 * The bulk reads ({@link Service.getSecrets}, {@link Service.getSecretsStream}) over any `getSecret`: one
 * result per name, one read per distinct name, under a concurrency budget. `make` builds its own with it; a
 * test layer or decorator that instruments `getSecret` uses it so bulk reads go through the instrumented path.
 *
 * @since 0.2.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // A decorator that logs every read, bulk reads included
 * const logged = (client: SecretClient.Service): SecretClient.Service => {
 *   const getSecret: SecretClient.Service["getSecret"] = (name, options) =>
 *     Effect.zipRight(Effect.logDebug(`read ${name}`), client.getSecret(name, options))
 *   return { ...client, getSecret, ...SecretClient.bulkReads({ vaultUrl: client.vaultUrl, getSecret }) }
 * }
 * ```
 */
export const bulkReads = (
  client: Pick<Service, "vaultUrl" | "getSecret">
): Pick<Service, "getSecrets" | "getSecretsStream"> => ({
  getSecrets: (names, options) =>
    Bulk.getAll(client.vaultUrl, (name) => client.getSecret(name), names, options?.concurrency),
  getSecretsStream: (names, options) =>
    Bulk.stream(client.vaultUrl, (name) => client.getSecret(name), names, options?.concurrency)
})

/**
 * Build the service. The optional {@link RetryPolicy.RetryPolicy} and {@link PollingPolicy.PollingPolicy}
 * are read from the context when present (at construction, and again around each call, where a policy
 * provided to a single call wins).
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * // Two clients for two vaults in the same program
 * const program = Effect.gen(function*() {
 *   const primary = yield* SecretClient.make({ vaultUrl: "https://primary.vault.azure.net" })
 *   const replica = yield* SecretClient.make({ vaultUrl: "https://replica.vault.azure.net" })
 *   const secret = yield* primary.getSecret("api-key")
 *   yield* replica.setSecret("api-key", secret.value)
 * }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(Credential.layerDefaultAzure()))
 * ```
 */
export const make = (
  options: SecretClientOptions
): Effect.Effect<Service, SecretError.InvalidArgument, HttpClient.HttpClient | Credential.Credential> =>
  Effect.gen(function*() {
    const { apiVersion, timeout, vault } = yield* validateOptions(options)
    // The path stays (gateways such as API Management route by path), like Python and JS.
    const vaultUrl = `${vault.protocol}//${vault.host}${vault.pathname.replace(/\/+$/, "")}`
    const baseClient = yield* HttpClient.HttpClient
    const http = options.transformClient ? options.transformClient(baseClient) : baseClient
    const credential = yield* Credential.Credential
    const retryPolicy = Option.getOrElse(yield* Effect.serviceOption(RetryPolicy.RetryPolicy), () =>
      RetryPolicy.defaultPolicy)
    const pollingPolicy = Option.getOrElse(yield* Effect.serviceOption(PollingPolicy.PollingPolicy), () =>
      PollingPolicy.defaultPolicy)
    const prefix = options.userAgentPrefix?.trim()
    const pipeline = yield* Pipeline.make({
      vaultUrl,
      verifyChallengeResource: options.verifyChallengeResource ?? true,
      allowInsecureLoopback: options.allowInsecureLoopback ?? false,
      userAgent: prefix ? `${prefix} ${userAgentToken}` : userAgentToken,
      timeout,
      retryPolicy
    }, http, credential)

    const env: Operation.Env = { vaultUrl, apiVersion }
    const url = (path: string, extra = "") => `${vaultUrl}${path}?api-version=${apiVersion}${extra}`

    // The vault's span attributes are the same for every call: built once.
    const vaultAttributes = { "az.namespace": "Microsoft.KeyVault", "keyvault.vault": vault.host }
    /**
     * `Effect.withSpan(effect, "SecretClient.<operation>")`: the same span (`Effect.makeSpan`: parent, links,
     * annotations, timing, a tracer that is off), the parent of everything inside, ended with the exit. The
     * context is set and restored in the one uninterruptible region that also ends the span, instead of a second
     * acquire/release around the context (`withSpan` = `useSpan` + `provideService`): fewer runtime steps on
     * every call.
     */
    const traced = <A, E, R>(operation: string, name: string | undefined, effect: Effect.Effect<A, E, R>) =>
      Effect.flatMap(
        Effect.makeSpan(`SecretClient.${operation}`, {
          attributes: name === undefined ? vaultAttributes : { ...vaultAttributes, "keyvault.secret.name": name },
          kind: "client",
          captureStackTrace: false
        }),
        (span) =>
          Effect.withFiberRuntime<A, E, R>((fiber) => {
            const outer = fiber.currentContext
            const timing = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
            const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
            const leave = (exit: Exit.Exit<A, E>) =>
              Effect.flatMap(FiberRef.set(FiberRef.currentContext, outer), () => {
                span.end(timing ? clock.unsafeCurrentTimeNanos() : BigInt(0), exit)
                return exit
              })
            return Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(
                FiberRef.set(FiberRef.currentContext, Context.add(outer, Tracer.ParentSpan, span)),
                () =>
                  Effect.matchCauseEffect(restore(effect), {
                    onFailure: (cause) => leave(Exit.failCause(cause)),
                    onSuccess: (a) => leave(Exit.succeed(a))
                  })
              )
            )
          })
      )

    // Per-call options (withRequestOptions / withResponse): one place for every operation, page and poll.
    const send = (request: HttpClientRequest.HttpClientRequest, ctx: Pipeline.Ctx) =>
      Effect.flatMap(CurrentRequestOptions, (call) => {
        if (call.headers === undefined && call.onResponse === undefined) return pipeline.send(request, ctx)
        const withHeaders = call.headers === undefined ? request : HttpClientRequest.setHeaders(request, call.headers)
        const sent = pipeline.send(withHeaders, ctx)
        const onResponse = call.onResponse
        return onResponse === undefined ? sent : Effect.tap(sent, (res) => onResponse(responseInfo(ctx.operation, res)))
      })

    // ---- the executor: every described operation (internal/operation.ts) runs through here ---------------

    const requestOf = <I, A>(op: Operation.Operation<I, A>, input: I) => {
      const request = HttpClientRequest.make(op.method)(url(op.path(input), op.query?.(input)))
      // Request bodies that may carry a value print as <redacted> wherever the request ends up.
      return op.body === undefined ? request : HttpClientRequest.setBody(request, Redaction.jsonBody(op.body(input)))
    }

    const ok: ReadonlyArray<number> = [200]
    const complete = <I, A>(op: Operation.Operation<I, A>, res: Pipeline.Response, ctx: Pipeline.Ctx) =>
      Pipeline.complete(vaultUrl, res, ctx, op.expected ?? ok, op.decode, op.errors)

    /** Validate, send, decode: one call of `op`, without a span of its own (for use inside another). */
    const exec = <I, A, E>(op: Operation.Operation<I, A>, input: I, ctx: Pipeline.Ctx): Effect.Effect<A, E> =>
      // The error union of each operation is its description's `errors` plus the common ones: typed at the method.
      Effect.suspend((): Effect.Effect<A, unknown> => {
        const invalid = op.validate(input, env)
        if (invalid !== undefined) return Effect.fail(invalid)
        return Effect.flatMap(send(requestOf(op, input), ctx), (res) => complete(op, res, ctx))
      }) as Effect.Effect<A, E>

    /** A described operation as a traced method. */
    const run = <I, A, E>(op: Operation.Operation<I, A>) => (input: I): Effect.Effect<A, E> => {
      const name = op.secret(input)
      return traced(op.name, name, exec<I, A, E>(op, input, { name, operation: op.name }))
    }

    // ---- pollers ----------------------------------------------------------------------------------------

    type PollErrors = ServiceErrors | SecretError.PollingTimeout

    const makePoller = <A, I>(args: {
      readonly operation: "delete" | "recover"
      readonly name: string
      readonly initial: A
      readonly isCompleted: boolean
      readonly schema: Schema.Schema<A, I>
      /** One poll request; `Some` when finished (with a fresher result where the service gave one). */
      readonly check: Effect.Effect<Option.Option<A | undefined>, ServiceErrors>
    }): Effect.Effect<Poller.Poller<A, PollErrors>> =>
      Effect.gen(function*() {
        let result = args.initial
        let isCompleted = args.isCompleted
        const spanName = args.operation === "delete" ? "pollDeleteSecret" : "pollRecoverDeletedSecret"
        const poll: Effect.Effect<boolean, ServiceErrors> = Effect.suspend(() =>
          isCompleted ? Effect.succeed(true) : traced(spanName, args.name, args.check).pipe(
            Effect.map((o) => {
              if (Option.isSome(o)) {
                isCompleted = true
                if (o.value !== undefined) result = o.value
              }
              return isCompleted
            })
          )
        )
        const pollUntilDone: Effect.Effect<A, PollErrors> = Effect.gen(function*() {
          // A PollingPolicy provided around a single call wins over the client's.
          const policy = Option.getOrElse(yield* Effect.serviceOption(PollingPolicy.PollingPolicy), () => pollingPolicy)
          const driver = yield* Schedule.driver(policy)
          while (!(yield* poll)) {
            const next = yield* Effect.option(driver.next(undefined))
            if (Option.isNone(next)) {
              return yield* new SecretError.PollingTimeout({
                vault: vaultUrl,
                name: args.name,
                operation: args.operation,
                message: `${args.operation} of '${args.name}' did not finish before the polling schedule ended; ` +
                  `resume with the poller's serialized state or use a longer PollingPolicy.`
              })
            }
          }
          return result
        })
        const state = Effect.sync(() => {
          const encoded = Schema.encodeSync(args.schema)(result) as Record<string, unknown>
          // The state may be stored anywhere; it must never carry a secret value.
          const { value: _value, ...withoutValue } = encoded
          return new Poller.PollerState({
            operation: args.operation,
            vaultUrl,
            name: args.name,
            isCompleted,
            result: withoutValue
          })
        })
        return {
          operation: args.operation,
          name: args.name,
          get result() {
            return result
          },
          poll,
          pollUntilDone,
          state,
          serialize: Effect.map(state, (s) => Schema.encodeSync(Poller.PollerStateFromJson)(s))
        }
      })

    const resume = <A, I>(
      operation: "delete" | "recover",
      name: string,
      resumeFrom: string,
      schema: Schema.Schema<A, I>
    ) =>
      Effect.gen(function*() {
        const invalid = (why: string) =>
          new SecretError.InvalidArgument({
            vault: vaultUrl,
            name,
            argument: "resumeFrom",
            message: `Cannot resume the ${operation} poller: ${why}.`
          })
        const state = yield* Schema.decodeUnknown(Poller.PollerStateFromJson)(resumeFrom).pipe(
          Effect.mapError(() => invalid("not a serialized poller state"))
        )
        if (state.operation !== operation) return yield* invalid(`the state is for a ${state.operation} operation`)
        if (state.name !== name) return yield* invalid(`the state is for secret '${state.name}'`)
        if (state.vaultUrl !== vaultUrl) return yield* invalid(`the state is for vault '${state.vaultUrl}'`)
        const result = yield* Schema.decodeUnknown(schema)(state.result).pipe(
          Effect.mapError(() => invalid("the stored result does not decode"))
        )
        return { result, isCompleted: state.isCompleted }
      })

    /**
     * One poll step of a delete or recover (a GET of `probe`, under `operation`'s name): 404 means not yet
     * (none), 403 means done but not readable (some(undefined)), anything else is decoded.
     */
    const pollStep = <A>(
      probe: Operation.Operation<Operation.NameInput, A>,
      name: string,
      operation: string
    ): Effect.Effect<Option.Option<A | undefined>, ServiceErrors> => {
      const ctx = { name, operation }
      return Effect.flatMap(send(requestOf(probe, { name }), ctx), (res) =>
        res.status === 404
          ? Effect.succeed(Option.none())
          : res.status === 403
          // The object exists but we may not read it: the operation has finished.
          ? Effect.succeed(Option.some(undefined))
          : Effect.map(complete(probe, res, ctx), Option.some))
    }

    const beginDeleteSecret: Service["beginDeleteSecret"] = (name, opts = {}) =>
      traced(
        "beginDeleteSecret",
        name,
        Effect.gen(function*() {
          const invalid = Validate.name(vaultUrl, name)
          if (invalid !== undefined) return yield* invalid
          const check = pollStep(Operation.getDeletedSecret, name, "pollDeleteSecret")
          const mk = (initial: DeletedSecret, isCompleted: boolean) =>
            makePoller({ operation: "delete", name, initial, isCompleted, schema: Transform.DeletedSecretFromBundle, check })
          if (opts.resumeFrom !== undefined) {
            const r = yield* resume("delete", name, opts.resumeFrom, Transform.DeletedSecretFromBundle)
            return yield* mk(r.result, r.isCompleted)
          }
          const deleted = yield* exec<Operation.NameInput, DeletedSecret, BeginDeleteSecretError>(
            Operation.deleteSecret,
            { name },
            { name, operation: "deleteSecret" }
          )
          // No recoveryId: soft delete is off and the secret is already gone.
          return yield* mk(deleted, deleted.recoveryId === undefined)
        })
      )

    const deleteSecret: Service["deleteSecret"] = (name) =>
      traced("deleteSecret", name, Effect.flatMap(beginDeleteSecret(name), (p) => p.pollUntilDone))

    /** GET of the latest version as a probe: the recover pre-check and its poll. */
    const latestProperties: Operation.Operation<Operation.NameInput, SecretProperties> = {
      ...Operation.getSecret,
      path: (i) => `/secrets/${encodeURIComponent(i.name)}/`,
      query: undefined,
      decode: Transform.decodeProperties
    }

    const beginRecoverDeletedSecret: Service["beginRecoverDeletedSecret"] = (name, opts = {}) =>
      traced(
        "beginRecoverDeletedSecret",
        name,
        Effect.gen(function*() {
          const invalid = Validate.name(vaultUrl, name)
          if (invalid !== undefined) return yield* invalid
          const check = pollStep(latestProperties, name, "pollRecoverDeletedSecret")
          const mk = (initial: SecretProperties, isCompleted: boolean) =>
            makePoller({
              operation: "recover",
              name,
              initial,
              isCompleted,
              schema: Transform.SecretPropertiesFromBundle,
              check
            })
          if (opts.resumeFrom !== undefined) {
            const r = yield* resume("recover", name, opts.resumeFrom, Transform.SecretPropertiesFromBundle)
            return yield* mk(r.result, r.isCompleted)
          }
          // Already live (recovered earlier)? Then there is nothing to do.
          const ctx = { name, operation: "beginRecoverDeletedSecret" }
          const existing = yield* send(requestOf(latestProperties, { name }), ctx)
          if (existing.status === 200) {
            const props = yield* Effect.either(complete(latestProperties, existing, ctx))
            if (props._tag === "Right") return yield* mk(props.right, true)
          }
          const props = yield* exec<Operation.NameInput, SecretProperties, BeginRecoverDeletedSecretError>(
            Operation.recoverDeletedSecret,
            { name },
            { name, operation: "recoverDeletedSecret" }
          )
          return yield* mk(props, false)
        })
      )

    const recoverDeletedSecret: Service["recoverDeletedSecret"] = (name) =>
      traced(
        "recoverDeletedSecret",
        name,
        Effect.flatMap(beginRecoverDeletedSecret(name), (p) => p.pollUntilDone)
      )

    // ---- paging -----------------------------------------------------------------------------------------

    /** Where a listing is: the next link, and the state of this run of the Stream. */
    interface Cursor {
      readonly link: string
      readonly run: { readonly seen: Set<string>; empty: number } | undefined
    }

    const withApiVersion = (link: string) => /[?&]api-version=/.test(link) ? link : `${link}${link.includes("?") ? "&" : "?"}api-version=${apiVersion}`

    /**
     * A listing as a Stream of pages (`emit` = the page) or of items (`emit` = its items as a Chunk): the
     * same page requests either way, one span per page. Arguments are checked when the Stream is built.
     */
    const paged = <A, O>(
      op: Operation.ListOperation<A>,
      input: Operation.ListInput,
      opts: PageOptions,
      paginate: (
        first: Cursor,
        next: (cursor: Cursor) => Effect.Effect<readonly [Transform.Page<A>, Option.Option<Cursor>], ListError>
      ) => Stream.Stream<O, ListError>
      // ListError: the list descriptions report Forbidden by its own tag only (Pipeline.complete narrows).
    ): Stream.Stream<O, ListError> => {
      const name = op.secret(input)
      const ctx = { name, operation: op.name }
      const maxEmpty = opts.maxConsecutiveEmptyPages ?? defaultMaxConsecutiveEmptyPages
      const invalid = op.validate(input, env) ?? Validate.maxPageSize(vaultUrl, opts.maxPageSize) ??
        (maxEmpty === Infinity || (Number.isInteger(maxEmpty) && maxEmpty >= 1)
          ? undefined
          : invalidOption(vaultUrl, "maxConsecutiveEmptyPages", "maxConsecutiveEmptyPages must be a positive integer or Infinity."))
      if (invalid !== undefined) return Stream.fail(invalid)
      const malformed = (res: Pipeline.Response, message: string) =>
        new SecretError.MalformedResponse({
          vault: vaultUrl,
          name,
          status: res.status,
          requestId: res.headers["x-ms-request-id"],
          message: `${op.name}: ${message}`
        })
      /**
       * The cursor carries the run's state, created by its first fetch (so running the Stream twice lists
       * twice): `seen`, every link this run has fetched, so a nextLink loop ends instead of paging forever;
       * `empty`, how many empty pages in a row, so fresh links to empty pages cannot page forever either.
       */
      const fetchPage = (cursor: Cursor): Effect.Effect<readonly [Transform.Page<A>, Option.Option<Cursor>], ListError> =>
        traced(
          op.name,
          name,
          Effect.suspend(() => {
            const run = cursor.run ?? { seen: new Set<string>(), empty: 0 }
            run.seen.add(cursor.link)
            return Effect.flatMap(send(HttpClientRequest.get(cursor.link), ctx), (res) =>
              Effect.flatMap(complete(op, res, ctx), (page) => {
                const next = page.nextLink === undefined || page.nextLink === "" ? undefined : withApiVersion(page.nextLink)
                if (next !== undefined && run.seen.has(next)) {
                  return Effect.fail(malformed(res, "the service's nextLink points back to a page already fetched (paging loop)"))
                }
                run.empty = page.value.length === 0 ? run.empty + 1 : 0
                if (next !== undefined && run.empty > maxEmpty) {
                  return Effect.fail(malformed(
                    res,
                    `${run.empty} empty pages in a row, each with another nextLink; giving up (raise ` +
                      `maxConsecutiveEmptyPages if this vault really returns that many)`
                  ))
                }
                return Effect.succeed([page, next === undefined ? Option.none() : Option.some({ link: next, run })] as const)
              }))
          }) as Effect.Effect<readonly [Transform.Page<A>, Option.Option<Cursor>], ListError>
        )
      const first = opts.continuationToken !== undefined
        ? withApiVersion(opts.continuationToken)
        : url(op.path(input), opts.maxPageSize !== undefined ? `&maxresults=${opts.maxPageSize}` : "")
      return paginate({ link: first, run: undefined }, fetchPage)
    }

    const pagesOf = <A>(op: Operation.ListOperation<A>, input: Operation.ListInput, opts: PageOptions) =>
      paged(op, input, opts, (first, next) =>
        Stream.paginateEffect(first, (cursor) =>
          Effect.map(next(cursor), ([page, more]) =>
            [
              { items: page.value, continuationToken: Option.isSome(more) ? more.value.link : undefined } as Page<A>,
              more
            ] as const)))

    // Items straight from each page's array as one Chunk: no Page object, no inner stream per page.
    const itemsOf = <A>(op: Operation.ListOperation<A>, input: Operation.ListInput, opts: PageOptions) =>
      paged(op, input, opts, (first, next) =>
        Stream.paginateChunkEffect(first, (cursor) =>
          Effect.map(next(cursor), ([page, more]) => [Chunk.unsafeFromArray(page.value), more] as const)))

    // ---- raw --------------------------------------------------------------------------------------------

    const sendRequest: Service["sendRequest"] = (request) => {
      let target = request.url
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
        target = `${vaultUrl}${target.startsWith("/") ? "" : "/"}${target}`
      }
      const hasVersion = /[?&]api-version=/.test(target) || request.urlParams.some(([k]) => k === "api-version")
      const prepared = HttpClientRequest.setUrl(request, hasVersion ? target : withApiVersion(target))
      return traced("sendRequest", undefined, send(prepared, { name: undefined, operation: "sendRequest" }))
    }

    // ---- the methods ------------------------------------------------------------------------------------

    const setSecretOp = run<Operation.SetInput, KeyVaultSecret, SetSecretError>(Operation.setSecret)
    const setSecret: Service["setSecret"] = (name, value, opts = {}) =>
      setSecretOp({ name, value: Redacted.isRedacted(value) ? Redacted.value(value) : value, options: opts })
    const getSecretOp = run<Operation.GetInput, KeyVaultSecret, GetSecretError>(Operation.getSecret)
    const getSecret: Service["getSecret"] = (name, opts) =>
      getSecretOp(opts === undefined ? { name } : { name, version: opts.version, outContentType: opts.outContentType })
    const { getSecrets, getSecretsStream } = bulkReads({ vaultUrl, getSecret })
    const updateOp = run<Operation.UpdateInput, SecretProperties, UpdateSecretPropertiesError>(
      Operation.updateSecretProperties
    )
    const updateSecretProperties: Service["updateSecretProperties"] = (name, opts = {}) => updateOp({ ...opts, name })
    const getDeletedOp = run<Operation.NameInput, DeletedSecret, GetDeletedSecretError>(Operation.getDeletedSecret)
    const purgeOp = run<Operation.NameInput, void, PurgeDeletedSecretError>(Operation.purgeDeletedSecret)
    const backupOp = run<Operation.NameInput, Uint8Array, BackupSecretError>(Operation.backupSecret)
    const restoreSecretBackup = run<Uint8Array, SecretProperties, RestoreSecretBackupError>(
      Operation.restoreSecretBackup
    )

    return SecretClient.of({
      vaultUrl,
      apiVersion,
      setSecret,
      getSecret,
      getSecrets,
      getSecretsStream,
      updateSecretProperties,
      deleteSecret,
      beginDeleteSecret,
      getDeletedSecret: (name) => getDeletedOp({ name }),
      purgeDeletedSecret: (name) => purgeOp({ name }),
      recoverDeletedSecret,
      beginRecoverDeletedSecret,
      backupSecret: (name) => backupOp({ name }),
      restoreSecretBackup,
      listPropertiesOfSecrets: (opts = {}) => itemsOf(Operation.listPropertiesOfSecrets, {}, opts),
      listPropertiesOfSecretsPages: (opts = {}) => pagesOf(Operation.listPropertiesOfSecrets, {}, opts),
      listPropertiesOfSecretVersions: (name, opts = {}) =>
        itemsOf(Operation.listPropertiesOfSecretVersions, { name }, opts),
      listPropertiesOfSecretVersionsPages: (name, opts = {}) =>
        pagesOf(Operation.listPropertiesOfSecretVersions, { name }, opts),
      listDeletedSecrets: (opts = {}) => itemsOf(Operation.listDeletedSecrets, {}, opts),
      listDeletedSecretsPages: (opts = {}) => pagesOf(Operation.listDeletedSecrets, {}, opts),
      sendRequest
    })
  })

/**
 * A layer building the client with {@link make}.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(NodeHttpClient.layerUndici)
 * )
 * ```
 */
export const layer = (
  options: SecretClientOptions
): Layer.Layer<SecretClient, SecretError.InvalidArgument, HttpClient.HttpClient | Credential.Credential> =>
  Layer.effect(SecretClient, make(options))

/**
 * Options from Effect Config, e.g. `layerConfig({ vaultUrl: Config.string("AZURE_KEYVAULT_URL") })`.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Config, Layer } from "effect"
 *
 * const ClientLive = SecretClient.layerConfig({
 *   vaultUrl: Config.string("VAULT_URL"),
 *   timeout: Config.succeed("30 seconds")
 * }).pipe(Layer.provide(Credential.layerDefaultAzure()), Layer.provide(FetchHttpClient.layer))
 * ```
 */
export const layerConfig = (
  config: Config.Config.Wrap<SecretClientOptions>
): Layer.Layer<SecretClient, ConfigError.ConfigError, HttpClient.HttpClient | Credential.Credential> =>
  Layer.effect(
    SecretClient,
    Effect.flatMap(Config.unwrap(config), (options) =>
      // A bad value from config is a ConfigError like any other config problem.
      make(options).pipe(
        Effect.catchTag("InvalidArgument", (e) => Effect.fail(ConfigError.InvalidData([e.argument], e.message)))
      ))
  )

/**
 * `AZURE_KEYVAULT_URL` (required) and `AZURE_KEYVAULT_API_VERSION` (optional) from the ConfigProvider.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * // AZURE_KEYVAULT_URL=https://my-vault.vault.azure.net node app.js
 * const MainLive = SecretClient.layerFromEnv.pipe(
 *   Layer.provide(Credential.layerDefaultAzure()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * const program = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(Effect.provide(MainLive))
 * ```
 */
export const layerFromEnv: Layer.Layer<
  SecretClient,
  ConfigError.ConfigError,
  HttpClient.HttpClient | Credential.Credential
> = /* @__PURE__ */ Layer.suspend(() =>
  layerConfig({
    vaultUrl: Config.string("AZURE_KEYVAULT_URL").pipe(
      Config.validate({
        message: "Expected an absolute https URL such as https://<vault-name>.vault.azure.net",
        validation: (s) => URL.canParse(s.trim()) && /^https?:$/.test(new URL(s.trim()).protocol)
      })
    ),
    apiVersion: Config.literal(...ApiVersion.all)("AZURE_KEYVAULT_API_VERSION").pipe(Config.option, Config.map(Option.getOrUndefined))
  })
)

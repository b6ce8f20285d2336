/**
 * Typed errors for every SecretClient operation.
 *
 * Every error carries the vault and (where there is one) the secret name, a message that helps,
 * and never the secret value or a token.
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const read = (name: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) => client.getSecret(name)).pipe(
 *     Effect.catchTags({
 *       NotFound: () => Effect.succeed(undefined),
 *       Forbidden: (e) => Effect.dieMessage(e.disabled ? `${name} is disabled` : `no access to ${e.vault}`)
 *     })
 *   )
 * ```
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * Marks every error of this module (see {@link isSecretError}).
 *
 * @since 0.1.0
 * @category Type IDs
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * const isOurs = (u: unknown) => typeof u === "object" && u !== null && SecretError.TypeId in u
 * ```
 */
export const TypeId: unique symbol = Symbol.for("@effect-keyvault/secrets/SecretError")

/**
 * The type of {@link TypeId}.
 *
 * @since 0.1.0
 * @category Type IDs
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * const id: SecretError.TypeId = SecretError.TypeId
 * ```
 */
export type TypeId = typeof TypeId

const common = {
  /** The vault URL (scheme://host[:port]) the request went to. */
  vault: Schema.String,
  /** The secret name, when the operation has one. */
  name: Schema.optional(Schema.String),
  message: Schema.String
}

const service = {
  ...common,
  status: Schema.Number,
  /** The service's `error.code`, e.g. `SecretNotFound`. */
  code: Schema.optional(Schema.String),
  /** The service's `error.innererror.code`, e.g. `SecretDisabled`. */
  innerCode: Schema.optional(Schema.String),
  /** The service's `x-ms-request-id`. */
  requestId: Schema.optional(Schema.String)
}

/**
 * 404: the secret (or deleted secret, or version) does not exist.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // A missing optional setting falls back to a default
 * const featureFlags = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("feature-flags")).pipe(
 *   Effect.map((s) => s.value),
 *   Effect.catchTag("NotFound", (e) => Effect.as(Effect.logInfo(`${e.name} not in ${e.vault}`), undefined))
 * )
 * ```
 */
export class NotFound extends Schema.TaggedError<NotFound>("@effect-keyvault/secrets/SecretError/NotFound")(
  "NotFound",
  service
) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.NotFound({ vault: "https://v.vault.azure.net", status: 404, message: "SecretNotFound" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Why a 409 happened.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 * import { Schema } from "effect"
 *
 * assert.deepStrictEqual(Schema.is(SecretError.ConflictReason)("BeingDeleted"), true)
 * ```
 */
export const ConflictReason = Schema.Literal("DeletedButRecoverable", "BeingDeleted", "RestoreConflict", "Conflict")

/**
 * `"DeletedButRecoverable"`, `"BeingDeleted"`, `"RestoreConflict"` or `"Conflict"`.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * const advice = (reason: SecretError.ConflictReason): string =>
 *   reason === "DeletedButRecoverable" ? "recover or purge the deleted secret first" : "try again later"
 * ```
 */
export type ConflictReason = typeof ConflictReason.Type

/**
 * 409: the name is soft-deleted (recover or purge it first), a delete/purge is still running, or a
 * restore collides with an existing secret.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Setting a name that is soft-deleted: recover it, then write the new value
 * const upsert = (name: string, value: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (client) =>
 *     client.setSecret(name, value).pipe(
 *       Effect.catchTag("Exists", (e) =>
 *         e.reason === "DeletedButRecoverable"
 *           ? Effect.zipRight(client.recoverDeletedSecret(name), client.setSecret(name, value))
 *           : Effect.fail(e)
 *       )
 *     ))
 * ```
 */
export class Exists extends Schema.TaggedError<Exists>("@effect-keyvault/secrets/SecretError/Exists")("Exists", {
  ...service,
  reason: ConflictReason
}) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.Exists({ vault: "https://v.vault.azure.net", status: 409, reason: "BeingDeleted", message: "Conflict" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * 403: no permission, firewall, or the secret is disabled (`innerCode: "SecretDisabled"`).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const read = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("legacy-key")).pipe(
 *   Effect.catchTag("Forbidden", (e) =>
 *     e.disabled ? Effect.dieMessage("legacy-key is disabled") : Effect.dieMessage("no get permission on the vault"))
 * )
 * ```
 */
export class Forbidden extends Schema.TaggedError<Forbidden>("@effect-keyvault/secrets/SecretError/Forbidden")(
  "Forbidden",
  service
) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.Forbidden({ vault: "https://v.vault.azure.net", status: 403, message: "Forbidden" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
  /**
   * True when the service refused because the secret is disabled.
   * @since 0.1.0
   *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * const e = new SecretError.Forbidden({
 *   vault: "https://v.vault.azure.net",
 *   status: 403,
 *   innerCode: "SecretDisabled",
 *   message: "Operation get is not allowed on a disabled secret."
 * })
 * assert.deepStrictEqual(e.disabled, true)
 * ```
 */
  get disabled(): boolean {
    return this.innerCode === "SecretDisabled" || /disabled secret/i.test(this.message)
  }
}

/**
 * 401 after the challenge flow: the token was rejected (wrong tenant, expired, a second CAE challenge).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const read = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(
 *   Effect.catchTag("Unauthorized", (e) => Effect.dieMessage(`token rejected by ${e.vault} (request ${e.requestId})`))
 * )
 * ```
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>(
  "@effect-keyvault/secrets/SecretError/Unauthorized"
)("Unauthorized", service) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.Unauthorized({ vault: "https://v.vault.azure.net", status: 401, message: "Unauthorized" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * 429 after the retry schedule gave up. `retryAfterMs` is the service's last hint, if any.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 * import { Duration } from "effect"
 *
 * // Back off for as long as the service asked, then try once more
 * const read = (name: string) =>
 *   Effect.flatMap(SecretClient.SecretClient, (c) =>
 *     c.getSecret(name).pipe(
 *       Effect.catchTag("Throttled", (e) =>
 *         Effect.zipRight(Effect.sleep(Duration.millis(e.retryAfterMs ?? 1000)), c.getSecret(name)))
 *     ))
 * ```
 */
export class Throttled extends Schema.TaggedError<Throttled>("@effect-keyvault/secrets/SecretError/Throttled")(
  "Throttled",
  { ...service, retryAfterMs: Schema.optional(Schema.Number) }
) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.Throttled({ vault: "https://v.vault.azure.net", status: 429, retryAfterMs: 1000, message: "Throttled" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A bad argument caught on the client before any request was sent.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // "my secret" is not a valid name: the request is never sent
 * const bad = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("my secret")).pipe(
 *   Effect.catchTag("InvalidArgument", (e) => Effect.succeed(`bad ${e.argument}: ${e.message}`))
 * )
 * ```
 */
export class InvalidArgument extends Schema.TaggedError<InvalidArgument>(
  "@effect-keyvault/secrets/SecretError/InvalidArgument"
)("InvalidArgument", { ...common, argument: Schema.String }) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.InvalidArgument({ vault: "https://v.vault.azure.net", argument: "name", message: "invalid name" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Any other non-success status (400, 405, 5xx after retries, ...). `retryAfterMs`: a 503's `Retry-After`
 * (when the service said when to come back: retries exhausted, or a longer wait than the retry policy honours).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const read = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(
 *   Effect.catchTag("HttpError", (e) => Effect.dieMessage(`vault answered ${e.status} ${e.code ?? ""}`))
 * )
 * ```
 */
export class HttpError extends Schema.TaggedError<HttpError>("@effect-keyvault/secrets/SecretError/HttpError")(
  "HttpError",
  { ...service, retryAfterMs: Schema.optional(Schema.Number) }
) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.HttpError({ vault: "https://v.vault.azure.net", status: 500, message: "InternalServerError" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The request never produced a response: connection refused/reset, DNS, timeout, bad URL.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const read = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(
 *   Effect.catchTag("TransportError", (e) =>
 *     e.reason === "Timeout" ? Effect.dieMessage("vault timed out") : Effect.dieMessage(`cannot reach ${e.vault}`))
 * )
 * ```
 */
export class TransportError extends Schema.TaggedError<TransportError>(
  "@effect-keyvault/secrets/SecretError/TransportError"
)("TransportError", {
  ...common,
  reason: Schema.Literal("Transport", "Timeout", "Encode", "InvalidUrl"),
  cause: Schema.optional(Schema.Defect)
}) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.TransportError({ vault: "https://v.vault.azure.net", reason: "Timeout", message: "timed out" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A response that does not match the expected schema (or is not JSON at all).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Usually a proxy answering instead of the vault
 * const read = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(
 *   Effect.catchTag("MalformedResponse", (e) => Effect.dieMessage(`unexpected ${e.status} body: ${e.message}`))
 * )
 * ```
 */
export class MalformedResponse extends Schema.TaggedError<MalformedResponse>(
  "@effect-keyvault/secrets/SecretError/MalformedResponse"
)("MalformedResponse", { ...common, status: Schema.Number, requestId: Schema.optional(Schema.String) }) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.MalformedResponse({ vault: "https://v.vault.azure.net", status: 200, message: "not JSON" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The credential could not produce a token.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const read = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(
 *   Effect.catchTag("CredentialError", (e) => Effect.dieMessage(`sign in first: ${e.message}`))
 * )
 * ```
 */
export class CredentialError extends Schema.TaggedError<CredentialError>(
  "@effect-keyvault/secrets/SecretError/CredentialError"
)("CredentialError", { ...common, cause: Schema.optional(Schema.Defect) }) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.CredentialError({ vault: "https://v.vault.azure.net", message: "no token" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The client refused to authenticate: the challenge resource does not match the vault (`ResourceMismatch`), the
 * URL is not HTTPS or loopback HTTP is not allowed (`InsecureUrl`), a link points at another host or outside the
 * vault's path (`ForeignHost`), the challenge is unusable (`InvalidChallenge`), or the service answered the
 * body-less first request of a write with something other than a 401 challenge, so the write was never sent
 * (`NoChallenge`).
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const read = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(
 *   Effect.catchTag("ChallengeError", (e) =>
 *     e.reason === "InsecureUrl"
 *       ? Effect.dieMessage("use https, or allowInsecureLoopback for a local emulator")
 *       : Effect.fail(e))
 * )
 * ```
 */
export class ChallengeError extends Schema.TaggedError<ChallengeError>(
  "@effect-keyvault/secrets/SecretError/ChallengeError"
)("ChallengeError", {
  ...common,
  reason: Schema.Literal("ResourceMismatch", "InsecureUrl", "ForeignHost", "InvalidChallenge", "NoChallenge")
}) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.ChallengeError({ vault: "https://v.vault.azure.net", reason: "InsecureUrl", message: "http is not allowed" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A delete/recover poller's schedule ended before the service finished.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const remove = Effect.flatMap(SecretClient.SecretClient, (c) => c.deleteSecret("old-key")).pipe(
 *   Effect.catchTag("PollingTimeout", (e) => Effect.logWarning(`${e.operation} of ${e.name} still running`))
 * )
 * ```
 */
export class PollingTimeout extends Schema.TaggedError<PollingTimeout>(
  "@effect-keyvault/secrets/SecretError/PollingTimeout"
)("PollingTimeout", { ...common, operation: Schema.Literal("delete", "recover") }) {
  /**
   * The brand checked by {@link isSecretError}.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretError } from "@effect-keyvault/secrets"
   *
   * const e = new SecretError.PollingTimeout({ vault: "https://v.vault.azure.net", operation: "delete", message: "still deleting" })
   * assert.strictEqual(e[SecretError.TypeId], SecretError.TypeId)
   * ```
   */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Every error a SecretClient operation can fail with.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * const describe = (e: SecretError.SecretError): string => {
 *   switch (e._tag) {
 *     case "NotFound":
 *       return `missing: ${e.name}`
 *     case "Throttled":
 *       return `throttled, retry in ${e.retryAfterMs ?? "?"} ms`
 *     default:
 *       return e.message
 *   }
 * }
 * ```
 */
export type SecretError =
  | NotFound
  | Exists
  | Forbidden
  | Unauthorized
  | Throttled
  | InvalidArgument
  | HttpError
  | TransportError
  | MalformedResponse
  | CredentialError
  | ChallengeError
  | PollingTimeout

/**
 * Schema of the whole union (for serialising errors across boundaries).
 *
 * @since 0.1.0
 * @category Schemas
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 * import { Schema } from "effect"
 *
 * // Send an error across a worker boundary and get the class back
 * const error = new SecretError.NotFound({ vault: "https://v.vault.azure.net", name: "k", status: 404, message: "not found" })
 * const encoded = Schema.encodeSync(SecretError.SecretError)(error)
 * const decoded = Schema.decodeUnknownSync(SecretError.SecretError)(encoded)
 * assert.strictEqual(decoded._tag, "NotFound")
 * assert.ok(decoded instanceof SecretError.NotFound)
 * ```
 */
export const SecretError = Schema.Union(
  NotFound,
  Exists,
  Forbidden,
  Unauthorized,
  Throttled,
  InvalidArgument,
  HttpError,
  TransportError,
  MalformedResponse,
  CredentialError,
  ChallengeError,
  PollingTimeout
)

/**
 * Errors any request can fail with, whatever the operation.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 *
 * // Transient errors are worth a retry later; the rest are configuration problems
 * const isTransient = (e: SecretError.RequestErrors): boolean =>
 *   e._tag === "Throttled" || e._tag === "TransportError" || (e._tag === "HttpError" && e.status >= 500)
 * ```
 */
export type RequestErrors =
  | Unauthorized
  | Throttled
  | HttpError
  | TransportError
  | MalformedResponse
  | CredentialError
  | ChallengeError

/**
 * Whether a value is one of this module's errors.
 *
 * @since 0.1.0
 * @category Guards
 *
 * @example
 * ```ts
 * import { SecretError } from "@effect-keyvault/secrets"
 * import { Cause, Option } from "effect"
 *
 * const tagOf = (cause: Cause.Cause<unknown>): string =>
 *   Option.match(Cause.failureOption(cause), {
 *     onNone: () => "defect or interruption",
 *     onSome: (e) => SecretError.isSecretError(e) ? e._tag : "other failure"
 *   })
 * ```
 */
export const isSecretError = (u: unknown): u is SecretError => Predicate.hasProperty(u, TypeId)

/**
 * Typed errors for every SecretClient operation.
 *
 * Every error carries the vault and (where there is one) the secret name, a message that helps,
 * and never the secret value or a token.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category Type IDs
 */
export const TypeId: unique symbol = Symbol.for("@effect-keyvault/secrets/SecretError")

/**
 * @since 0.1.0
 * @category Type IDs
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
 */
export class NotFound extends Schema.TaggedError<NotFound>("@effect-keyvault/secrets/SecretError/NotFound")(
  "NotFound",
  service
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Why a 409 happened.
 *
 * @since 0.1.0
 * @category Models
 */
export const ConflictReason = Schema.Literal("DeletedButRecoverable", "BeingDeleted", "RestoreConflict", "Conflict")

/**
 * @since 0.1.0
 * @category Models
 */
export type ConflictReason = typeof ConflictReason.Type

/**
 * 409: the name is soft-deleted (recover or purge it first), a delete/purge is still running, or a
 * restore collides with an existing secret.
 *
 * @since 0.1.0
 * @category Errors
 */
export class Exists extends Schema.TaggedError<Exists>("@effect-keyvault/secrets/SecretError/Exists")("Exists", {
  ...service,
  reason: ConflictReason
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * 403: no permission, firewall, or the secret is disabled (`innerCode: "SecretDisabled"`).
 *
 * @since 0.1.0
 * @category Errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>("@effect-keyvault/secrets/SecretError/Forbidden")(
  "Forbidden",
  service
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /**
   * True when the service refused because the secret is disabled.
   * @since 0.1.0
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
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>(
  "@effect-keyvault/secrets/SecretError/Unauthorized"
)("Unauthorized", service) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * 429 after the retry schedule gave up. `retryAfterMs` is the service's last hint, if any.
 *
 * @since 0.1.0
 * @category Errors
 */
export class Throttled extends Schema.TaggedError<Throttled>("@effect-keyvault/secrets/SecretError/Throttled")(
  "Throttled",
  { ...service, retryAfterMs: Schema.optional(Schema.Number) }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A bad argument caught on the client before any request was sent.
 *
 * @since 0.1.0
 * @category Errors
 */
export class InvalidArgument extends Schema.TaggedError<InvalidArgument>(
  "@effect-keyvault/secrets/SecretError/InvalidArgument"
)("InvalidArgument", { ...common, argument: Schema.String }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Any other non-success status (400, 405, 5xx after retries, ...).
 *
 * @since 0.1.0
 * @category Errors
 */
export class HttpError extends Schema.TaggedError<HttpError>("@effect-keyvault/secrets/SecretError/HttpError")(
  "HttpError",
  service
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The request never produced a response: connection refused/reset, DNS, timeout, bad URL.
 *
 * @since 0.1.0
 * @category Errors
 */
export class TransportError extends Schema.TaggedError<TransportError>(
  "@effect-keyvault/secrets/SecretError/TransportError"
)("TransportError", {
  ...common,
  reason: Schema.Literal("Transport", "Timeout", "Encode", "InvalidUrl"),
  cause: Schema.optional(Schema.Defect)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A response that does not match the expected schema (or is not JSON at all).
 *
 * @since 0.1.0
 * @category Errors
 */
export class MalformedResponse extends Schema.TaggedError<MalformedResponse>(
  "@effect-keyvault/secrets/SecretError/MalformedResponse"
)("MalformedResponse", { ...common, status: Schema.Number, requestId: Schema.optional(Schema.String) }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The credential could not produce a token.
 *
 * @since 0.1.0
 * @category Errors
 */
export class CredentialError extends Schema.TaggedError<CredentialError>(
  "@effect-keyvault/secrets/SecretError/CredentialError"
)("CredentialError", { ...common, cause: Schema.optional(Schema.Defect) }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * The client refused to authenticate: the challenge resource does not match the vault, the URL is not
 * HTTPS (or loopback HTTP not allowed), a link points at another host, or the challenge is unusable.
 *
 * @since 0.1.0
 * @category Errors
 */
export class ChallengeError extends Schema.TaggedError<ChallengeError>(
  "@effect-keyvault/secrets/SecretError/ChallengeError"
)("ChallengeError", {
  ...common,
  reason: Schema.Literal("ResourceMismatch", "InsecureUrl", "ForeignHost", "InvalidChallenge")
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * A delete/recover poller's schedule ended before the service finished.
 *
 * @since 0.1.0
 * @category Errors
 */
export class PollingTimeout extends Schema.TaggedError<PollingTimeout>(
  "@effect-keyvault/secrets/SecretError/PollingTimeout"
)("PollingTimeout", { ...common, operation: Schema.Literal("delete", "recover") }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
}

/**
 * Every error a SecretClient operation can fail with.
 *
 * @since 0.1.0
 * @category Errors
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
 * @since 0.1.0
 * @category Guards
 */
export const isSecretError = (u: unknown): u is SecretError => Predicate.hasProperty(u, TypeId)

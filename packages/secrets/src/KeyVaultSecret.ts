/**
 * Public models: `KeyVaultSecret`, `SecretProperties`, `DeletedSecret`.
 *
 * Dates are `DateTime.Utc`, values are `Redacted<string>`. The wire shapes (Azure names, epoch seconds)
 * live in `internal/wire.ts`; `internal/transform.ts` joins the two.
 *
 * @example
 * ```ts
 * import { KeyVaultSecret } from "@effect-keyvault/secrets"
 * import { DateTime, Redacted } from "effect"
 *
 * const properties = new KeyVaultSecret.SecretProperties({
 *   vaultUrl: "https://my-vault.vault.azure.net",
 *   name: "api-key",
 *   version: "1f2e",
 *   id: "https://my-vault.vault.azure.net/secrets/api-key/1f2e",
 *   enabled: true,
 *   createdOn: DateTime.unsafeMake(0),
 *   tags: {}
 * })
 * const secret = new KeyVaultSecret.KeyVaultSecret({ name: "api-key", value: Redacted.make("abc"), properties })
 * assert.strictEqual(secret.id, properties.id)
 * assert.strictEqual(String(secret.value), "<redacted>") // values never print
 * ```
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const opt = Schema.optional

/**
 * Everything about a secret except its value.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { DateTime, Effect, Stream } from "effect"
 *
 * // Names of enabled secrets that expire within 30 days
 * const expiringSoon = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const now = yield* DateTime.now
 *   const limit = DateTime.add(now, { days: 30 })
 *   return yield* client.listPropertiesOfSecrets().pipe(
 *     Stream.filter((p) => p.enabled !== false && p.expiresOn !== undefined && DateTime.lessThan(p.expiresOn, limit)),
 *     Stream.map((p) => p.name),
 *     Stream.runCollect
 *   )
 * })
 * ```
 */
export class SecretProperties extends Schema.Class<SecretProperties>("@effect-keyvault/secrets/SecretProperties")({
  /** scheme://host[:port] of the vault. */
  vaultUrl: Schema.String,
  name: Schema.String,
  /** Absent for items of `listPropertiesOfSecrets` (the service returns unversioned ids there). */
  version: opt(Schema.String),
  /** The full identifier as sent by the service. */
  id: Schema.String,
  contentType: opt(Schema.String),
  enabled: opt(Schema.Boolean),
  notBefore: opt(Schema.DateTimeUtc),
  expiresOn: opt(Schema.DateTimeUtc),
  createdOn: opt(Schema.DateTimeUtc),
  updatedOn: opt(Schema.DateTimeUtc),
  tags: Schema.Record({ key: Schema.String, value: Schema.String }),
  recoverableDays: opt(Schema.Number),
  recoveryLevel: opt(Schema.String),
  /** True for secrets that back a certificate. */
  managed: opt(Schema.Boolean),
  /** `kid`: the key behind a certificate-backed secret. */
  certificateKeyId: opt(Schema.String),
  /** 2025-07-01+: the previous certificate version, for certificate-backed secrets. */
  previousVersion: opt(Schema.String)
}) {}

/**
 * A secret with its value.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect, Redacted } from "effect"
 *
 * const connectionString = Effect.gen(function*() {
 *   const client = yield* SecretClient.SecretClient
 *   const secret = yield* client.getSecret("db-connection")
 *   yield* Effect.logInfo(`read ${secret.id}`) // the value itself would log as <redacted>
 *   return Redacted.value(secret.value)
 * })
 * ```
 */
export class KeyVaultSecret extends Schema.Class<KeyVaultSecret>("@effect-keyvault/secrets/KeyVaultSecret")({
  name: Schema.String,
  value: Schema.Redacted(Schema.String),
  properties: SecretProperties
}) {
  /**
 * The full identifier of this version (same as `properties.id`).
 *
   * @since 0.1.0
   *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const id = Effect.flatMap(SecretClient.SecretClient, (c) => c.getSecret("api-key")).pipe(Effect.map((s) => s.id))
 * ```
 */
  get id(): string {
    return this.properties.id
  }
}

/**
 * A soft-deleted secret. `value` is only present where the service returned one.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { SecretClient } from "@effect-keyvault/secrets"
 * import { Effect, Stream } from "effect"
 *
 * // Deleted secrets and when the service will purge them
 * const purgeSchedule = Effect.flatMap(SecretClient.SecretClient, (client) =>
 *   client.listDeletedSecrets().pipe(
 *     Stream.map((d) => [d.name, d.scheduledPurgeDate] as const),
 *     Stream.runCollect
 *   ))
 * ```
 */
export class DeletedSecret extends Schema.Class<DeletedSecret>("@effect-keyvault/secrets/DeletedSecret")({
  name: Schema.String,
  value: opt(Schema.Redacted(Schema.String)),
  properties: SecretProperties,
  /** Absent when soft delete is disabled on the vault. */
  recoveryId: opt(Schema.String),
  scheduledPurgeDate: opt(Schema.DateTimeUtc),
  deletedOn: opt(Schema.DateTimeUtc)
}) {
  /**
   * The identifier of the deleted version (same as `properties.id`), like Python's `DeletedSecret.id`.
   *
   * @since 0.1.0
   *
   * @example
   * ```ts
   * import { SecretClient } from "@effect-keyvault/secrets"
   * import { Effect } from "effect"
   *
   * const deletedId = Effect.flatMap(SecretClient.SecretClient, (c) => c.getDeletedSecret("old-key")).pipe(
   *   Effect.map((deleted) => deleted.id)
   * )
   * ```
   */
  get id(): string {
    return this.properties.id
  }
}

/**
 * Content types Key Vault converts certificate-backed secrets between (`outContentType` of `getSecret`,
 * api-version 2025-07-01 and later). Python calls it `ContentType`, JS `KnownContentType`; both names are
 * exported.
 *
 * @since 0.1.0
 * @category Constants
 *
 * @example
 * ```ts
 * import { KeyVaultSecret, SecretClient } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Read a PFX-backed certificate secret as PEM
 * const pem = Effect.flatMap(SecretClient.SecretClient, (client) =>
 *   client.getSecret("my-cert", { outContentType: KeyVaultSecret.ContentType.PEM }))
 * assert.strictEqual(KeyVaultSecret.KnownContentType.PFX, "application/x-pkcs12")
 * ```
 */
export const ContentType = {
  /** The PEM certificate format. */
  PEM: "application/x-pem-file",
  /** The PKCS#12 (PFX) certificate format. */
  PFX: "application/x-pkcs12"
} as const

/**
 * One of the {@link ContentType} values.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { KeyVaultSecret } from "@effect-keyvault/secrets"
 *
 * const format: KeyVaultSecret.ContentType = "application/x-pem-file"
 * ```
 */
export type ContentType = typeof ContentType[keyof typeof ContentType]

/**
 * The JS SDK's name for {@link ContentType}.
 *
 * @since 0.1.0
 * @category Constants
 *
 * @example
 * ```ts
 * import { KeyVaultSecret } from "@effect-keyvault/secrets"
 *
 * assert.strictEqual(KeyVaultSecret.KnownContentType.PEM, KeyVaultSecret.ContentType.PEM)
 * ```
 */
export const KnownContentType = ContentType

/**
 * The JS SDK's name for the {@link ContentType} type.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { KeyVaultSecret } from "@effect-keyvault/secrets"
 *
 * const format: KeyVaultSecret.KnownContentType = KeyVaultSecret.KnownContentType.PFX
 * ```
 */
export type KnownContentType = ContentType

/**
 * The recovery levels the service reports in `SecretProperties.recoveryLevel` (names as in the JS SDK).
 * `recoveryLevel` itself stays a `string`: the service may add levels.
 *
 * @since 0.1.0
 * @category Constants
 *
 * @example
 * ```ts
 * import { KeyVaultSecret } from "@effect-keyvault/secrets"
 *
 * // Can this vault purge at once, or only recover?
 * const canPurge = (p: KeyVaultSecret.SecretProperties) =>
 *   p.recoveryLevel === KeyVaultSecret.KnownDeletionRecoveryLevel.Purgeable ||
 *   p.recoveryLevel?.endsWith("+Purgeable") === true
 * assert.strictEqual(KeyVaultSecret.KnownDeletionRecoveryLevel.RecoverablePurgeable, "Recoverable+Purgeable")
 * ```
 */
export const KnownDeletionRecoveryLevel = {
  /** Deletion is irreversible; nothing can be recovered. */
  Purgeable: "Purgeable",
  /** Recoverable during the retention interval (90 days); purge is allowed. */
  RecoverablePurgeable: "Recoverable+Purgeable",
  /** Recoverable during the retention interval (90 days); purge is not allowed. */
  Recoverable: "Recoverable",
  /** Like `Recoverable`, and the subscription itself cannot be cancelled. */
  RecoverableProtectedSubscription: "Recoverable+ProtectedSubscription",
  /** Recoverable with a custom retention (7 to 89 days); purge is allowed. */
  CustomizedRecoverablePurgeable: "CustomizedRecoverable+Purgeable",
  /** Recoverable with a custom retention (7 to 89 days); purge is not allowed. */
  CustomizedRecoverable: "CustomizedRecoverable",
  /** Like `CustomizedRecoverable`, and the subscription itself cannot be cancelled. */
  CustomizedRecoverableProtectedSubscription: "CustomizedRecoverable+ProtectedSubscription"
} as const

/**
 * One of the {@link KnownDeletionRecoveryLevel} values.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { KeyVaultSecret } from "@effect-keyvault/secrets"
 *
 * const level: KeyVaultSecret.DeletionRecoveryLevel = "Recoverable+Purgeable"
 * ```
 */
export type DeletionRecoveryLevel = typeof KnownDeletionRecoveryLevel[keyof typeof KnownDeletionRecoveryLevel]

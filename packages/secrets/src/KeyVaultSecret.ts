/**
 * Public models: `KeyVaultSecret`, `SecretProperties`, `DeletedSecret`.
 *
 * Dates are `DateTime.Utc`, values are `Redacted<string>`. The wire shapes (Azure names, epoch seconds)
 * live in `internal/wire.ts`; `internal/transform.ts` joins the two.
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
 */
export class KeyVaultSecret extends Schema.Class<KeyVaultSecret>("@effect-keyvault/secrets/KeyVaultSecret")({
  name: Schema.String,
  value: Schema.Redacted(Schema.String),
  properties: SecretProperties
}) {
  /**
   * @since 0.1.0
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
 */
export class DeletedSecret extends Schema.Class<DeletedSecret>("@effect-keyvault/secrets/DeletedSecret")({
  name: Schema.String,
  value: opt(Schema.Redacted(Schema.String)),
  properties: SecretProperties,
  /** Absent when soft delete is disabled on the vault. */
  recoveryId: opt(Schema.String),
  scheduledPurgeDate: opt(Schema.DateTimeUtc),
  deletedOn: opt(Schema.DateTimeUtc)
}) {}

/**
 * Wire schemas: the JSON Key Vault sends and accepts, with Azure's field names and epoch-second dates.
 * Kept apart from the public models; `transform.ts` is the one place that joins them.
 */
import * as Schema from "effect/Schema"

const opt = <S extends Schema.Schema.Any>(s: S) => Schema.optionalWith(s, { nullable: true })

/** Largest |epoch seconds| a `DateTime` (a JS Date) can hold: ±8.64e15 ms. */
export const maxEpochSeconds = 8.64e12

/**
 * Epoch seconds (integers on the wire; tolerate fractions from odd emulators). Bounded to the `DateTime`
 * range so an absurd date is a MalformedResponse, not a crash in the transform.
 */
export const EpochSeconds = Schema.Number.pipe(Schema.finite(), Schema.between(-maxEpochSeconds, maxEpochSeconds))

export const SecretAttributes = Schema.Struct({
  enabled: opt(Schema.Boolean),
  nbf: opt(EpochSeconds),
  exp: opt(EpochSeconds),
  created: opt(EpochSeconds),
  updated: opt(EpochSeconds),
  recoverableDays: opt(Schema.Number),
  recoveryLevel: opt(Schema.String)
})
export type SecretAttributes = typeof SecretAttributes.Type

const Tags = Schema.Record({ key: Schema.String, value: Schema.String })

const bundleFields = {
  value: opt(Schema.String),
  id: Schema.String,
  contentType: opt(Schema.String),
  attributes: opt(SecretAttributes),
  tags: opt(Tags),
  kid: opt(Schema.String),
  managed: opt(Schema.Boolean),
  previousVersion: opt(Schema.String)
}

const deletedFields = {
  recoveryId: opt(Schema.String),
  scheduledPurgeDate: opt(EpochSeconds),
  deletedDate: opt(EpochSeconds)
}

export const SecretBundle = Schema.Struct(bundleFields)
export type SecretBundle = typeof SecretBundle.Type

export const DeletedSecretBundle = Schema.Struct({ ...bundleFields, ...deletedFields })
export type DeletedSecretBundle = typeof DeletedSecretBundle.Type

// List items (SecretItem / DeletedSecretItem) are bundles without value/kid/previousVersion; they decode
// with the bundle schemas, whose extra fields are optional (see transform.ts SecretPage).

export const BackupSecretResult = Schema.Struct({ value: Schema.String })

/** PUT body. */
export interface SecretSetParameters {
  readonly value: string
  readonly contentType?: string
  readonly tags?: Record<string, string>
  readonly attributes?: { readonly enabled?: boolean; readonly nbf?: number; readonly exp?: number }
}

/** PATCH body. */
export interface SecretUpdateParameters {
  readonly contentType?: string
  readonly tags?: Record<string, string>
  readonly attributes?: { readonly enabled?: boolean; readonly nbf?: number; readonly exp?: number }
}

interface ErrorBody {
  readonly code?: string | null | undefined
  readonly message?: string | null | undefined
  readonly innererror?: ErrorBody | null | undefined
}
const ErrorBody: Schema.Schema<ErrorBody> = Schema.Struct({
  code: Schema.optional(Schema.NullOr(Schema.String)),
  message: Schema.optional(Schema.NullOr(Schema.String)),
  innererror: Schema.optional(Schema.NullOr(Schema.suspend(() => ErrorBody)))
})

export const KeyVaultError = Schema.Struct({ error: Schema.optional(Schema.NullOr(ErrorBody)) })
export type KeyVaultError = typeof KeyVaultError.Type

/**
 * The one place where wire bundles and public models meet, in both directions.
 */
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Identifier from "../KeyVaultSecretIdentifier.js"
import { DeletedSecret, KeyVaultSecret, SecretProperties } from "../KeyVaultSecret.js"
import * as Wire from "./wire.js"

/** Epoch seconds → DateTime. */
export const fromEpoch = (s: number | undefined): DateTime.Utc | undefined =>
  s === undefined ? undefined : DateTime.unsafeMake(s * 1000)

/** DateTime/Date → whole epoch seconds (no 32-bit truncation, unlike the official SDK). */
export const toEpoch = (d: DateTime.DateTime | Date | undefined): number | undefined =>
  d === undefined ? undefined : Math.floor((d instanceof Date ? d.getTime() : DateTime.toEpochMillis(d)) / 1000)

interface WireProps {
  readonly id: string
  readonly contentType?: string
  readonly attributes?: Wire.SecretAttributes
  readonly tags?: { readonly [k: string]: string }
  readonly managed?: boolean
  readonly kid?: string
  readonly previousVersion?: string
}

const propertiesFromWire = (w: WireProps): Either.Either<SecretProperties, string> =>
  Either.map(
    Either.mapLeft(Identifier.parse(w.id), (e) => e.message),
    (ident) => {
      const a = w.attributes ?? {}
      return new SecretProperties({
        vaultUrl: ident.vaultUrl,
        name: ident.name,
        version: ident.version,
        id: w.id,
        contentType: w.contentType,
        enabled: a.enabled,
        notBefore: fromEpoch(a.nbf),
        expiresOn: fromEpoch(a.exp),
        createdOn: fromEpoch(a.created),
        updatedOn: fromEpoch(a.updated),
        // The decoded wire object is fresh: no copy needed.
        tags: w.tags ?? {},
        recoverableDays: a.recoverableDays,
        recoveryLevel: a.recoveryLevel,
        managed: w.managed,
        certificateKeyId: w.kid,
        previousVersion: w.previousVersion
      }, true) // built from an already-decoded wire bundle: re-validating costs ~50x the decode (see bench/)
    }
  )

const stripUndefined = <A extends Record<string, unknown>>(a: A): A => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v
  return out as A
}

const propertiesToWire = (p: SecretProperties) => {
  const attributes = stripUndefined({
    enabled: p.enabled,
    nbf: toEpoch(p.notBefore),
    exp: toEpoch(p.expiresOn),
    created: toEpoch(p.createdOn),
    updated: toEpoch(p.updatedOn),
    recoverableDays: p.recoverableDays,
    recoveryLevel: p.recoveryLevel
  })
  return stripUndefined({
    id: p.id,
    contentType: p.contentType,
    attributes,
    tags: p.tags,
    managed: p.managed,
    kid: p.certificateKeyId,
    previousVersion: p.previousVersion
  })
}

const deletedExtras = (d: DeletedSecret) =>
  stripUndefined({
    recoveryId: d.recoveryId,
    scheduledPurgeDate: toEpoch(d.scheduledPurgeDate),
    deletedDate: toEpoch(d.deletedOn)
  })

/** SecretBundle (with a value) ⇄ KeyVaultSecret. */
export const KeyVaultSecretFromBundle: Schema.Schema<KeyVaultSecret, typeof Wire.SecretBundle.Encoded> = Schema
  .transformOrFail(Wire.SecretBundle, Schema.typeSchema(KeyVaultSecret), {
    strict: true,
    decode: (b, _, ast) =>
      Either.mapLeft(
        Either.flatMap(
          propertiesFromWire(b),
          (properties) =>
            // A secret bundle without its value is not a secret; never turn it into an empty one.
            b.value === undefined
              ? Either.left("the secret bundle has no value")
              : Either.right(new KeyVaultSecret({ name: properties.name, value: Redacted.make(b.value), properties }, true))
        ),
        (msg) => new ParseResult.Type(ast, b, msg)
      ),
    encode: (s) => ParseResult.succeed({ ...propertiesToWire(s.properties), value: Redacted.value(s.value) })
  })

/** SecretBundle / SecretItem (value ignored) ⇄ SecretProperties. */
export const SecretPropertiesFromBundle: Schema.Schema<SecretProperties, typeof Wire.SecretBundle.Encoded> = Schema
  .transformOrFail(Wire.SecretBundle, Schema.typeSchema(SecretProperties), {
    strict: true,
    decode: (b, _, ast) => Either.mapLeft(propertiesFromWire(b), (msg) => new ParseResult.Type(ast, b, msg)),
    encode: (p) => ParseResult.succeed(propertiesToWire(p))
  })

/** DeletedSecretBundle / DeletedSecretItem ⇄ DeletedSecret. */
export const DeletedSecretFromBundle: Schema.Schema<DeletedSecret, typeof Wire.DeletedSecretBundle.Encoded> = Schema
  .transformOrFail(Wire.DeletedSecretBundle, Schema.typeSchema(DeletedSecret), {
    strict: true,
    decode: (b, _, ast) =>
      Either.mapLeft(
        Either.map(propertiesFromWire(b), (properties) =>
          new DeletedSecret({
            name: properties.name,
            value: b.value === undefined ? undefined : Redacted.make(b.value),
            properties,
            recoveryId: b.recoveryId,
            scheduledPurgeDate: fromEpoch(b.scheduledPurgeDate),
            deletedOn: fromEpoch(b.deletedDate)
          }, true)),
        (msg) => new ParseResult.Type(ast, b, msg)
      ),
    encode: (d) =>
      ParseResult.succeed({
        ...propertiesToWire(d.properties),
        ...(d.value === undefined ? {} : { value: Redacted.value(d.value) }),
        ...deletedExtras(d)
      })
  })

export const SecretPage = Schema.Struct({
  value: Schema.Array(SecretPropertiesFromBundle),
  nextLink: Schema.optionalWith(Schema.String, { nullable: true })
})

export const DeletedSecretPage = Schema.Struct({
  value: Schema.Array(DeletedSecretFromBundle),
  nextLink: Schema.optionalWith(Schema.String, { nullable: true })
})

/** base64url (with or without padding) → bytes. */
export const fromBase64Url = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64url"))

/** bytes → base64url without padding, as the service sends it. */
export const toBase64Url = (b: Uint8Array): string => Buffer.from(b).toString("base64url")

/**
 * The one place where wire bundles and public models meet, in both directions.
 */
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Identifier from "./identifier.js"
import { DeletedSecret, KeyVaultSecret, SecretProperties } from "../KeyVaultSecret.js"
import * as Wire from "./wire.js"

/** Epoch seconds → DateTime. */
export const fromEpoch = (s: number | undefined): DateTime.Utc | undefined =>
  s === undefined ? undefined : DateTime.unsafeMake(s * 1000)

/** DateTime/Date → whole epoch seconds (no 32-bit truncation, unlike the official SDK). */
export const toEpoch = (d: DateTime.DateTime | Date | undefined): number | undefined =>
  d === undefined ? undefined : Math.floor((d instanceof Date ? d.getTime() : DateTime.toEpochMillis(d)) / 1000)

// ---------------------------------------------------------------------------------------------------------
// Decoding: one pass over the JSON, checking exactly what the wire schemas in wire.ts check (a property
// test holds the two together), building the models directly. No Schema transform per item: a listing
// of 10,000 secrets decodes 10,000 items.

type Json = { readonly [k: string]: unknown }

/** A failed check: where, and what kind of issue (reported like a Schema ParseError: paths and kinds only). */
interface Failure {
  readonly path: ReadonlyArray<PropertyKey>
  readonly issue: ParseResult.ParseIssue
}

/** What `Schema.Struct` and `Schema.Record` accept as input: any non-array object. */
const isStructInput = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k)

const isEpoch = (v: unknown): v is number =>
  typeof v === "number" && Number.isFinite(v) && v >= -Wire.maxEpochSeconds && v <= Wire.maxEpochSeconds

const stringAst = Schema.String.ast
const booleanAst = Schema.Boolean.ast
const numberAst = Schema.Number.ast
const epochAst = Wire.EpochSeconds.ast
const missingString = new AST.Type(stringAst)
const missingArray = new AST.Type(Schema.Array(Schema.Unknown).ast)

const typeFailure = (path: ReadonlyArray<PropertyKey>, ast: AST.AST, actual: unknown): Failure => ({
  path,
  issue: new ParseResult.Type(ast, actual)
})

/** `optionalWith(s, { nullable: true })`: absent, undefined and null are all "not there". */
const checkOpt = (o: Json, k: string, ok: (v: unknown) => boolean, ast: AST.AST): Failure | undefined => {
  const v = o[k]
  return v === undefined || v === null || ok(v) ? undefined : typeFailure([k], ast, v)
}
const isString = (v: unknown) => typeof v === "string"
const isBoolean = (v: unknown) => typeof v === "boolean"
const isNumber = (v: unknown) => typeof v === "number"

const checkAttributes = (a: unknown): Failure | undefined => {
  if (!isStructInput(a)) return typeFailure([], Wire.SecretAttributes.ast, a)
  return checkOpt(a, "enabled", isBoolean, booleanAst) ??
    checkOpt(a, "nbf", isEpoch, epochAst) ??
    checkOpt(a, "exp", isEpoch, epochAst) ??
    checkOpt(a, "created", isEpoch, epochAst) ??
    checkOpt(a, "updated", isEpoch, epochAst) ??
    checkOpt(a, "recoverableDays", isNumber, numberAst) ??
    checkOpt(a, "recoveryLevel", isString, stringAst)
}

const tagsAst = Schema.Record({ key: Schema.String, value: Schema.String }).ast

const checkTags = (t: unknown): Failure | undefined => {
  if (!isStructInput(t)) return typeFailure([], tagsAst, t)
  for (const k of Object.keys(t)) if (typeof t[k] !== "string") return typeFailure([k], stringAst, t[k])
  return undefined
}

const nested = (k: string, f: Failure | undefined): Failure | undefined =>
  f === undefined ? undefined : { path: [k, ...f.path], issue: f.issue }

/** The checks of `Wire.SecretBundle` (and `Wire.DeletedSecretBundle`), in the schema's field order. */
const checkBundle = (b: unknown, deleted: boolean): Failure | undefined => {
  if (!isStructInput(b)) return typeFailure([], (deleted ? Wire.DeletedSecretBundle : Wire.SecretBundle).ast, b)
  const failure = checkOpt(b, "value", isString, stringAst) ??
    (!hasOwn(b, "id")
      ? { path: ["id"], issue: new ParseResult.Missing(missingString) }
      : typeof b.id !== "string"
      ? typeFailure(["id"], stringAst, b.id)
      : undefined) ??
    checkOpt(b, "contentType", isString, stringAst) ??
    (b.attributes === undefined || b.attributes === null ? undefined : nested("attributes", checkAttributes(b.attributes))) ??
    (b.tags === undefined || b.tags === null ? undefined : nested("tags", checkTags(b.tags))) ??
    checkOpt(b, "kid", isString, stringAst) ??
    checkOpt(b, "managed", isBoolean, booleanAst) ??
    checkOpt(b, "previousVersion", isString, stringAst)
  if (failure !== undefined || !deleted) return failure
  return checkOpt(b, "recoveryId", isString, stringAst) ??
    checkOpt(b, "scheduledPurgeDate", isEpoch, epochAst) ??
    checkOpt(b, "deletedDate", isEpoch, epochAst)
}

/**
 * What `new C(props, true)` builds for a `Schema.Class` whose fields declare no constructor defaults (checked
 * when this module loads): the class's prototype with `props` as own properties, without the constructor's
 * copy and per-field default merge (the largest cost of a list item).
 */
const construct = <C>(Class: { readonly prototype: C; readonly fields: Schema.Struct.Fields }) => {
  for (const field of Object.values(Class.fields)) {
    const ast = Schema.isPropertySignature(field) ? field.ast : undefined
    const withDefault = ast !== undefined &&
      (ast._tag === "PropertySignatureDeclaration" ? ast.defaultValue : ast.to.defaultValue) !== undefined
    if (withDefault) throw new Error("construct: a field with a constructor default needs the class constructor")
  }
  // The literal becomes the instance (its prototype set): no second object, no copy of every field.
  return (props: object): C => Object.setPrototypeOf(props, Class.prototype as object) as C
}
const makeProperties = construct(SecretProperties)
const makeSecret = construct(KeyVaultSecret)
const makeDeleted = construct(DeletedSecret)

/** null / undefined → undefined; anything else (already checked) as is. */
const opt = <A>(v: unknown): A | undefined => (v === null || v === undefined ? undefined : v as A)

/** Properties from a checked bundle or list item; `Left` with a message when its `id` is not a secret id. */
const propertiesFromChecked = (w: Json): Either.Either<SecretProperties, string> => {
  const id = w.id as string
  const ident = Identifier.parse(id)
  if ("invalid" in ident) return Either.left(Identifier.invalidMessage(ident.sourceId, ident.invalid))
  const a: Json = isStructInput(w.attributes) ? w.attributes : {}
  const created = opt<number>(a.created)
  const updated = opt<number>(a.updated)
  const createdOn = fromEpoch(created)
  // Every field was checked above: re-validating costs ~50x the check (see bench/). Built in place (no
  // intermediate object), and a version never updated shares one DateTime for both dates (they are immutable).
  return Either.right(makeProperties({
    vaultUrl: ident.vaultUrl,
    name: ident.name,
    version: ident.version,
    id,
    contentType: opt(w.contentType),
    enabled: opt(a.enabled),
    notBefore: fromEpoch(opt(a.nbf)),
    expiresOn: fromEpoch(opt(a.exp)),
    createdOn,
    updatedOn: updated === created ? createdOn : fromEpoch(updated),
    // Checked above (string values only) and fresh from JSON.parse: no copy needed.
    tags: opt<{ readonly [k: string]: string }>(w.tags) ?? {},
    recoverableDays: opt(a.recoverableDays),
    recoveryLevel: opt(a.recoveryLevel),
    managed: opt(w.managed),
    certificateKeyId: opt(w.kid),
    previousVersion: opt(w.previousVersion)
  }))
}

const deletedFromChecked = (w: Json, properties: SecretProperties) =>
  makeDeleted({
    name: properties.name,
    value: typeof w.value === "string" ? Redacted.make(w.value) : undefined,
    properties,
    recoveryId: opt(w.recoveryId),
    scheduledPurgeDate: fromEpoch(opt(w.scheduledPurgeDate)),
    deletedOn: fromEpoch(opt(w.deletedDate))
  })

/** Check + build one bundle; failures carry their path below `prefix`. */
const decodeItem = <A>(
  u: unknown,
  deleted: boolean,
  build: (w: Json, properties: SecretProperties) => Either.Either<A, string>,
  prefix: ReadonlyArray<PropertyKey>,
  ast: AST.AST
): Either.Either<A, Failure> => {
  const failure = checkBundle(u, deleted)
  if (failure !== undefined) return Either.left({ path: [...prefix, ...failure.path], issue: failure.issue })
  const w = u as Json
  const properties = propertiesFromChecked(w)
  const built: Either.Either<A, string> = Either.isLeft(properties) ? Either.left(properties.left) : build(w, properties.right)
  return Either.isLeft(built)
    ? Either.left({ path: prefix, issue: new ParseResult.Type(ast, u, built.left) })
    : Either.right(built.right)
}

const toIssue = (f: Failure): ParseResult.ParseIssue =>
  f.path.length === 0 ? f.issue : new ParseResult.Pointer(f.path as [PropertyKey, ...Array<PropertyKey>], undefined, f.issue)

/** A schema with a hand-written decoder (one pass) and encoder. */
const handWritten = <A, I>(
  decode: (u: unknown, ast: AST.AST) => Either.Either<A, Failure>,
  encode: (a: A) => NoInfer<I>,
  guard: (u: unknown) => u is A,
  identifier: string
): Schema.Schema<A, I> =>
  Schema.declare<A, I, readonly []>([], {
    decode: () => (u, _, ast) => Either.mapLeft(decode(u, ast), toIssue),
    encode: () => (u, _, ast) =>
      guard(u) ? ParseResult.succeed(encode(u)) : ParseResult.fail(new ParseResult.Type(ast, u))
  }, { identifier })

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

const secretFromChecked = (w: Json, properties: SecretProperties): Either.Either<KeyVaultSecret, string> =>
  // A secret bundle without its value is not a secret; never turn it into an empty one.
  typeof w.value !== "string"
    ? Either.left("the secret bundle has no value")
    : Either.right(makeSecret({ name: properties.name, value: Redacted.make(w.value), properties }))

// The one-pass decoders, each used by its Schema (for users) and by its `Decoder` (the client's hot path).
const oneSecret = (u: unknown, ast: AST.AST) => decodeItem(u, false, secretFromChecked, [], ast)
const oneProperties = (u: unknown, ast: AST.AST) => decodeItem(u, false, (_, p) => Either.right(p), [], ast)
const oneDeleted = (u: unknown, ast: AST.AST) =>
  decodeItem(u, true, (w, p) => Either.right(deletedFromChecked(w, p)), [], ast)

/** SecretBundle (with a value) ⇄ KeyVaultSecret. */
export const KeyVaultSecretFromBundle: Schema.Schema<KeyVaultSecret, typeof Wire.SecretBundle.Encoded> = handWritten<
  KeyVaultSecret,
  typeof Wire.SecretBundle.Encoded
>(
  oneSecret,
  (s) => ({ ...propertiesToWire(s.properties), value: Redacted.value(s.value) }),
  (u): u is KeyVaultSecret => u instanceof KeyVaultSecret,
  "KeyVaultSecretFromBundle"
)

/** SecretBundle / SecretItem (value ignored) ⇄ SecretProperties. */
export const SecretPropertiesFromBundle: Schema.Schema<SecretProperties, typeof Wire.SecretBundle.Encoded> = handWritten<
  SecretProperties,
  typeof Wire.SecretBundle.Encoded
>(
  oneProperties,
  propertiesToWire,
  (u): u is SecretProperties => u instanceof SecretProperties,
  "SecretPropertiesFromBundle"
)

/** DeletedSecretBundle / DeletedSecretItem ⇄ DeletedSecret. */
export const DeletedSecretFromBundle: Schema.Schema<DeletedSecret, typeof Wire.DeletedSecretBundle.Encoded> = handWritten<
  DeletedSecret,
  typeof Wire.DeletedSecretBundle.Encoded
>(
  oneDeleted,
  (d) => ({
    ...propertiesToWire(d.properties),
    ...(d.value === undefined ? {} : { value: Redacted.value(d.value) }),
    ...deletedExtras(d)
  }),
  (u): u is DeletedSecret => u instanceof DeletedSecret,
  "DeletedSecretFromBundle"
)

export interface Page<A> {
  readonly value: ReadonlyArray<A>
  readonly nextLink?: string
}

const pageAst = Schema.Struct({ value: Schema.Array(Schema.Unknown), nextLink: Schema.optional(Schema.String) }).ast

/** One pass over a list page: `{ value: [...items], nextLink? }`, every item checked and built in place. */
const decodePage = <A>(
  u: unknown,
  deleted: boolean,
  build: (w: Json, properties: SecretProperties) => Either.Either<A, string>,
  ast: AST.AST
): Either.Either<Page<A>, Failure> => {
  if (!isStructInput(u)) return Either.left(typeFailure([], pageAst, u))
  if (!hasOwn(u, "value")) return Either.left({ path: ["value"], issue: new ParseResult.Missing(missingArray) })
  const value = u.value
  if (!Array.isArray(value)) return Either.left(typeFailure(["value"], pageAst, value))
  const items = new Array<A>(value.length)
  for (let i = 0; i < value.length; i++) {
    const item = decodeItem(value[i], deleted, build, ["value", i], ast)
    if (Either.isLeft(item)) return Either.left(item.left)
    items[i] = item.right
  }
  const next = u.nextLink
  if (next === undefined || next === null) return Either.right({ value: items })
  if (typeof next !== "string") return Either.left(typeFailure(["nextLink"], stringAst, next))
  return Either.right({ value: items, nextLink: next })
}

const pageOfProperties = (u: unknown, ast: AST.AST) => decodePage(u, false, (_, p) => Either.right(p), ast)
const pageOfDeleted = (u: unknown, ast: AST.AST) =>
  decodePage(u, true, (w, p) => Either.right(deletedFromChecked(w, p)), ast)

const cannotEncodePages = (_: unknown): _ is never => false

/** A page of SecretItems → SecretProperties (decode only). */
export const SecretPage: Schema.Schema<Page<SecretProperties>, unknown> = handWritten(
  pageOfProperties,
  (p) => p,
  cannotEncodePages,
  "SecretPage"
)

/** A page of DeletedSecretItems → DeletedSecret (decode only). */
export const DeletedSecretPage: Schema.Schema<Page<DeletedSecret>, unknown> = handWritten(
  pageOfDeleted,
  (p) => p,
  cannotEncodePages,
  "DeletedSecretPage"
)

// ---------------------------------------------------------------------------------------------------------
// Decoders for the client's hot path: the same one-pass functions as the schemas above, without the
// ParseResult machinery around them on success. A failure is described exactly as `Schema` would report it
// (paths and issue kinds only: the input may hold a value).

/** JSON → model, or a description of what is wrong (paths and issue kinds, never values). */
export type Decoder<A> = (u: unknown) => Either.Either<A, string>

/** The first issues of a ParseIssue as `path: Kind`; what MalformedResponse messages show. */
export const describeIssue = (issue: ParseResult.ParseIssue): string =>
  ParseResult.ArrayFormatter.formatIssueSync(issue)
    .slice(0, 5)
    .map((i) => `${i.path.length === 0 ? "<root>" : i.path.join(".")}: ${i._tag}`)
    .join("; ")

const decoderOf = <A>(
  decode: (u: unknown, ast: AST.AST) => Either.Either<A, Failure>,
  schema: Schema.Schema<any, any>
): Decoder<A> => {
  const ast = schema.ast
  return (u) => {
    const r = decode(u, ast)
    return Either.isRight(r) ? Either.right(r.right) : Either.left(describeIssue(toIssue(r.left)))
  }
}

/** Any schema as a {@link Decoder} (for the rare bodies without a hand-written decoder). */
export const decoderFromSchema = <A, I>(schema: Schema.Schema<A, I>): Decoder<A> => {
  const decode = Schema.decodeUnknownEither(schema)
  return (u) => Either.mapLeft(decode(u), (e) => describeIssue(e.issue))
}

export const decodeSecret: Decoder<KeyVaultSecret> = decoderOf(
  oneSecret,
  KeyVaultSecretFromBundle
)
export const decodeProperties: Decoder<SecretProperties> = decoderOf(
  oneProperties,
  SecretPropertiesFromBundle
)
export const decodeDeleted: Decoder<DeletedSecret> = decoderOf(
  oneDeleted,
  DeletedSecretFromBundle
)
export const decodeSecretPage: Decoder<Page<SecretProperties>> = decoderOf(
  pageOfProperties,
  SecretPage
)
export const decodeDeletedPage: Decoder<Page<DeletedSecret>> = decoderOf(
  pageOfDeleted,
  DeletedSecretPage
)

/** base64url (with or without padding) → bytes. */
export const fromBase64Url = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64url"))

/** bytes → base64url without padding, as the service sends it. */
export const toBase64Url = (b: Uint8Array): string => Buffer.from(b).toString("base64url")

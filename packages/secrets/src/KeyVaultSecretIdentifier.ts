/**
 * Parse Key Vault secret identifiers such as
 * `https://myvault.vault.azure.net/secrets/name/0123...` or `https://myvault.vault.azure.net/deletedsecrets/name`.
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 * import { Either } from "effect"
 *
 * // Where does a secret reference from an app setting point to?
 * const parsed = KeyVaultSecretIdentifier.parse("https://my-vault.vault.azure.net/secrets/api-key")
 * assert.ok(Either.isRight(parsed))
 * assert.strictEqual(parsed.right.name, "api-key")
 * assert.strictEqual(parsed.right.version, undefined) // unversioned: the latest
 * ```
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Internal from "./internal/identifier.js"

/**
 * The collections a secret identifier can live in.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 * import { Schema } from "effect"
 *
 * assert.deepStrictEqual(Schema.is(KeyVaultSecretIdentifier.Collection)("deletedsecrets"), true)
 * ```
 */
export const Collection = Schema.Literal("secrets", "deletedsecrets")

/**
 * `"secrets"` or `"deletedsecrets"`.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 *
 * const collection: KeyVaultSecretIdentifier.Collection = "secrets"
 * ```
 */
export type Collection = typeof Collection.Type

/**
 * A parsed secret identifier. `vaultUrl` is `scheme://host[:port]` (the port is kept).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 *
 * const id = KeyVaultSecretIdentifier.unsafeParse("https://myvault.vault.azure.net/secrets/api-key/8c6f3a")
 * assert.deepStrictEqual(
 *   [id.vaultUrl, id.collection, id.name, id.version],
 *   ["https://myvault.vault.azure.net", "secrets", "api-key", "8c6f3a"]
 * )
 * ```
 */
export class KeyVaultSecretIdentifier extends Schema.Class<KeyVaultSecretIdentifier>(
  "@effect-keyvault/secrets/KeyVaultSecretIdentifier"
)({
  sourceId: Schema.String,
  vaultUrl: Schema.String,
  collection: Collection,
  name: Schema.String,
  version: Schema.optional(Schema.String)
}) {}

/**
 * Raised for anything that is not `<scheme>://<host>/(secrets|deletedsecrets)/<name>[/<version>]`.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 * import { Either } from "effect"
 *
 * const result = KeyVaultSecretIdentifier.parse("https://myvault.vault.azure.net/keys/k")
 * assert.ok(Either.isLeft(result))
 * assert.strictEqual(result.left._tag, "InvalidIdentifier")
 * ```
 */
export class InvalidIdentifier extends Schema.TaggedError<InvalidIdentifier>(
  "@effect-keyvault/secrets/KeyVaultSecretIdentifier/InvalidIdentifier"
)("InvalidIdentifier", { sourceId: Schema.String, message: Schema.String }) {}

const fail = (sourceId: string, why: string) =>
  Either.left(
    new InvalidIdentifier({
      sourceId,
      message: Internal.invalidMessage(sourceId, why)
    })
  )

/**
 * Parse an identifier. Accepts the `secrets` and `deletedsecrets` collections; a trailing slash
 * (empty version) means "no version".
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 * import { Either } from "effect"
 *
 * const id = KeyVaultSecretIdentifier.parse("https://myvault.vault.azure.net/deletedsecrets/old-key")
 * assert.deepStrictEqual(Either.map(id, (i) => i.name), Either.right("old-key"))
 * ```
 */
export const parse = (id: string): Either.Either<KeyVaultSecretIdentifier, InvalidIdentifier> => {
  const parts = Internal.parse(id)
  return "invalid" in parts
    ? fail(parts.sourceId, parts.invalid)
    : Either.right(new KeyVaultSecretIdentifier(parts, true)) // every field was checked by the parser
}

/**
 * Like {@link parse} but throws {@link InvalidIdentifier}.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 *
 * // Throws InvalidIdentifier for anything that is not a secret identifier
 * const { name, version } = KeyVaultSecretIdentifier.unsafeParse("http://127.0.0.1:8443/secrets/db/1a2b3c")
 * assert.deepStrictEqual([name, version], ["db", "1a2b3c"])
 * ```
 */
export const unsafeParse = (id: string): KeyVaultSecretIdentifier =>
  Either.getOrThrowWith(parse(id), (e) => e)

/**
 * Schema from an identifier string to a {@link KeyVaultSecretIdentifier} (encodes back to `sourceId`).
 *
 * @since 0.1.0
 * @category Schemas
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 * import { Schema } from "effect"
 *
 * // Decode identifiers straight out of a config document
 * const Reference = Schema.Struct({ secretId: KeyVaultSecretIdentifier.FromString })
 * const ref = Schema.decodeUnknownSync(Reference)({ secretId: "https://v.vault.azure.net/secrets/db/7c1f" })
 * assert.deepStrictEqual([ref.secretId.name, ref.secretId.version], ["db", "7c1f"])
 * ```
 */
export const FromString: Schema.Schema<KeyVaultSecretIdentifier, string> = Schema.transformOrFail(
  Schema.String,
  Schema.typeSchema(KeyVaultSecretIdentifier),
  {
    strict: true,
    decode: (s, _, ast) =>
      Either.mapLeft(parse(s), (e) => new ParseResult.Type(ast, s, e.message)),
    encode: (id) => ParseResult.succeed(id.sourceId)
  }
)

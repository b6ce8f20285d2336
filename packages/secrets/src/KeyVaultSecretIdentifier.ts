/**
 * Parse Key Vault secret identifiers such as
 * `https://myvault.vault.azure.net/secrets/name/0123...` or `https://myvault.vault.azure.net/deletedsecrets/name`.
 *
 * Accepted like the Python (`KeyVaultSecretIdentifier`) and JS (`parseKeyVaultSecretIdentifier`) SDKs, on their
 * own test vectors: `secrets` and `deletedsecrets`, each with or without a version; any capitalisation of the
 * collection (`/Secrets/`, normalised to lower case); a query string or fragment (ignored); a trailing slash
 * gives version `""` (as in JS; Python gives none); an explicit port is kept in `vaultUrl`, `:443` included
 * (as in Python). The host is lower-cased (as in JS).
 *
 * Stricter than both, on purpose:
 * - only the two secret collections: a `/keys/` or `/certificates/` id is not a secret id (both references
 *   accept any collection);
 * - only `http:`/`https:` (both accept any scheme), no user info (`https://a@host/…`) and no backslash in the
 *   authority: these make one string look like another host;
 * - no empty name (`/secrets//name`: JS gives name `""`, Python skips the empty segment) and nothing after the
 *   version (`/secrets/name/1/`: Python accepts);
 * - `%`-escapes in name and version are decoded, and malformed escapes are rejected (both keep them raw).
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
 * A parsed secret identifier. `vaultUrl` is `scheme://host[:port]` (a port is kept as written);
 * `version` is absent without a version segment and `""` for a trailing slash.
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
 * Raised for anything that is not `http(s)://<host>[:port]/(secrets|deletedsecrets)/<name>[/<version>]`.
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
 * Parse an identifier: `secrets` or `deletedsecrets`, a name, an optional version (a trailing slash gives
 * version `""`). Query strings and fragments are ignored. See the module docs for how this compares with
 * the Python and JS SDKs.
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
 *
 * // The port is kept, the query ignored
 * const pinned = KeyVaultSecretIdentifier.unsafeParse("https://myvault.vault.azure.net:443/secrets/db/7c1f?api-version=7.6")
 * assert.deepStrictEqual([pinned.vaultUrl, pinned.version], ["https://myvault.vault.azure.net:443", "7c1f"])
 * ```
 */
export const parse = (id: string): Either.Either<KeyVaultSecretIdentifier, InvalidIdentifier> => {
  if (typeof id !== "string") return fail(String(id), "not a string")
  const parts = Internal.parse(id)
  return "invalid" in parts
    ? fail(parts.sourceId, parts.invalid)
    : Either.right(new KeyVaultSecretIdentifier(parts, true)) // every field was checked by the parser
}

/**
 * The identifier string for a vault, collection, name and optional version (name and version are
 * percent-encoded), so that `parse(format(parts))` gives the same parts back. (A version of `.` or `..`
 * cannot survive: URLs remove such path segments. Key Vault versions are 32 hex digits.)
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { KeyVaultSecretIdentifier } from "@effect-keyvault/secrets"
 *
 * const id = KeyVaultSecretIdentifier.format({ vaultUrl: "https://v.vault.azure.net", name: "db", version: "7c1f" })
 * assert.strictEqual(id, "https://v.vault.azure.net/secrets/db/7c1f")
 * assert.strictEqual(KeyVaultSecretIdentifier.unsafeParse(id).name, "db")
 * ```
 */
export const format = (parts: {
  readonly vaultUrl: string
  readonly collection?: Collection | undefined
  readonly name: string
  readonly version?: string | undefined
}): string =>
  `${parts.vaultUrl.replace(/\/+$/, "")}/${parts.collection ?? "secrets"}/${encodeURIComponent(parts.name)}${
    parts.version === undefined ? "" : `/${encodeURIComponent(parts.version)}`
  }`

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

/**
 * Parse Key Vault secret identifiers such as
 * `https://myvault.vault.azure.net/secrets/name/0123...` or `https://myvault.vault.azure.net/deletedsecrets/name`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * The collections a secret identifier can live in.
 *
 * @since 0.1.0
 * @category Models
 */
export const Collection = Schema.Literal("secrets", "deletedsecrets")

/**
 * @since 0.1.0
 * @category Models
 */
export type Collection = typeof Collection.Type

/**
 * A parsed secret identifier. `vaultUrl` is `scheme://host[:port]` (the port is kept).
 *
 * @since 0.1.0
 * @category Models
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
 */
export class InvalidIdentifier extends Schema.TaggedError<InvalidIdentifier>(
  "@effect-keyvault/secrets/KeyVaultSecretIdentifier/InvalidIdentifier"
)("InvalidIdentifier", { sourceId: Schema.String, message: Schema.String }) {}

const fail = (sourceId: string, why: string) =>
  Either.left(
    new InvalidIdentifier({
      sourceId,
      message: `Invalid Key Vault secret identifier '${sourceId}': ${why}. ` +
        `Expected https://<vault-host>/secrets/<name>[/<version>] or https://<vault-host>/deletedsecrets/<name>.`
    })
  )

/**
 * Parse an identifier. Accepts the `secrets` and `deletedsecrets` collections; a trailing slash
 * (empty version) means "no version".
 *
 * @since 0.1.0
 * @category Constructors
 */
export const parse = (id: string): Either.Either<KeyVaultSecretIdentifier, InvalidIdentifier> => {
  const sourceId = id.trim()
  // A backslash in the authority is parsed differently by different URL parsers; refuse it outright.
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*\\/i.test(sourceId)) return fail(sourceId, "backslash in the authority")
  let url: URL
  try {
    url = new URL(sourceId)
  } catch {
    return fail(sourceId, "not an absolute URL")
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail(sourceId, `unsupported scheme '${url.protocol}'`)
  if (url.search !== "" || url.hash !== "") return fail(sourceId, "query strings and fragments are not allowed")
  const segments = url.pathname.split("/")
  if (segments.length !== 3 && segments.length !== 4) {
    return fail(sourceId, "expected /<collection>/<name>[/<version>]")
  }
  const collection = segments[1]
  if (collection !== "secrets" && collection !== "deletedsecrets") {
    return fail(sourceId, `unknown collection '${collection}'`)
  }
  const name = decodeURIComponent(segments[2])
  if (name === "") return fail(sourceId, "empty name")
  const version = segments.length === 4 && segments[3] !== "" ? decodeURIComponent(segments[3]) : undefined
  if (collection === "deletedsecrets" && version !== undefined) {
    return fail(sourceId, "deleted secret identifiers have no version")
  }
  return Either.right(
    new KeyVaultSecretIdentifier({ sourceId, vaultUrl: `${url.protocol}//${url.host}`, collection, name, version })
  )
}

/**
 * Like {@link parse} but throws {@link InvalidIdentifier}.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const unsafeParse = (id: string): KeyVaultSecretIdentifier =>
  Either.getOrThrowWith(parse(id), (e) => e)

/**
 * Schema from an identifier string to a {@link KeyVaultSecretIdentifier} (encodes back to `sourceId`).
 *
 * @since 0.1.0
 * @category Schemas
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

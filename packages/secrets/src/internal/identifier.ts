/**
 * Parsing of secret identifiers into plain parts, shared by `KeyVaultSecretIdentifier.parse` and the
 * response decoders (which need the parts of every listed item, not an identifier object).
 */

export interface Parts {
  readonly sourceId: string
  /** `scheme://host[:port]` */
  readonly vaultUrl: string
  readonly collection: "secrets" | "deletedsecrets"
  readonly name: string
  readonly version: string | undefined
}

/** `decodeURIComponent` throws a URIError on malformed `%` sequences; here that is just "invalid". */
const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

const backslashInAuthority = /^[a-z][a-z0-9+.-]*:\/\/[^/]*\\/i

/**
 * The common shape, whose parts `new URL` would return unchanged: a lowercase host that is not rewritten
 * (no IPv4 shorthand, no default port), a name and version without percent-encoding. Listing 10,000
 * secrets parses 10,000 ids; this skips the URL parser for them. Anything else takes the full path.
 */
const plain =
  /^(https?):\/\/((?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::([1-9]\d{0,4}))?\/(?:secrets\/([0-9A-Za-z-]+)(?:\/([0-9A-Za-z-]*))?|deletedsecrets\/([0-9A-Za-z-]+))$/

/** The fast path of {@link parse}; `undefined` when the id is not in the plain shape. */
export const parsePlain = (sourceId: string): Parts | undefined => {
  const m = plain.exec(sourceId)
  if (m === null) return undefined
  const [, scheme, host, port, name, version, deletedName] = m
  // Punycode labels are validated (and may be refused) by the URL parser.
  if (host!.includes("xn--")) return undefined
  if (port !== undefined && (Number(port) > 65535 || port === (scheme === "https" ? "443" : "80"))) return undefined
  const vaultUrl = `${scheme}://${host}${port === undefined ? "" : `:${port}`}`
  return deletedName !== undefined
    ? { sourceId, vaultUrl, collection: "deletedsecrets", name: deletedName, version: undefined }
    : { sourceId, vaultUrl, collection: "secrets", name: name!, version: version === undefined || version === "" ? undefined : version }
}

/** The parts of a secret identifier, or why it is not one. */
export const parse = (id: string): Parts | { readonly invalid: string; readonly sourceId: string } => {
  const sourceId = id.trim()
  return parsePlain(sourceId) ?? parseWithUrl(sourceId)
}

/** The full path of {@link parse}, through the WHATWG URL parser (exported for the equivalence test). */
export const parseWithUrl = (sourceId: string): Parts | { readonly invalid: string; readonly sourceId: string } => {
  const fail = (invalid: string) => ({ invalid, sourceId })
  // A backslash in the authority is parsed differently by different URL parsers; refuse it outright.
  if (backslashInAuthority.test(sourceId)) return fail("backslash in the authority")
  let url: URL
  try {
    url = new URL(sourceId)
  } catch {
    return fail("not an absolute URL")
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail(`unsupported scheme '${url.protocol}'`)
  if (url.search !== "" || url.hash !== "") return fail("query strings and fragments are not allowed")
  const segments = url.pathname.split("/")
  if (segments.length !== 3 && segments.length !== 4) {
    return fail("expected /<collection>/<name>[/<version>]")
  }
  const collection = segments[1]
  if (collection !== "secrets" && collection !== "deletedsecrets") {
    return fail(`unknown collection '${collection}'`)
  }
  const name = decodeSegment(segments[2])
  if (name === undefined) return fail("invalid percent-encoding in the name")
  if (name === "") return fail("empty name")
  const version = segments.length === 4 && segments[3] !== "" ? decodeSegment(segments[3]) : ""
  if (version === undefined) return fail("invalid percent-encoding in the version")
  if (collection === "deletedsecrets" && version !== "") {
    return fail("deleted secret identifiers have no version")
  }
  return { sourceId, vaultUrl: `${url.protocol}//${url.host}`, collection, name, version: version === "" ? undefined : version }
}

/** The message of an `InvalidIdentifier`. */
export const invalidMessage = (sourceId: string, why: string): string =>
  `Invalid Key Vault secret identifier '${sourceId}': ${why}. ` +
  `Expected https://<vault-host>/secrets/<name>[/<version>] or https://<vault-host>/deletedsecrets/<name>.`

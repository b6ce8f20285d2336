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

/**
 * The common shape, whose parts `new URL` would return unchanged: a lowercase host that is not rewritten
 * (no IPv4 shorthand, no default port), a name and version without percent-encoding. Listing 10,000
 * secrets parses 10,000 ids; this skips the URL parser for them. Anything else takes the full path.
 */
const plain =
  /^(https?):\/\/((?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::([1-9]\d{0,4}))?\/(?:secrets\/([0-9A-Za-z-]+)(?:\/([0-9A-Za-z-]*))?|deletedsecrets\/([0-9A-Za-z-]+))$/

/** `name[/version]` and `name` after a vault URL already known to be plain. */
const secretTail = /^([0-9A-Za-z-]+)(?:\/([0-9A-Za-z-]*))?$/
const deletedTail = /^[0-9A-Za-z-]+$/

/**
 * The vault URL of the last plain id: the ids of a listing all start with it, so the next one only needs its
 * tail checked (no full match, no new vault URL string per item).
 */
let lastVaultUrl: string | undefined

/** The fast path of {@link parse}; `undefined` when the id is not in the plain shape. */
export const parsePlain = (sourceId: string): Parts | undefined => {
  const known = lastVaultUrl
  if (known !== undefined && sourceId.startsWith(known)) {
    // The character after the vault URL must be the path's `/`: `https://a.b` is not a prefix of `https://a.bc`.
    if (sourceId.startsWith("/secrets/", known.length)) {
      const t = secretTail.exec(sourceId.slice(known.length + 9))
      if (t !== null) return { sourceId, vaultUrl: known, collection: "secrets", name: t[1]!, version: t[2] }
    } else if (sourceId.startsWith("/deletedsecrets/", known.length)) {
      const name = sourceId.slice(known.length + 16)
      if (deletedTail.test(name)) return { sourceId, vaultUrl: known, collection: "deletedsecrets", name, version: undefined }
    }
  }
  const parts = parsePlainFull(sourceId)
  if (parts !== undefined) lastVaultUrl = parts.vaultUrl
  return parts
}

const parsePlainFull = (sourceId: string): Parts | undefined => {
  const m = plain.exec(sourceId)
  if (m === null) return undefined
  const [, scheme, host, port, name, version, deletedName] = m
  // Punycode labels are validated (and may be refused) by the URL parser.
  if (host!.includes("xn--")) return undefined
  if (port !== undefined && (Number(port) > 65535 || port === (scheme === "https" ? "443" : "80"))) return undefined
  const vaultUrl = `${scheme}://${host}${port === undefined ? "" : `:${port}`}`
  return deletedName !== undefined
    ? { sourceId, vaultUrl, collection: "deletedsecrets", name: deletedName, version: undefined }
    : { sourceId, vaultUrl, collection: "secrets", name: name!, version } // a trailing slash gives ""
}

/** The parts of a secret identifier, or why it is not one. */
export const parse = (id: string): Parts | { readonly invalid: string; readonly sourceId: string } => {
  const sourceId = id.trim()
  return parsePlain(sourceId) ?? parseWithUrl(sourceId)
}

/** Scheme and authority as written (URL drops a default port, which Python keeps). */
const authorityPattern = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i

/**
 * The full path of {@link parse}, through the WHATWG URL parser (exported for the equivalence test):
 * `secrets` or `deletedsecrets` in any casing, a name, an optional version (a trailing slash gives `""`,
 * as in JS), query string and fragment ignored, a written port kept (`:443` too, as in Python).
 */
export const parseWithUrl = (sourceId: string): Parts | { readonly invalid: string; readonly sourceId: string } => {
  const fail = (invalid: string) => ({ invalid, sourceId })
  const authority = authorityPattern.exec(sourceId)
  if (authority === null) return fail("not an absolute URL")
  // A backslash in the authority is parsed differently by different URL parsers; refuse it outright.
  if (authority[2]!.includes("\\")) return fail("backslash in the authority")
  if (authority[2]!.includes("@")) return fail("user information in the authority")
  let url: URL
  try {
    url = new URL(sourceId)
  } catch {
    return fail("not an absolute URL")
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail(`unsupported scheme '${url.protocol}'`)
  if (url.hostname === "") return fail("no host")
  const segments = url.pathname.split("/")
  if (segments.length !== 3 && segments.length !== 4) {
    return fail("expected /<collection>/<name>[/<version>]")
  }
  const collection = segments[1]!.toLowerCase()
  if (collection !== "secrets" && collection !== "deletedsecrets") {
    return fail(`unknown collection '${segments[1]}'`)
  }
  const name = decodeSegment(segments[2]!)
  if (name === undefined) return fail("invalid percent-encoding in the name")
  if (name === "") return fail("empty name")
  const version = segments.length === 4 ? decodeSegment(segments[3]!) : undefined
  if (segments.length === 4 && version === undefined) return fail("invalid percent-encoding in the version")
  // URL drops the scheme's default port; the identifier keeps whatever port it was written with.
  const written = /:(\d+)$/.exec(authority[2]!)
  const port = url.port !== "" ? `:${url.port}` : written !== null ? `:${Number(written[1])}` : ""
  return { sourceId, vaultUrl: `${url.protocol}//${url.hostname}${port}`, collection, name, version }
}

/** The message of an `InvalidIdentifier`. */
export const invalidMessage = (sourceId: string, why: string): string =>
  `Invalid Key Vault secret identifier '${sourceId}': ${why}. ` +
  `Expected https://<vault-host>/secrets/<name>[/<version>] or https://<vault-host>/deletedsecrets/<name>[/<version>].`

/**
 * WWW-Authenticate parsing and challenge-resource verification (protocol §2).
 */

export interface Challenge {
  readonly scheme: string
  readonly authorization?: string | undefined
  readonly resource?: string | undefined
  readonly scope?: string | undefined
  readonly tenantId?: string | undefined
  readonly error?: string | undefined
  readonly claims?: string | undefined
}

/** Parse `Bearer k="v", k2="v2"` into its known parameters; unknown keys are dropped. */
export const parseWWWAuthenticate = (header: string): Challenge => {
  const trimmed = header.trim()
  const space = trimmed.indexOf(" ")
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space)
  const params: Record<string, string> = {}
  const re = /([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^\s,]*))/g
  for (const m of trimmed.slice(space === -1 ? trimmed.length : space).matchAll(re)) {
    params[m[1].toLowerCase()] = m[2] ?? m[3] ?? ""
  }
  const authorization = params["authorization"] ?? params["authorization_uri"] ?? params["authorization_url"]
  let tenantId: string | undefined = params["tenantid"]
  if (tenantId === undefined && authorization !== undefined) {
    try {
      const first = new URL(authorization).pathname.split("/").filter((s) => s !== "")[0]
      if (first !== undefined) tenantId = first
    } catch {
      // An unparsable authority just means "no tenant hint".
    }
  }
  // AD FS authorities end in "adfs"; AD FS has no tenants, so no tenant hint goes to the credential
  // (Python 4.8.0+, azure-sdk-for-python#28648).
  if (tenantId !== undefined && tenantId.toLowerCase().endsWith("adfs")) tenantId = undefined
  return {
    scheme,
    authorization,
    resource: params["resource"],
    scope: params["scope"],
    tenantId,
    error: params["error"],
    claims: params["claims"]
  }
}

/** The token scope a challenge asks for: `resource/.default`, else `scope`. */
export const scopeOf = (c: Challenge): string | undefined => {
  if (c.resource !== undefined && c.resource !== "") {
    return c.resource.endsWith("/.default") ? c.resource : `${c.resource.replace(/\/+$/, "")}/.default`
  }
  return c.scope !== undefined && c.scope !== "" ? c.scope : undefined
}

/** The raw authority of an absolute URL, before WHATWG parsing normalises ambiguous input away. */
const rawAuthority = (url: string): string | undefined => /^[a-z][a-z\d+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1]

/** The port written in an authority (`host:port`, `[v6]:port`), if any. */
const explicitPort = (authority: string): number | undefined => {
  const m = /:(\d+)$/.exec(authority)
  if (m === null || (authority.startsWith("[") && !authority.includes("]:"))) return undefined
  return Number(m[1])
}

const isIpLiteral = (hostname: string): boolean => hostname.startsWith("[") || /^[\d.]+$/.test(hostname)

const defaultPort = (protocol: string): number | undefined =>
  protocol === "https:" ? 443 : protocol === "http:" ? 80 : undefined

/**
 * Is the challenge's resource (`scope`) one the vault may ask a token for? Like the references:
 * - the vault host ends with `.` + the resource host, case-insensitively (JS, Python, .NET); a resource equal to
 *   the vault host is not a parent domain and is refused;
 * - the authority has no userinfo, `%` or `@`, and the scope no whitespace, control character or backslash (JS);
 * - ports agree: the resource's port (443 when it names none) is the vault's (Python 4.11+);
 * - the resource host is a domain name with at least two labels (not `https://net`, not an IP literal).
 *
 * One deliberate addition: a loopback vault (127.x, ::1, localhost: an emulator) has no parent domain, so there
 * the resource may name the vault host itself, on the vault's port when it names one. Nothing leaves the machine.
 */
export const verifyResource = (vault: URL, scope: string): "ok" | "mismatch" | "invalid" => {
  const authority = rawAuthority(scope)
  if (authority === undefined || authority === "" || authority.includes("@") || authority.includes("%")) {
    return "invalid"
  }
  for (const ch of scope) if (ch <= " " || ch === "\u007f" || ch === "\\") return "invalid"
  let scopeHost: string
  try {
    scopeHost = new URL(scope).hostname.toLowerCase()
  } catch {
    return "invalid"
  }
  if (scopeHost === "") return "invalid"
  const vaultPort = vault.port !== "" ? Number(vault.port) : defaultPort(vault.protocol)
  const namedPort = explicitPort(authority)
  if (isLoopback(vault.hostname) && scopeHost === vault.hostname.toLowerCase()) {
    return namedPort === undefined || namedPort === vaultPort ? "ok" : "mismatch"
  }
  if (isIpLiteral(scopeHost) || scopeHost.split(".").filter((l) => l !== "").length < 2) return "mismatch"
  if (!vault.hostname.toLowerCase().endsWith(`.${scopeHost}`)) return "mismatch"
  return vaultPort === (namedPort ?? 443) ? "ok" : "mismatch"
}

/** Decode base64 (standard or url-safe, padding optional) CAE claims. */
export const decodeClaims = (claims: string): string => {
  const normalized = claims.replace(/-/g, "+").replace(/_/g, "/")
  const padded = normalized + "=".repeat((4 - (normalized.length % 4)) % 4)
  return Buffer.from(padded, "base64").toString("utf8")
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "")
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h)
}

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
  let tenantId = params["tenantid"]
  if (tenantId === undefined && authorization !== undefined) {
    try {
      const first = new URL(authorization).pathname.split("/").filter((s) => s !== "")[0]
      if (first !== undefined) tenantId = first
    } catch {
      // An unparsable authority just means "no tenant hint".
    }
  }
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

/**
 * Case-insensitive suffix match of the vault host against the scope's host:
 * `x.vault.azure.net` matches `https://vault.azure.net/.default`.
 */
export const verifyResource = (vaultHostname: string, scope: string): "ok" | "mismatch" | "invalid" => {
  let scopeHost: string
  try {
    scopeHost = new URL(scope).hostname.toLowerCase()
  } catch {
    return "invalid"
  }
  const host = vaultHostname.toLowerCase()
  // An exact host match is accepted too: an emulator over HTTPS at 127.0.0.1 announces the resource
  // `https://127.0.0.1`, which is the vault itself (no dotted suffix to match), and is just as safe.
  return host === scopeHost || host.endsWith(`.${scopeHost}`) ? "ok" : "mismatch"
}

/** Decode base64 (standard or url-safe, padding optional) CAE claims. */
export const decodeClaims = (claims: string): string => {
  const normalized = claims.replace(/-/g, "+").replace(/_/g, "/")
  const padded = normalized + "=".repeat((4 - (normalized.length % 4)) % 4)
  return Buffer.from(padded, "base64").toString("utf8")
}

export const isLoopback = (hostname: string): boolean => {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "")
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/**
 * The HTTP translation over the engine: routing, auth challenge, api-version, JSON shapes, paging, headers.
 *
 * One source of truth for the wire format, two carriers: `makeVault` answers a transport-neutral
 * {@link VaultRequest} with a {@link VaultResponse} (status, headers, JSON text); `makeApp` adapts it to an
 * `@effect/platform` HttpApp (the in-process handler and HttpClient), and `server.makeListener` serves it on
 * `node:http(s)` directly (the socket server, without the platform server's per-request layers).
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as VaultEngine from "../VaultEngine.js"
import * as backup from "./backup.js"
import * as throttle from "./throttle.js"

/** @internal */
export interface AppConfig {
  readonly engine: VaultEngine.VaultEngine
  readonly scheme: "http" | "https"
  readonly token?: string | undefined
  readonly tenantId: string
  readonly authority: string
  readonly challengeResource: string
  readonly throttle?: throttle.Throttle | undefined
}

/** @internal api-versions the official SDKs send (incl. previews seen in recordings) */
export const API_VERSIONS: ReadonlySet<string> = new Set([
  "2016-10-01",
  "7.0",
  "7.1",
  "7.2-preview",
  "7.2",
  "7.3-preview",
  "7.3",
  "7.4-preview.1",
  "7.4",
  "7.5-preview.1",
  "7.5",
  "7.6-preview.1",
  "7.6-preview.2",
  "7.6",
  "2025-06-01-preview",
  "2025-07-01",
  "2026-03-01-preview",
  "2026-04-01"
])

/**
 * What the service's answers contain at an api-version. Date-named versions before 7.0 exist too
 * (2016-10-01), so the date, not the shape of the name, decides.
 *
 * @internal
 */
export const featuresOf = (apiVersion: string) => {
  const date = /^(\d{4}-\d{2}-\d{2})/.exec(apiVersion)?.[1]
  const since = (d: string) => date !== undefined && date >= d
  return {
    /** attributes.recoverableDays: from 7.1 on (not in 2016-10-01 or 7.0). */
    recoverableDays: apiVersion !== "7.0" && apiVersion !== "2016-10-01",
    /** GetSecret `outContentType`: from 2025-06-01-preview on. */
    outContentType: since("2025-06-01"),
    /** `previousVersion` on secret bundles and deleted-secret bundles: from 2025-07-01 on. */
    previousVersion: since("2025-07-01")
  }
}
const LATEST_API_VERSION = "2026-04-01"
const MAX_BODY_BYTES = 1024 * 1024
// Restore bodies carry a whole backup blob: the largest a backup may produce plus room for the JSON
// envelope, so every backup stays restorable.
const MAX_RESTORE_BODY_BYTES = backup.MAX_BLOB_CHARS + 1024
const PAGE_MAX = 25
// reg-name or bracketed IPv6 literal, optional port
const HOST_PATTERN = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*)|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/
// nbf/exp: whole epoch seconds from 1970 up to 9999-12-31T23:59:59Z
// 0001-01-01 … 9999-12-31: negative values are ordinary pre-1970 dates, and the official JS SDK 4.12 sends
// them for dates after 2038 (its 32-bit truncation), so rejecting them would break that client.
const MIN_EPOCH_SECONDS = -62135596800
const MAX_EPOCH_SECONDS = 253402300799
const internalError = VaultEngine.errors.internal("The emulator failed to process the request.")

type Json = Record<string, unknown>

interface Reply {
  readonly status: number
  readonly body?: unknown
  /** the body already serialized (takes the place of `body`) */
  readonly text?: string
  readonly headers?: Record<string, string>
}

/**
 * A request as the vault sees it, whatever carried it.
 *
 * @internal
 */
export interface VaultRequest {
  /** as received (the vault upper-cases it) */
  readonly method: string
  /** the request target as sent: origin-form (`/secrets?…`) or absolute-form (`https://host/secrets?…`) */
  readonly url: string
  /** lower-case names; a repeated header as the carrier joins it */
  readonly headers: Readonly<Record<string, string | undefined>>
  /**
   * The body as UTF-8 text, failing with {@link bodyTooLarge} beyond `maxBytes` (once the body has ended, so
   * the 413 reaches the client) or {@link bodyUnreadable}. Called at most once, and only when a declared
   * Content-Length is within `maxBytes`.
   */
  readonly body: (maxBytes: number) => Effect.Effect<string, VaultEngine.VaultError>
}

/**
 * The answer: status, headers (without content-type / content-length) and the JSON text, if any.
 *
 * @internal
 */
export interface VaultResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string | undefined
}

/**
 * The vault: `answer` serves any request in a fiber (the caller's services, e.g. its Clock); `answerSync`,
 * when present, answers the hot routes without one and returns `undefined` for the rest.
 *
 * @internal
 */
export interface Vault {
  readonly answer: (request: VaultRequest) => Effect.Effect<VaultResponse>
  readonly answerSync: ((request: VaultRequest) => VaultResponse | undefined) | undefined
  /**
   * The commonest request (a GET of a secret with only `api-version`, a well-formed Bearer token and a Host
   * already seen) answered with the least work; `undefined` for anything else or any error, which
   * `answerSync` / `answer` then answer (the same way, byte for byte).
   */
  readonly answerPlainGet: ((method: string, url: string, rawHeaders: ReadonlyArray<string>) => PlainAnswer | undefined) | undefined
}

/**
 * A 200 answer to a plain GET: headers as a flat name/value list in the wire order of {@link VaultResponse}'s
 * (content-type and content-length included), for `writeHead`.
 *
 * @internal
 */
export interface PlainAnswer {
  readonly headers: Array<string>
  readonly body: string
  readonly requestId: string
}

// Per request: everything the routes need, in one object (no closures built per request).
interface Ctx {
  readonly request: VaultRequest
  readonly method: string
  readonly query: Map<string, string>
  readonly apiVersion: string
  readonly fmt: ReturnType<typeof formatter>
  readonly segments: ReadonlyArray<string>
}

interface Parsed {
  readonly origin: string
  readonly method: string
  readonly rawPath: string
  readonly query: Map<string, string>
}

interface PageRequest {
  readonly max: number
  readonly rawMax: string | undefined
  readonly marker: string | undefined
}

const fromResult = <A>(r: A | VaultEngine.VaultError): Effect.Effect<A, VaultEngine.VaultError> =>
  r instanceof VaultEngine.VaultError ? Effect.fail(r) : Effect.succeed(r)

/** @internal */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8"

/** @internal Built only when needed: an error captures a stack trace, too costly for every request. */
export const bodyTooLarge = (maxBytes: number) =>
  new VaultEngine.VaultError({
    status: 413,
    code: "RequestEntityTooLarge",
    message: `The request body exceeds the maximum size of ${maxBytes} bytes.`
  })

/** @internal */
export const bodyUnreadable = () => VaultEngine.errors.badParameter("The request body could not be read.")

/** @internal An oversized body is drained up to this many bytes, then the connection is given up. */
export const MAX_DRAIN_BYTES = 64 * 1024 * 1024

const errorReply = (e: VaultEngine.VaultError, origin: string): Reply => ({
  status: e.status,
  body: {
    error: {
      code: e.code,
      message: e.message.replaceAll(VaultEngine.VAULT_URL_PLACEHOLDER, origin),
      ...(e.innerCode !== undefined ? { innererror: { code: e.innerCode } } : {})
    }
  }
})
const fail = (status: number, code: string, message: string, innerCode?: string) =>
  Effect.fail(new VaultEngine.VaultError({ status, code, message, ...(innerCode ? { innerCode } : {}) }))

// A query component decoded ("+" is a space); a malformed escape is kept as sent.
const decodeComponent = (s: string): string => {
  if (!s.includes("%") && !s.includes("+")) return s
  try {
    return decodeURIComponent(s.replace(/\+/g, " "))
  } catch {
    return s
  }
}

const parseQuery = (search: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const part of (search.charCodeAt(0) === 63 /* "?" */ ? search.slice(1) : search).split("&")) {
    if (part === "") continue
    const i = part.indexOf("=")
    const rawK = i === -1 ? part : part.slice(0, i)
    const rawV = i === -1 ? "" : part.slice(i + 1)
    // SDKs may percent-encode the key itself (`api%2Dversion`).
    out.set(decodeComponent(rawK).toLowerCase(), decodeComponent(rawV))
  }
  return out
}

// Path segments after the leading slashes, percent-decoded (a malformed escape is kept as sent).
const pathSegments = (rawPath: string): Array<string> => {
  let i = 0
  while (rawPath.charCodeAt(i) === 47 /* "/" */) i++
  const parts = (i === 0 ? rawPath : rawPath.slice(i)).split("/")
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j]!
    if (part.includes("%")) {
      try {
        parts[j] = decodeURIComponent(part)
      } catch {
        // kept as sent
      }
    }
  }
  return parts
}

// Words after /secrets/{name}/ that name a sub-resource rather than a version.
const SUB_RESOURCES: ReadonlySet<string> = new Set(["versions", "backup"])

const base64urlJson = (v: unknown) => Buffer.from(JSON.stringify(v), "utf8").toString("base64url")

/** @internal */
export const DEFAULT_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

/**
 * The vault's configuration for a set of emulator options, with the documented defaults filled in.
 *
 * @internal
 */
export const configFromOptions = (
  engine: VaultEngine.VaultEngine,
  options: {
    readonly token?: string | undefined
    readonly tenantId?: string | undefined
    readonly authority?: string | undefined
    readonly challengeResource?: string | undefined
    readonly throttle?: boolean | throttle.Settings | undefined
  },
  scheme: "http" | "https"
): AppConfig => ({
    throttle: options.throttle === undefined || options.throttle === false
      ? undefined
      : throttle.make(options.throttle === true ? {} : options.throttle),
    engine,
    scheme,
    token: options.token,
    tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
    authority: options.authority ?? "https://login.microsoftonline.com",
    challengeResource: options.challengeResource ?? "https://vault.azure.net"
  })

/**
 * The platform app for a set of emulator options, with the documented defaults filled in.
 *
 * @internal
 */
export const makeAppFromOptions = (
  engine: VaultEngine.VaultEngine,
  options: Parameters<typeof configFromOptions>[1],
  scheme: "http" | "https"
) => makeApp(configFromOptions(engine, options, scheme))

/**
 * The vault's answer to one request. Never fails: every error is answered in Key Vault's shape (a defect as a
 * 500); only interruption (the client went away) ends it without an answer.
 *
 * @internal
 */
export const makeVault = (config: AppConfig & { readonly liveClock?: boolean }): Vault => {
  const { engine } = config
  const softDelete = engine.recoveryLevel.includes("Recoverable")
  const challenge = `Bearer authorization="${config.authority.replace(/\/+$/, "")}/${config.tenantId}", resource="${config.challengeResource}"`
  const fallbackOrigin = `${config.scheme}://localhost`
  const missingToken: Reply = {
    status: 401,
    headers: { "www-authenticate": challenge },
    body: { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }
  }
  const invalidToken: Reply = {
    status: 401,
    headers: { "www-authenticate": challenge },
    body: { error: { code: "Unauthorized", message: "AKV10022: Invalid audience or token." } }
  }
  // What does not change between requests, built once.
  const baseHeaders: Record<string, string> = {
    "cache-control": "no-cache",
    pragma: "no-cache",
    expires: "-1",
    "x-ms-request-id": "",
    "x-ms-keyvault-region": "emulator",
    "x-ms-keyvault-service-version": "1.9.0.0-emulator",
    "x-ms-keyvault-network-info": "conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;",
    "x-content-type-options": "nosniff",
    ...(config.scheme === "https" ? { "strict-transport-security": "max-age=31536000;includeSubDomains" } : {})
  }
  // Hosts already validated (clients send the same Host on every request); bounded so junk cannot grow it.
  const validOrigins = new Set<string>()

  // Bad input in the request line or Host header is the client's fault (400); anything else that goes wrong
  // is answered as a Key Vault-shaped 500 instead of an empty one.
  const target = (request: VaultRequest): { origin: string; pathAndQuery: string } | VaultEngine.VaultError => {
    const original = request.url
    if (original.charCodeAt(0) !== 47 /* "/" */ && /^https?:\/\//i.test(original)) {
      try {
        const u = new URL(original)
        return { origin: u.origin, pathAndQuery: u.pathname + u.search }
      } catch {
        return VaultEngine.errors.badParameter("The request URL is invalid.")
      }
    }
    const host = request.headers["host"] ?? "localhost"
    const origin = `${config.scheme}://${host}`
    if (validOrigins.has(origin) && original.startsWith("/")) return { origin, pathAndQuery: original }
    if (!HOST_PATTERN.test(host) || !original.startsWith("/")) {
      return VaultEngine.errors.badParameter("The request URL or Host header is invalid.")
    }
    try {
      new URL(origin)
    } catch {
      return VaultEngine.errors.badParameter("The request URL or Host header is invalid.")
    }
    if (validOrigins.size >= 64) validOrigins.clear()
    validOrigins.add(origin)
    return { origin, pathAndQuery: original }
  }

  // The request line: origin, path and query.
  const parse = (request: VaultRequest): Parsed | VaultEngine.VaultError => {
    const parsed = target(request)
    if (parsed instanceof VaultEngine.VaultError) return parsed
    const { origin, pathAndQuery } = parsed
    const qIndex = pathAndQuery.indexOf("?")
    return {
      origin,
      method: request.method.toUpperCase(),
      rawPath: qIndex === -1 ? pathAndQuery : pathAndQuery.slice(0, qIndex),
      query: parseQuery(qIndex === -1 ? "" : pathAndQuery.slice(qIndex))
    }
  }

  // Authentication comes first: the SDK's challenge probe has no token and no body.
  const authenticate = (request: VaultRequest): Reply | undefined => {
    const auth = request.headers["authorization"]
    const bearer = auth !== undefined && /^bearer\s+\S+/i.test(auth) ? auth.replace(/^bearer\s+/i, "").trim() : undefined
    if (bearer === undefined) return missingToken
    if (config.token !== undefined && bearer !== config.token) return invalidToken
    return undefined
  }

  // The api-version and the path, once the request may be served.
  const begin = (request: VaultRequest, parsed: Parsed): Ctx | VaultEngine.VaultError => {
    const apiVersion = parsed.query.get("api-version")
    if (apiVersion === undefined || apiVersion === "") {
      return VaultEngine.errors.badParameter("The 'api-version' query parameter is missing or empty.")
    }
    if (!API_VERSIONS.has(apiVersion)) {
      return VaultEngine.errors.badParameter(
        `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${LATEST_API_VERSION}).`
      )
    }
    return {
      request,
      method: parsed.method,
      query: parsed.query,
      apiVersion,
      fmt: formatterFor(parsed.origin, apiVersion),
      segments: pathSegments(parsed.rawPath)
    }
  }

  // The hot routes: GET /secrets/{name}[/{version}] and the listing GET /secrets.
  const hotRoute = (ctx: Ctx): { readonly name: string; readonly version: string } | "list" | undefined => {
    const { segments } = ctx
    if (ctx.method !== "GET" || segments.length > 3 || segments[0]!.toLowerCase() !== "secrets") return undefined
    const name = segments[1]
    const third = segments[2]
    if (name === undefined || name === "") return segments.length <= 2 ? "list" : undefined
    if (third === undefined) return { name, version: "" }
    return third !== "" && !SUB_RESOURCES.has(third.toLowerCase()) ? { name, version: third } : undefined
  }
  const secretItem = (ctx: Ctx) => (v: VaultEngine.SecretView) => ctx.fmt.item(v, false)
  const nameKey = (v: VaultEngine.SecretView) => v.name.toLowerCase()

  const answer = (request: VaultRequest): Effect.Effect<Reply> =>
    Effect.suspend(() => {
      const parsed = parse(request)
      if (parsed instanceof VaultEngine.VaultError) return Effect.succeed(errorReply(parsed, fallbackOrigin))
      const denied = authenticate(request)
      if (denied !== undefined) return Effect.succeed(denied)
      // Service throttling (opt-in): authenticated requests only; a 429 does not count toward the limit.
      const routed = config.throttle === undefined
        ? dispatch(request, parsed)
        : Effect.flatMap(config.throttle(parsed.method, parsed.rawPath), (rejected) =>
          rejected === undefined
            ? dispatch(request, parsed)
            : Effect.succeed<Reply>({
              status: 429,
              headers: { "retry-after": String(rejected.retryAfterSeconds) },
              body: throttle.body
            }))
      return Effect.catchAll(routed, (e) => Effect.succeed(errorReply(e, parsed.origin)))
    }).pipe(Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause)
        : Effect.succeed(errorReply(internalError, fallbackOrigin))
    ))

  const respond = (request: VaultRequest, reply: Reply): VaultResponse => {
    const headers: Record<string, string> = { ...baseHeaders, "x-ms-request-id": crypto.randomUUID(), ...reply.headers }
    const clientRequestId = request.headers["x-ms-client-request-id"]
    if (clientRequestId !== undefined) headers["x-ms-client-request-id"] = clientRequestId
    return {
      status: reply.status,
      headers,
      body: reply.status === 204 ? undefined : reply.text ?? (reply.body === undefined ? undefined : JSON.stringify(reply.body))
    }
  }

  // Formatters per origin and api-version: the same few pairs on every request.
  const formatters = new Map<string, ReturnType<typeof formatter>>()
  const formatterFor = (origin: string, apiVersion: string) => {
    const key = `${apiVersion} ${origin}`
    let f = formatters.get(key)
    if (f === undefined) {
      if (formatters.size >= 64) formatters.clear()
      f = formatter(origin, apiVersion)
      formatters.set(key, f)
    }
    return f
  }

  // The same answers without a fiber, for a caller on the live clock (the socket server): the hot routes
  // when the engine can read synchronously and no throttle is configured; `undefined` = use `answer`.
  const reads = config.liveClock === true && config.throttle === undefined ? VaultEngine.syncReads(engine) : undefined
  const answerSync = reads === undefined ? undefined : (request: VaultRequest): VaultResponse | undefined => {
    let origin = fallbackOrigin
    try {
      const parsed = parse(request)
      if (parsed instanceof VaultEngine.VaultError) return respond(request, errorReply(parsed, fallbackOrigin))
      origin = parsed.origin
      const denied = authenticate(request)
      if (denied !== undefined) return respond(request, denied)
      const ctx = begin(request, parsed)
      if (ctx instanceof VaultEngine.VaultError) return respond(request, errorReply(ctx, origin))
      const hot = hotRoute(ctx)
      if (hot === undefined) return undefined
      let reply: Reply | VaultEngine.VaultError | undefined
      if (hot === "list") {
        const p = pageRequest(ctx)
        if (p instanceof VaultEngine.VaultError) reply = p
        else {
          const items = reads.listSecretsPage(p.marker, p.max + 1, Date.now())
          // A listing never fails; a failed save is a defect there, answered as a 500.
          if (items instanceof VaultEngine.VaultError) return respond(request, errorReply(internalError, fallbackOrigin))
          reply = items === undefined ? undefined : pageReply(ctx, p, items, "/secrets", secretItem(ctx), nameKey)
        }
      } else {
        const v = reads.getSecret(hot.name, hot.version, Date.now())
        reply = v === undefined || v instanceof VaultEngine.VaultError ? v : secretReply(ctx, v)
      }
      if (reply === undefined) return undefined
      return respond(request, reply instanceof VaultEngine.VaultError ? errorReply(reply, origin) : reply)
    } catch {
      return respond(request, errorReply(internalError, fallbackOrigin))
    }
  }

  // The headers of a plain GET's answer in `respond`'s order, copied per answer: the request id goes at
  // REQUEST_ID_AT, the length at LENGTH_AT; a client request id comes before the content headers.
  const plainHeaders: Array<string> = []
  for (const [k, v] of Object.entries(baseHeaders)) plainHeaders.push(k, v)
  const REQUEST_ID_AT = plainHeaders.indexOf("x-ms-request-id") + 1
  const plainHeadersWithType = [...plainHeaders, "content-type", JSON_CONTENT_TYPE, "content-length", ""]
  const LENGTH_AT = plainHeadersWithType.length - 1
  // The Authorization value `authenticate` accepts for the configured token, when it is the only one
  // (a token with whitespace in it goes the ordinary way).
  const bearerValue = config.token !== undefined && /^\S+$/.test(config.token) ? `Bearer ${config.token}` : undefined
  let lastHost: string | undefined
  let lastApiVersion: string | undefined
  let lastFormatter: ReturnType<typeof formatter> | undefined
  const answerPlainGet = reads === undefined ? undefined : (
    method: string,
    url: string,
    rawHeaders: ReadonlyArray<string>
  ): PlainAnswer | undefined => {
    // GET /secrets/{name}[/{version}]?api-version=…: nothing to decode, no other parameter.
    if (method !== "GET" || !url.startsWith("/secrets/")) return undefined
    const q = url.indexOf("?", 9)
    if (q === -1 || url.indexOf("%", 9) !== -1 || !url.startsWith("api-version=", q + 1)) return undefined
    const apiVersion = url.slice(q + 13)
    const slash = url.indexOf("/", 9)
    let name: string
    let version = ""
    if (slash === -1 || slash > q) name = url.slice(9, q)
    else {
      name = url.slice(9, slash)
      version = url.slice(slash + 1, q)
      if (version === "" || version.includes("/") || SUB_RESOURCES.has(version.toLowerCase())) return undefined
    }
    if (name === "") return undefined
    // The few headers needed, straight from the raw list; a repeated one goes the ordinary way.
    let host: string | undefined
    let auth: string | undefined
    let clientRequestId: string | undefined
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const k = rawHeaders[i]!
      if (k.length === 4 && k.toLowerCase() === "host") {
        if (host !== undefined) return undefined
        host = rawHeaders[i + 1]!
      } else if (k.length === 13 && k.toLowerCase() === "authorization") {
        if (auth !== undefined) return undefined
        auth = rawHeaders[i + 1]!
      } else if (k.length === 22 && k.toLowerCase() === "x-ms-client-request-id") {
        if (clientRequestId !== undefined) return undefined
        clientRequestId = rawHeaders[i + 1]!
      }
    }
    if (host === undefined || auth === undefined) return undefined
    if (config.token !== undefined ? auth !== bearerValue : !/^bearer\s+\S+/i.test(auth)) return undefined
    // A client sends the same Host and api-version every time: the last pair's formatter is kept.
    let fmt = lastFormatter
    if (host !== lastHost || apiVersion !== lastApiVersion) {
      const origin = `${config.scheme}://${host}`
      if (!validOrigins.has(origin) || !API_VERSIONS.has(apiVersion)) return undefined
      fmt = formatterFor(origin, apiVersion)
      lastHost = host
      lastApiVersion = apiVersion
      lastFormatter = fmt
    }
    const v = reads.getSecret(name, version, Date.now())
    if (v === undefined || v instanceof VaultEngine.VaultError) return undefined
    const { length, text } = fmt!.bundleEntry(v)
    const requestId = crypto.randomUUID()
    let headers: Array<string>
    if (clientRequestId === undefined) {
      headers = plainHeadersWithType.slice()
      headers[LENGTH_AT] = length
    } else {
      headers = plainHeaders.slice()
      headers.push("x-ms-client-request-id", clientRequestId, "content-type", JSON_CONTENT_TYPE, "content-length", length)
    }
    headers[REQUEST_ID_AT] = requestId
    return { headers, body: text, requestId }
  }

  return { answer: (request) => Effect.map(answer(request), (reply) => respond(request, reply)), answerSync, answerPlainGet }

  function dispatch(request: VaultRequest, parsed: Parsed): Effect.Effect<Reply, VaultEngine.VaultError> {
    const ctx = begin(request, parsed)
    if (ctx instanceof VaultEngine.VaultError) return Effect.fail(ctx)
    const hot = hotRoute(ctx)
    if (hot === "list") return page(ctx, engine.listSecretsPage, "/secrets", secretItem(ctx), nameKey)
    if (hot !== undefined) return getSecret(ctx, hot.name, hot.version)
    const { fmt, method, segments } = ctx
    const collection = segments[0]!.toLowerCase()
    const notAllowed = () => fail(405, "MethodNotAllowed", `HTTP ${method} not allowed`)
    const notFound = () => fail(404, "NotFound", "The requested resource was not found.")
    return Effect.gen(function*() {
      if (collection === "secrets") {
        const name = segments[1]
        const third = segments[2]
        if (segments.length > 4 || (segments.length === 4 && segments[3] !== "")) {
          return yield* notFound()
        }
        if (name === undefined || name === "") {
          if (segments.length > 2) return yield* notFound()
          if (method !== "GET") return yield* notAllowed()
          // (A GET of the listing is a hot route, answered above; kept whole here for any caller of this branch.)
          return yield* page(ctx, engine.listSecretsPage, "/secrets", secretItem(ctx), nameKey)
        }
        // Sub-resource words are matched case-insensitively, like the service's routing.
        const sub = third?.toLowerCase()
        if (name.toLowerCase() === "restore" && third === undefined && method === "POST") {
          const body = yield* readJson(ctx, MAX_RESTORE_BODY_BYTES)
          if (typeof body.value !== "string") return yield* VaultEngine.errors.malformedBackup()
          const v = yield* engine.restoreSecret(body.value)
          return { status: 200, body: fmt.bundle(v, false) }
        }
        if (third === undefined || third === "") {
          switch (method) {
            case "PUT": {
              if (third === "") return yield* notAllowed()
              const body = yield* readJson(ctx, )
              const params = yield* fromResult(parseSet(body))
              const v = yield* engine.setSecret(name, params)
              return { status: 200, body: fmt.bundle(v, true) }
            }
            case "GET":
              return yield* getSecret(ctx, name, "")
            case "PATCH": {
              const body = yield* readJson(ctx, )
              const params = yield* fromResult(parseUpdate(body))
              const v = yield* engine.updateSecret(name, "", params)
              return { status: 200, body: fmt.bundle(v, false) }
            }
            case "DELETE": {
              if (third === "") return yield* notAllowed()
              const v = yield* engine.deleteSecret(name)
              return { status: 200, body: fmt.deleted(v, softDelete) }
            }
            default:
              return yield* notAllowed()
          }
        }
        if (sub === "versions" && method === "GET") {
          if (!VaultEngine.NAME_PATTERN.test(name)) return yield* VaultEngine.errors.invalidName(name)
          // Version markers are positions (versions are only ever appended), zero-padded like a name key.
          let offset = 0
          return yield* page(ctx, 
            (marker, count) => {
              // Our markers are 10 digits; any other marker is placed by string order, as before the index.
              offset = marker === undefined || marker < "0000000000"
                ? 0
                : /^\d{10}$/.test(marker)
                ? Number(marker)
                : Number.MAX_SAFE_INTEGER
              return engine.listSecretVersionsPage(name, offset, count)
            },
            `/secrets/${name}/versions`,
            (v) => fmt.item(v, true),
            (_, i) => (offset + i).toString().padStart(10, "0")
          )
        }
        if (sub === "backup" && method === "POST") {
          const blob = yield* engine.backupSecret(name)
          return { status: 200, body: { value: blob } }
        }
        switch (method) {
          case "GET":
            return yield* getSecret(ctx, name, third)
          case "PATCH": {
            const body = yield* readJson(ctx, )
            const params = yield* fromResult(parseUpdate(body))
            const v = yield* engine.updateSecret(name, third, params)
            return { status: 200, body: fmt.bundle(v, false) }
          }
          default:
            return yield* notAllowed()
        }
      }

      if (collection === "deletedsecrets") {
        const name = segments[1]
        const third = segments[2]
        if (name === undefined || name === "") {
          if (method !== "GET") return yield* notAllowed()
          return yield* page(ctx, engine.listDeletedSecretsPage, "/deletedsecrets", (v) => fmt.deletedItem(v), (v) => v.name.toLowerCase())
        }
        if (segments.length > 4 || (segments.length === 4 && segments[3] !== "")) {
          return yield* notFound()
        }
        if (third?.toLowerCase() === "recover" && method === "POST") {
          const v = yield* engine.recoverDeletedSecret(name)
          return { status: 200, body: fmt.bundle(v, false) }
        }
        if (third !== undefined && third !== "") return yield* notFound()
        switch (method) {
          case "GET":
            return { status: 200, body: fmt.deleted(yield* engine.getDeletedSecret(name)) }
          case "DELETE":
            yield* engine.purgeDeletedSecret(name)
            return { status: 204 }
          default:
            return yield* notAllowed()
        }
      }

      return yield* notFound()

    })
  }

  function readJson(ctx: Ctx, maxBytes: number = MAX_BODY_BYTES): Effect.Effect<Json, VaultEngine.VaultError> {
    const length = Number(ctx.request.headers["content-length"] ?? "0")
    if (length > maxBytes) return Effect.fail(bodyTooLarge(maxBytes))
    return Effect.flatMap(ctx.request.body(maxBytes), (text): Effect.Effect<Json, VaultEngine.VaultError> => {
      if (text.trim() === "") return fail(400, "BadParameter", "The request body is required.")
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        return fail(400, "BadParameter", "The request body is not valid JSON.")
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return fail(400, "BadParameter", "The request body must be a JSON object.")
      }
      return Effect.succeed(parsed as Json)
    })
  }

  function getSecret(ctx: Ctx, name: string, version: string): Effect.Effect<Reply, VaultEngine.VaultError> {
    return Effect.flatMap(engine.getSecret(name, version), (v) => fromResult(secretReply(ctx, v)))
  }

  function secretReply(ctx: Ctx, v: VaultEngine.SecretView): Reply | VaultEngine.VaultError {
    // outContentType exists from 2025-06-01-preview on (date-named versions); older versions ignore it.
    const out = ctx.fmt.features.outContentType ? ctx.query.get("outcontenttype") : undefined
    if (out !== undefined && out !== "") {
      if (out !== "application/x-pkcs12" && out !== "application/x-pem-file") {
        return VaultEngine.errors.badParameter(`The value '${out}' of parameter outContentType is not supported.`)
      }
      if (v.contentType !== "application/x-pkcs12") {
        return VaultEngine.errors.badParameter("The outContentType parameter is only supported for secrets of content type application/x-pkcs12.")
      }
      if (out === "application/x-pem-file") {
        return VaultEngine.errors.badParameter("PFX to PEM conversion is not supported by the emulator.")
      }
    }
    return { status: 200, text: ctx.fmt.bundleEntry(v).text }
  }

  // maxresults and $skiptoken of a listing request.
  function pageRequest(ctx: Ctx): PageRequest | VaultEngine.VaultError {
    const rawMax = ctx.query.get("maxresults")
    let max = PAGE_MAX
    if (rawMax !== undefined) {
      // Digits only: Number() would also take " 5", "0x5" or "5e0".
      const n = /^\d+$/.test(rawMax) ? Number(rawMax) : Number.NaN
      if (!Number.isInteger(n) || n < 1 || n > PAGE_MAX) {
        return VaultEngine.errors.badParameter(`The value '${rawMax}' of parameter maxresults is invalid. It must be between 1 and ${PAGE_MAX}.`)
      }
      max = n
    }
    let marker: string | undefined
    const token = ctx.query.get("$skiptoken")
    if (token !== undefined && token !== "") {
      let decoded: unknown
      try {
        decoded = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { NextMarker?: unknown }).NextMarker
      } catch {
        decoded = undefined
      }
      if (typeof decoded !== "string" || !decoded.startsWith("2!")) {
        return VaultEngine.errors.badParameter("The $skiptoken is invalid.")
      }
      // Markers name the next item (not an offset), so paging stays stable while items are added.
      marker = decoded.slice(2)
    }
    return { max, rawMax, marker }
  }

  // One page of up to `max` items; `items` holds one more when a next page exists.
  function pageReply<A>(
    ctx: Ctx,
    request: PageRequest,
    items: ReadonlyArray<A>,
    path: string,
    toJson: (a: A) => Json,
    keyOf: (a: A, i: number) => string
  ): Reply {
    const { max, rawMax } = request
    const value: Array<Json> = []
    for (let i = 0; i < items.length && i < max; i++) value.push(toJson(items[i]!))
    const next = items[max]
    let nextLink: string | null = null
    if (next !== undefined) {
      const skip = base64urlJson({ NextMarker: `2!${keyOf(next, max)}`, TargetLocation: 0 })
      nextLink = `${ctx.fmt.originWithPort}${path}?api-version=${ctx.apiVersion}&$skiptoken=${skip}` +
        (rawMax !== undefined ? `&maxresults=${max}` : "")
    }
    return { status: 200, body: { value, nextLink } }
  }

  // `fetch(marker, count)` returns up to `count` items starting at the first whose key is >= marker (all
  // from the start without one); one more than a page is asked for, to know whether a next page exists.
  function page<A>(
    ctx: Ctx,
    fetch: (marker: string | undefined, count: number) => Effect.Effect<ReadonlyArray<A>>,
    path: string,
    toJson: (a: A) => Json,
    keyOf: (a: A, i: number) => string
  ): Effect.Effect<Reply, VaultEngine.VaultError> {
    const request = pageRequest(ctx)
    if (request instanceof VaultEngine.VaultError) return Effect.fail(request)
    return Effect.map(fetch(request.marker, request.max + 1), (items) => pageReply(ctx, request, items, path, toJson, keyOf))
  }
}

/**
 * The body of a platform request: an in-process `Request`'s or a declared-length one in one read, a chunked
 * one by hand (not withMaxBodySize, which aborts the stream and resets the connection): keep at most
 * `maxBytes`, drop the rest, and answer 413 once the body has ended.
 */
const platformBody = (request: HttpServerRequest.HttpServerRequest) => (maxBytes: number) =>
  Effect.gen(function*() {
    if (request.source instanceof globalThis.Request || (request.headers["content-length"] !== undefined && request.headers["transfer-encoding"] === undefined)) {
      const text = yield* Effect.catchAll(request.text, () => Effect.fail(bodyUnreadable()))
      if (Buffer.byteLength(text, "utf8") > maxBytes) return yield* Effect.fail(bodyTooLarge(maxBytes))
      return text
    }
    const chunks: Array<Uint8Array> = []
    let size = 0
    yield* request.stream.pipe(
      Stream.runForEachWhile((chunk) =>
        Effect.sync(() => {
          size += chunk.length
          if (size <= maxBytes) chunks.push(chunk)
          return size <= MAX_DRAIN_BYTES
        })
      ),
      Effect.catchAll(() => size === 0 ? Effect.void : Effect.fail(bodyUnreadable()))
    )
    if (size > maxBytes) return yield* Effect.fail(bodyTooLarge(maxBytes))
    return Buffer.concat(chunks).toString("utf8")
  })

/**
 * The vault as an `@effect/platform` HttpApp (the in-process handler and HttpClient).
 *
 * @internal
 */
export const makeApp = (config: AppConfig) => {
  const vault = makeVault(config)
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.map(
      vault.answer({ method: request.method, url: request.originalUrl, headers: request.headers, body: platformBody(request) }),
      (response) =>
        response.body === undefined
          ? HttpServerResponse.empty({ status: response.status, headers: response.headers })
          : HttpServerResponse.text(response.body, {
            status: response.status,
            contentType: JSON_CONTENT_TYPE,
            headers: response.headers
          })
    ))
}

const isEpochSeconds = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= MIN_EPOCH_SECONDS && v <= MAX_EPOCH_SECONDS

// Request body checks: plain functions (the value or the error), run once per write.
const parseAttributes = (body: Json) => {
  const a = body.attributes
  if (a === undefined || a === null) return {}
  if (typeof a !== "object" || Array.isArray(a)) return VaultEngine.errors.badParameter("The parameter 'attributes' is invalid.")
  const attrs = a as Json
  if (attrs.enabled !== undefined && attrs.enabled !== null && typeof attrs.enabled !== "boolean") {
    return VaultEngine.errors.badParameter("The attribute 'enabled' must be a boolean.")
  }
  for (const k of ["nbf", "exp"] as const) {
    if (attrs[k] !== undefined && attrs[k] !== null && !isEpochSeconds(attrs[k])) {
      return VaultEngine.errors.badParameter(
        `The attribute '${k}' must be a whole number of seconds since the epoch between ${MIN_EPOCH_SECONDS} and ${MAX_EPOCH_SECONDS}.`
      )
    }
  }
  return {
    enabled: typeof attrs.enabled === "boolean" ? attrs.enabled : undefined,
    nbf: isEpochSeconds(attrs.nbf) ? attrs.nbf : attrs.nbf === null ? null : undefined,
    exp: isEpochSeconds(attrs.exp) ? attrs.exp : attrs.exp === null ? null : undefined
  }
}

const parseCommon = (body: Json) => {
  if (body.contentType !== undefined && body.contentType !== null && typeof body.contentType !== "string") {
    return VaultEngine.errors.badParameter("The parameter 'contentType' must be a string.")
  }
  let tags: Record<string, string> | undefined
  if (body.tags !== undefined && body.tags !== null) {
    if (typeof body.tags !== "object" || Array.isArray(body.tags)) {
      return VaultEngine.errors.badParameter("The parameter 'tags' must be an object.")
    }
    const entries = Object.entries(body.tags as Json)
    for (const [k, v] of entries) {
      if (typeof v !== "string") return VaultEngine.errors.badParameter(`The tag '${k}' must have a string value.`)
    }
    // fromEntries defines own properties, so a tag named "__proto__" is kept (assignment would drop it).
    tags = Object.fromEntries(entries) as Record<string, string>
  }
  return { contentType: typeof body.contentType === "string" ? body.contentType : undefined, tags }
}

const parseSet = (body: Json): VaultEngine.SetParams | VaultEngine.VaultError => {
  if (typeof body.value !== "string") {
    return VaultEngine.errors.badParameter("The parameter 'value' is required and must be a string.")
  }
  const common = parseCommon(body)
  if (common instanceof VaultEngine.VaultError) return common
  const attrs = parseAttributes(body)
  if (attrs instanceof VaultEngine.VaultError) return attrs
  return {
    value: body.value,
    ...common,
    enabled: attrs.enabled,
    nbf: attrs.nbf ?? undefined,
    exp: attrs.exp ?? undefined
  }
}

const parseUpdate = (body: Json): VaultEngine.UpdateParams | VaultEngine.VaultError => {
  const common = parseCommon(body)
  if (common instanceof VaultEngine.VaultError) return common
  const attrs = parseAttributes(body)
  if (attrs instanceof VaultEngine.VaultError) return attrs
  return { ...common, ...attrs }
}

const formatter = (origin: string, apiVersion: string) => {
  const u = new URL(origin)
  const originWithPort = u.port === "" ? `${u.protocol}//${u.hostname}:${u.protocol === "https:" ? 443 : 80}` : origin
  const features = featuresOf(apiVersion)
  const withRecoverableDays = features.recoverableDays
  // Built by assignment (no spreads: these run for every item of every page); key order is the wire order.
  const attributes = (a: VaultEngine.Attributes): Json => {
    const out: Json = { enabled: a.enabled }
    if (a.nbf !== undefined) out.nbf = a.nbf
    if (a.exp !== undefined) out.exp = a.exp
    out.created = a.created
    out.updated = a.updated
    out.recoveryLevel = a.recoveryLevel
    if (withRecoverableDays) out.recoverableDays = a.recoverableDays
    return out
  }
  const addCommon = (out: Json, v: VaultEngine.SecretView): Json => {
    if (v.contentType !== undefined) out.contentType = v.contentType
    out.attributes = attributes(v.attributes)
    if (v.tags !== undefined) out.tags = v.tags
    if (v.managed) out.managed = true
    return out
  }
  const common = (v: VaultEngine.SecretView): Json => addCommon({}, v)
  const bundle = (v: VaultEngine.SecretView, withValue: boolean): Json => {
    const out: Json = withValue ? { value: v.value } : {}
    out.id = `${origin}/secrets/${v.name}/${v.version}`
    addCommon(out, v)
    if (v.kid !== undefined) out.kid = v.kid
    if (features.previousVersion && v.previousVersion !== undefined) out.previousVersion = v.previousVersion
    return out
  }
  // GET answers, serialized once per view: the engine hands out one view per stored version and a new one
  // when the version changes, so a cached text can never outlive the data it was made from.
  const bundleTexts = new WeakMap<VaultEngine.SecretView, { readonly text: string; readonly length: string }>()
  const bundleEntry = (v: VaultEngine.SecretView) => {
    let entry = bundleTexts.get(v)
    if (entry === undefined) {
      const text = JSON.stringify(bundle(v, true))
      entry = { text, length: String(Buffer.byteLength(text, "utf8")) }
      bundleTexts.set(v, entry)
    }
    return entry
  }
  const deletedExtras = (v: VaultEngine.DeletedView): Json => ({
    recoveryId: `${origin}/deletedsecrets/${v.name}`,
    deletedDate: v.deletedDate,
    scheduledPurgeDate: v.scheduledPurgeDate
  })
  return {
    originWithPort,
    features,
    bundle,
    /** GET's answer to a secret: the JSON text and its length in bytes, made once per view. */
    bundleEntry,
    item: (v: VaultEngine.SecretView, versioned: boolean): Json =>
      addCommon({ id: versioned ? `${origin}/secrets/${v.name}/${v.version}` : `${origin}/secrets/${v.name}` }, v),
    /**
     * The answer to DELETE and GET /deletedsecrets/{name}. Without soft delete the secret is gone at once and
     * the service sends no recoveryId, deletedDate or scheduledPurgeDate (SDK pollers key on the missing
     * recoveryId to finish without polling).
     */
    deleted: (v: VaultEngine.DeletedView, softDeleted = true): Json =>
      softDeleted ? { ...deletedExtras(v), ...bundle(v, false) } : bundle(v, false),
    deletedItem: (v: VaultEngine.DeletedView): Json => ({
      ...deletedExtras(v),
      id: `${origin}/secrets/${v.name}`,
      ...common(v)
    })
  }
}

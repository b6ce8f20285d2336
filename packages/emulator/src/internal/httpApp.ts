/**
 * The HTTP translation over the engine: routing, auth challenge, api-version, JSON shapes, paging, headers.
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
// An oversized body is still read (and dropped) up to this many bytes so the 413 reaches the client instead
// of a connection reset; beyond it the connection is given up.
const MAX_DRAIN_BYTES = 64 * 1024 * 1024
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
  readonly headers?: Record<string, string>
}

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

const parseQuery = (search: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const part of search.replace(/^\?/, "").split("&")) {
    if (part === "") continue
    const i = part.indexOf("=")
    const rawK = i === -1 ? part : part.slice(0, i)
    const rawV = i === -1 ? "" : part.slice(i + 1)
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "))
      } catch {
        return s
      }
    }
    // SDKs may percent-encode the key itself (`api%2Dversion`).
    out.set(dec(rawK).toLowerCase(), dec(rawV))
  }
  return out
}

const base64urlJson = (v: unknown) => Buffer.from(JSON.stringify(v), "utf8").toString("base64url")

/** @internal */
export const DEFAULT_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

/**
 * The app for a set of emulator options, with the documented defaults filled in.
 *
 * @internal
 */
export const makeAppFromOptions = (
  engine: VaultEngine.VaultEngine,
  options: {
    readonly token?: string | undefined
    readonly tenantId?: string | undefined
    readonly authority?: string | undefined
    readonly challengeResource?: string | undefined
    readonly throttle?: boolean | throttle.Settings | undefined
  },
  scheme: "http" | "https"
) =>
  makeApp({
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

/** @internal */
export const makeApp = (config: AppConfig) => {
  const { engine } = config
  const softDelete = engine.recoveryLevel.includes("Recoverable")
  const challenge = `Bearer authorization="${config.authority.replace(/\/+$/, "")}/${config.tenantId}", resource="${config.challengeResource}"`

  // Bad input in the request line or Host header is the client's fault (400); anything else that goes wrong
  // is answered as a Key Vault-shaped 500 instead of an empty one.
  const target = (request: HttpServerRequest.HttpServerRequest): { origin: string; pathAndQuery: string } | VaultEngine.VaultError => {
    const original = request.originalUrl
    if (/^https?:\/\//i.test(original)) {
      try {
        const u = new URL(original)
        return { origin: u.origin, pathAndQuery: u.pathname + u.search }
      } catch {
        return VaultEngine.errors.badParameter("The request URL is invalid.")
      }
    }
    const host = request.headers["host"] ?? "localhost"
    if (!HOST_PATTERN.test(host) || !original.startsWith("/")) {
      return VaultEngine.errors.badParameter("The request URL or Host header is invalid.")
    }
    const origin = `${config.scheme}://${host}`
    try {
      new URL(origin)
    } catch {
      return VaultEngine.errors.badParameter("The request URL or Host header is invalid.")
    }
    return { origin, pathAndQuery: original }
  }

  const answer = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const parsed = target(request)
    if (parsed instanceof VaultEngine.VaultError) return errorReply(parsed, `${config.scheme}://localhost`)
    const { origin, pathAndQuery } = parsed
    const qIndex = pathAndQuery.indexOf("?")
    const rawPath = qIndex === -1 ? pathAndQuery : pathAndQuery.slice(0, qIndex)
    const query = parseQuery(qIndex === -1 ? "" : pathAndQuery.slice(qIndex))
    const method = request.method.toUpperCase()

    return yield* route(request, method, rawPath, query, origin).pipe(
      Effect.catchAll((e) => Effect.succeed(errorReply(e, origin)))
    )
  }).pipe(Effect.catchAllCause((cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.failCause(cause)
      : Effect.succeed(errorReply(internalError, `${config.scheme}://localhost`))
  ))

  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const headers = request.headers
    const reply: Reply = yield* answer

    const responseHeaders: Record<string, string> = {
      "cache-control": "no-cache",
      pragma: "no-cache",
      expires: "-1",
      "x-ms-request-id": crypto.randomUUID(),
      "x-ms-keyvault-region": "emulator",
      "x-ms-keyvault-service-version": "1.9.0.0-emulator",
      "x-ms-keyvault-network-info": "conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;",
      "x-content-type-options": "nosniff",
      ...(config.scheme === "https" ? { "strict-transport-security": "max-age=31536000;includeSubDomains" } : {}),
      ...reply.headers
    }
    const clientRequestId = headers["x-ms-client-request-id"]
    if (clientRequestId !== undefined) responseHeaders["x-ms-client-request-id"] = clientRequestId
    if (reply.status === 204 || reply.body === undefined) {
      return HttpServerResponse.empty({ status: reply.status, headers: responseHeaders })
    }
    return HttpServerResponse.text(JSON.stringify(reply.body), {
      status: reply.status,
      contentType: "application/json; charset=utf-8",
      headers: responseHeaders
    })
  })

  function route(
    request: HttpServerRequest.HttpServerRequest,
    method: string,
    rawPath: string,
    query: Map<string, string>,
    origin: string
  ): Effect.Effect<Reply, VaultEngine.VaultError> {
    return Effect.gen(function*() {
      // Authentication comes first: the SDK's challenge probe has no token and no body.
      const auth = request.headers["authorization"]
      const bearer = auth !== undefined && /^bearer\s+\S+/i.test(auth) ? auth.replace(/^bearer\s+/i, "").trim() : undefined
      if (bearer === undefined) {
        return {
          status: 401,
          headers: { "www-authenticate": challenge },
          body: { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }
        }
      }
      if (config.token !== undefined && bearer !== config.token) {
        return {
          status: 401,
          headers: { "www-authenticate": challenge },
          body: { error: { code: "Unauthorized", message: "AKV10022: Invalid audience or token." } }
        }
      }
      // Service throttling (opt-in): authenticated requests only; a 429 does not count toward the limit.
      const rejected = config.throttle === undefined ? undefined : yield* config.throttle(method, rawPath)
      if (rejected !== undefined) {
        return { status: 429, headers: { "retry-after": String(rejected.retryAfterSeconds) }, body: throttle.body }
      }

      const apiVersion = query.get("api-version")
      if (apiVersion === undefined || apiVersion === "") {
        return yield* fail(400, "BadParameter", "The 'api-version' query parameter is missing or empty.")
      }
      if (!API_VERSIONS.has(apiVersion)) {
        return yield* fail(
          400,
          "BadParameter",
          `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${LATEST_API_VERSION}).`
        )
      }

      const segments = rawPath.replace(/^\/+/, "").split("/").map((s) => {
        try {
          return decodeURIComponent(s)
        } catch {
          return s
        }
      })
      const collection = (segments[0] ?? "").toLowerCase()
      const fmt = formatter(origin, apiVersion)

      const readJson = (maxBytes: number = MAX_BODY_BYTES) => Effect.gen(function*() {
        // Built only when needed: an error captures a stack trace, too costly for every request.
        const tooLarge = () =>
          new VaultEngine.VaultError({
            status: 413,
            code: "RequestEntityTooLarge",
            message: `The request body exceeds the maximum size of ${maxBytes} bytes.`
          })
        const unreadable = () => VaultEngine.errors.badParameter("The request body could not be read.")
        const declared = request.headers["content-length"]
        const length = Number(declared ?? "0")
        if (length > maxBytes) return yield* Effect.fail(tooLarge())
        let text: string
        if (request.source instanceof globalThis.Request || (declared !== undefined && request.headers["transfer-encoding"] === undefined)) {
          // The whole body in one read: an in-process Request's body is already in memory, and over a socket
          // Node's parser delivers exactly the declared (and already checked) number of bytes.
          text = yield* Effect.catchAll(request.text, () => Effect.fail(unreadable()))
          if (Buffer.byteLength(text, "utf8") > maxBytes) return yield* Effect.fail(tooLarge())
        } else {
          // Chunked: read by hand (not withMaxBodySize, which aborts the stream and resets the connection):
          // keep at most maxBytes, drop the rest, and answer 413 once the body has ended.
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
            Effect.catchAll(() => size === 0 ? Effect.void : Effect.fail(unreadable()))
          )
          if (size > maxBytes) return yield* Effect.fail(tooLarge())
          text = Buffer.concat(chunks).toString("utf8")
        }
        if (text.trim() === "") return yield* fail(400, "BadParameter", "The request body is required.")
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          return yield* fail(400, "BadParameter", "The request body is not valid JSON.")
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
          return yield* fail(400, "BadParameter", "The request body must be a JSON object.")
        }
        return parsed as Json
      })

      // `fetch(marker, count)` returns up to `count` items starting at the first whose key is >= marker (all
      // from the start without one); one more than a page is asked for, to know whether a next page exists.
      const page = <A>(
        fetch: (marker: string | undefined, count: number) => Effect.Effect<ReadonlyArray<A>>,
        path: string,
        toJson: (a: A) => Json,
        keyOf: (a: A, i: number) => string
      ) =>
        Effect.gen(function*() {
          const rawMax = query.get("maxresults")
          let max = PAGE_MAX
          if (rawMax !== undefined) {
            // Digits only: Number() would also take " 5", "0x5" or "5e0".
            const n = /^\d+$/.test(rawMax) ? Number(rawMax) : Number.NaN
            if (!Number.isInteger(n) || n < 1 || n > PAGE_MAX) {
              return yield* fail(400, "BadParameter", `The value '${rawMax}' of parameter maxresults is invalid. It must be between 1 and ${PAGE_MAX}.`)
            }
            max = n
          }
          let m: string | undefined
          const token = query.get("$skiptoken")
          if (token !== undefined && token !== "") {
            let marker: unknown
            try {
              marker = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { NextMarker?: unknown }).NextMarker
            } catch {
              marker = undefined
            }
            if (typeof marker !== "string" || !marker.startsWith("2!")) {
              return yield* fail(400, "BadParameter", "The $skiptoken is invalid.")
            }
            // Markers name the next item (not an offset), so paging stays stable while items are added.
            m = marker.slice(2)
          }
          const items = yield* fetch(m, max + 1)
          const slice = items.slice(0, max)
          const next = items[max]
          let nextLink: string | null = null
          if (next !== undefined) {
            const skip = base64urlJson({ NextMarker: `2!${keyOf(next, max)}`, TargetLocation: 0 })
            nextLink = `${fmt.originWithPort}${path}?api-version=${apiVersion}&$skiptoken=${skip}` +
              (rawMax !== undefined ? `&maxresults=${max}` : "")
          }
          return { status: 200, body: { value: slice.map(toJson), nextLink } } as Reply
        })

      const notAllowed = () => fail(405, "MethodNotAllowed", `HTTP ${method} not allowed`)
      const notFound = () => fail(404, "NotFound", "The requested resource was not found.")

      if (collection === "secrets") {
        const name = segments[1]
        const third = segments[2]
        if (segments.length > 4 || (segments.length === 4 && segments[3] !== "")) {
          return yield* notFound()
        }
        if (name === undefined || name === "") {
          if (segments.length > 2) return yield* notFound()
          if (method !== "GET") return yield* notAllowed()
          return yield* page(engine.listSecretsPage, "/secrets", (v) => fmt.item(v, false), (v) => v.name.toLowerCase())
        }
        // Sub-resource words are matched case-insensitively, like the service's routing.
        const sub = third?.toLowerCase()
        if (name.toLowerCase() === "restore" && third === undefined && method === "POST") {
          const body = yield* readJson(MAX_RESTORE_BODY_BYTES)
          if (typeof body.value !== "string") return yield* VaultEngine.errors.malformedBackup()
          const v = yield* engine.restoreSecret(body.value)
          return { status: 200, body: fmt.bundle(v, false) }
        }
        if (third === undefined || third === "") {
          switch (method) {
            case "PUT": {
              if (third === "") return yield* notAllowed()
              const body = yield* readJson()
              const params = yield* parseSet(body)
              const v = yield* engine.setSecret(name, params)
              return { status: 200, body: fmt.bundle(v, true) }
            }
            case "GET":
              return yield* getSecret(name, "")
            case "PATCH": {
              const body = yield* readJson()
              const params = yield* parseUpdate(body)
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
          return yield* page(
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
            return yield* getSecret(name, third)
          case "PATCH": {
            const body = yield* readJson()
            const params = yield* parseUpdate(body)
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
          return yield* page(engine.listDeletedSecretsPage, "/deletedsecrets", (v) => fmt.deletedItem(v), (v) => v.name.toLowerCase())
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

      function getSecret(name: string, version: string) {
        return Effect.gen(function*() {
          const v = yield* engine.getSecret(name, version)
          // outContentType exists from 2025-06-01-preview on (date-named versions); older versions ignore it.
          const out = featuresOf(apiVersion!).outContentType ? query.get("outcontenttype") : undefined
          if (out !== undefined && out !== "") {
            if (out !== "application/x-pkcs12" && out !== "application/x-pem-file") {
              return yield* fail(400, "BadParameter", `The value '${out}' of parameter outContentType is not supported.`)
            }
            if (v.contentType !== "application/x-pkcs12") {
              return yield* fail(400, "BadParameter", "The outContentType parameter is only supported for secrets of content type application/x-pkcs12.")
            }
            if (out === "application/x-pem-file") {
              return yield* fail(400, "BadParameter", "PFX to PEM conversion is not supported by the emulator.")
            }
          }
          return { status: 200, body: fmt.bundle(v, true) } as Reply
        })
      }
    })
  }
}

const isEpochSeconds = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= MIN_EPOCH_SECONDS && v <= MAX_EPOCH_SECONDS

const parseAttributes = (body: Json) =>
  Effect.gen(function*() {
    const a = body.attributes
    if (a === undefined || a === null) return {}
    if (typeof a !== "object" || Array.isArray(a)) return yield* fail(400, "BadParameter", "The parameter 'attributes' is invalid.")
    const attrs = a as Json
    if (attrs.enabled !== undefined && attrs.enabled !== null && typeof attrs.enabled !== "boolean") {
      return yield* fail(400, "BadParameter", "The attribute 'enabled' must be a boolean.")
    }
    for (const k of ["nbf", "exp"] as const) {
      if (attrs[k] !== undefined && attrs[k] !== null && !isEpochSeconds(attrs[k])) {
        return yield* fail(
          400,
          "BadParameter",
          `The attribute '${k}' must be a whole number of seconds since the epoch between ${MIN_EPOCH_SECONDS} and ${MAX_EPOCH_SECONDS}.`
        )
      }
    }
    return {
      enabled: typeof attrs.enabled === "boolean" ? attrs.enabled : undefined,
      nbf: isEpochSeconds(attrs.nbf) ? attrs.nbf : attrs.nbf === null ? null : undefined,
      exp: isEpochSeconds(attrs.exp) ? attrs.exp : attrs.exp === null ? null : undefined
    }
  })

const parseCommon = (body: Json) =>
  Effect.gen(function*() {
    if (body.contentType !== undefined && body.contentType !== null && typeof body.contentType !== "string") {
      return yield* fail(400, "BadParameter", "The parameter 'contentType' must be a string.")
    }
    let tags: Record<string, string> | undefined
    if (body.tags !== undefined && body.tags !== null) {
      if (typeof body.tags !== "object" || Array.isArray(body.tags)) {
        return yield* fail(400, "BadParameter", "The parameter 'tags' must be an object.")
      }
      const entries = Object.entries(body.tags as Json)
      for (const [k, v] of entries) {
        if (typeof v !== "string") return yield* fail(400, "BadParameter", `The tag '${k}' must have a string value.`)
      }
      // fromEntries defines own properties, so a tag named "__proto__" is kept (assignment would drop it).
      tags = Object.fromEntries(entries) as Record<string, string>
    }
    return { contentType: typeof body.contentType === "string" ? body.contentType : undefined, tags }
  })

const parseSet = (body: Json) =>
  Effect.gen(function*() {
    if (typeof body.value !== "string") {
      return yield* fail(400, "BadParameter", "The parameter 'value' is required and must be a string.")
    }
    const common = yield* parseCommon(body)
    const attrs = yield* parseAttributes(body)
    return {
      value: body.value,
      ...common,
      enabled: attrs.enabled,
      nbf: attrs.nbf ?? undefined,
      exp: attrs.exp ?? undefined
    } satisfies VaultEngine.SetParams
  })

const parseUpdate = (body: Json) =>
  Effect.gen(function*() {
    const common = yield* parseCommon(body)
    const attrs = yield* parseAttributes(body)
    return { ...common, ...attrs } satisfies VaultEngine.UpdateParams
  })

const formatter = (origin: string, apiVersion: string) => {
  const u = new URL(origin)
  const originWithPort = u.port === "" ? `${u.protocol}//${u.hostname}:${u.protocol === "https:" ? 443 : 80}` : origin
  const features = featuresOf(apiVersion)
  const withRecoverableDays = features.recoverableDays
  const attributes = (a: VaultEngine.Attributes): Json => {
    const { recoverableDays, ...rest } = a
    return withRecoverableDays ? { ...rest, recoverableDays } : rest
  }
  const common = (v: VaultEngine.SecretView): Json => ({
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    attributes: attributes(v.attributes),
    ...(v.tags !== undefined ? { tags: v.tags } : {}),
    ...(v.managed ? { managed: true } : {})
  })
  const bundle = (v: VaultEngine.SecretView, withValue: boolean): Json => ({
    ...(withValue ? { value: v.value } : {}),
    id: `${origin}/secrets/${v.name}/${v.version}`,
    ...common(v),
    ...(v.kid !== undefined ? { kid: v.kid } : {}),
    ...(features.previousVersion && v.previousVersion !== undefined ? { previousVersion: v.previousVersion } : {})
  })
  const deletedExtras = (v: VaultEngine.DeletedView): Json => ({
    recoveryId: `${origin}/deletedsecrets/${v.name}`,
    deletedDate: v.deletedDate,
    scheduledPurgeDate: v.scheduledPurgeDate
  })
  return {
    originWithPort,
    bundle,
    item: (v: VaultEngine.SecretView, versioned: boolean): Json => ({
      id: versioned ? `${origin}/secrets/${v.name}/${v.version}` : `${origin}/secrets/${v.name}`,
      ...common(v)
    }),
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

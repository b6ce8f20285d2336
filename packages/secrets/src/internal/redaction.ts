/**
 * Keeping values and tokens out of everything an HTTP exchange leaves behind.
 *
 * The platform's `http.client` span ends with the exchange's Exit: on failure a `RequestError` holding the
 * whole request (Authorization header, JSON body with the value), on success the response, whose
 * inspection re-reads its cached JSON body (a secret value on every get). Tracers that serialise exits, and
 * `Inspectable.redact` outside a fiber (batch exporters), print all of it. So:
 * - request bodies that carry values are {@link OpaqueBytes}: sent as is, printed as `<redacted>`;
 * - {@link wrap} runs the caller's HttpClient with its own span disabled, under a span of the same kind and
 *   attributes whose Exit holds only a sanitised request (no Authorization, no body), a buffered response that
 *   never prints its body, and errors rebuilt around both.
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import type * as Cookies from "@effect/platform/Cookies"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const placeholder = "<redacted>"
const utf8 = new TextDecoder()

/** Bytes that go over the wire unchanged but print, stringify and inspect as `<redacted>`. */
export class OpaqueBytes extends Uint8Array {
  toJSON(): string {
    return placeholder
  }
  override toString(): string {
    return placeholder
  }
  [Inspectable.NodeInspectSymbol](): string {
    return placeholder
  }
}

const encoder = new TextEncoder()

/** A JSON request body that may carry a value. */
export const jsonBody = (body: unknown): HttpBody.HttpBody => {
  const bytes = encoder.encode(JSON.stringify(body))
  const opaque = new OpaqueBytes(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return HttpBody.raw(opaque, { contentType: "application/json", contentLength: opaque.byteLength })
}

/** Headers never kept in what an exchange leaves behind (plus `Headers.currentRedactedNames`). */
const credentialHeaders = ["authorization", "proxy-authorization", "cookie"]

/** The request as errors and responses may show it: method, URL, non-credential headers; no body. */
const sanitizeRequest = (
  request: HttpClientRequest.HttpClientRequest,
  redactedNames: ReadonlyArray<string | RegExp>
): HttpClientRequest.HttpClientRequest =>
  // `make` is typed per method; any method is fine here since no body is attached.
  HttpClientRequest.make(request.method as "DELETE")(request.url, {
    urlParams: request.urlParams,
    hash: Option.getOrUndefined(request.hash),
    headers: Headers.remove(request.headers, [...credentialHeaders, ...redactedNames, "content-length"])
  })

/** A response whose body is already in memory and which never prints it. */
class SafeResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  constructor(
    /** The sanitised request, built on first access: most responses never show theirs. */
    private readonly requestOf: () => HttpClientRequest.HttpClientRequest,
    readonly status: number,
    readonly headers: Headers.Headers,
    readonly cookies: Cookies.Cookies,
    readonly remoteAddress: Option.Option<string>,
    private readonly body: Uint8Array,
    private decoded?: string | undefined
  ) {
    super()
  }
  get request(): HttpClientRequest.HttpClientRequest {
    return this.requestOf()
  }
  toJSON(): unknown {
    return {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status,
      headers: Inspectable.redact(this.headers),
      body: `<${this.body.byteLength} bytes, not shown>`
    }
  }
  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.sync(() => this.decoded ??= utf8.decode(this.body))
  }
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      const text = this.decoded ??= utf8.decode(this.body)
      try {
        return Effect.succeed(text === "" ? null : JSON.parse(text) as unknown)
      } catch {
        // The parser's message quotes the body; only the fact that it failed is kept.
        return Effect.fail(this.decodeError(new SyntaxError("The response body is not valid JSON")))
      }
    })
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.sync(() => this.body.slice().buffer as ArrayBuffer)
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.sync(() => this.body.slice())
  }
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () =>
        new Response(this.body.slice() as Uint8Array<ArrayBuffer>, { headers: { "content-type": this.headers["content-type"] ?? "" } }).formData(),
      catch: () => this.decodeError(new TypeError("The response body is not form data"))
    })
  }
}

const noBody = new Uint8Array(0)

/**
 * The peer's address, read before the body: once a keep-alive node:http response is read, Node hands its socket
 * back to the agent and detaches it from the response, and @effect/platform-node's getter then throws
 * (`Cannot read properties of null`). A transport that cannot say is `None`, never a failed exchange.
 */
const remoteAddressOf = (res: HttpClientResponse.HttpClientResponse): Option.Option<string> => {
  try {
    return res.remoteAddress
  } catch {
    return Option.none()
  }
}

const sanitizeError = (
  error: HttpClientError.HttpClientError,
  request: HttpClientRequest.HttpClientRequest
): HttpClientError.HttpClientError =>
  error._tag === "RequestError"
    ? new HttpClientError.RequestError({
      request,
      reason: error.reason,
      cause: error.cause,
      description: error.description
    })
    : new HttpClientError.ResponseError({
      request,
      response: new SafeResponse(
        () => request,
        error.response.status,
        error.response.headers,
        error.response.cookies,
        remoteAddressOf(error.response),
        noBody
      ),
      reason: error.reason,
      cause: error.cause,
      description: error.description
    })

/** One turn of the event loop (Node's check phase; a zero timeout where there is no setImmediate), interruptible. */
const nextMacrotask: Effect.Effect<void> = Effect.async<void>((resume) => {
  if (typeof setImmediate !== "function") {
    const timer = setTimeout(() => resume(Effect.void), 0)
    return Effect.sync(() => clearTimeout(timer))
  }
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/**
 * After a 401 (the challenge to a client's first, unauthenticated request, or a CAE claims challenge) the
 * pipeline sends the authorized request at once. fetch and undici hand the connection back to their pool only
 * on a later turn of the event loop than the one in which the body was read; a request sent before that opens a
 * second connection: one more TCP + TLS handshake on every client's first request. Waiting one turn here lets
 * the authorized request reuse the probe's connection. Other statuses go on without waiting.
 */
const releaseAfterChallenge = (res: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  res.status === 401 ? nextMacrotask : Effect.void

/**
 * Clients that open no span of their own, send no `traceparent`, never read `FetchHttpClient.Fetch` and
 * abort on interruption themselves: the lean `UndiciHttpClient`. {@link wrap} adds no span around them.
 */
const leanClients = new WeakSet<HttpClient.HttpClient>()

/** Mark a client as lean (see `leanClients`); returns it. */
export const markLean = <C extends HttpClient.HttpClient>(client: C): C => {
  leanClients.add(client)
  return client
}

/** Whether `client` is a lean client (a client derived from it, e.g. by `transformClient`, is not). */
export const isLean = (client: HttpClient.HttpClient): boolean => leanClients.has(client)

/**
 * The caller's client with its own span turned off, inside a client built by `HttpClient.make`, so the
 * platform's span (name, attributes, trace propagation, `withTracerDisabledWhen`) is still there but ends
 * with sanitised values. The body is read inside: the span covers the whole exchange.
 *
 * A lean client (no span of its own, see {@link markLean}) gets no span here either: only the body is
 * buffered and the response and errors sanitised, the same as on the traced path.
 */
export const wrap = (http: HttpClient.HttpClient): HttpClient.HttpClient => {
  if (isLean(http)) {
    return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (effect) =>
        Effect.flatMap(effect, (request) =>
          Effect.withFiberRuntime((fiber) => {
            const names = fiber.getFiberRef(Headers.currentRedactedNames)
            let shown: HttpClientRequest.HttpClientRequest | undefined
            const sanitized = () => shown ??= sanitizeRequest(request, names)
            return http.execute(request).pipe(
              Effect.flatMap((res) => {
                const remoteAddress = remoteAddressOf(res)
                return Effect.map(res.arrayBuffer, (body) =>
                  new SafeResponse(sanitized, res.status, res.headers, res.cookies, remoteAddress, new Uint8Array(body)))
              }),
              Effect.tap(releaseAfterChallenge),
              Effect.mapError((e) => sanitizeError(e, sanitized()))
            )
          })),
      Effect.succeed
    )
  }
  const inner = HttpClient.withTracerDisabledWhen(http, () => true)
  return HttpClient.make((request) =>
    Effect.flatMap(FiberRef.get(Headers.currentRedactedNames), (names) => {
      const shown = sanitizeRequest(request, names)
      return inner.execute(request).pipe(
        // Through `text`, which the platform's responses cache: a transformClient that read the body first
        // (logging, metrics) leaves it readable here. Key Vault bodies are JSON text.
        Effect.flatMap((res) => {
          const remoteAddress = remoteAddressOf(res)
          return Effect.map(res.text, (text) =>
            new SafeResponse(() => shown, res.status, res.headers, res.cookies, remoteAddress, encoder.encode(text), text))
        }),
        Effect.tap(releaseAfterChallenge),
        Effect.mapError((e) => sanitizeError(e, shown))
      )
    })
  )
}
